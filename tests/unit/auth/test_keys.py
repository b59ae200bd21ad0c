"""Auth keys: login-name normalisation, keyed lookups, sealing bound to purpose and account."""

from __future__ import annotations

import pytest

from privault.auth import AuthKeys, normalise_login
from privault.crypto import DerivedKeys
from privault.errors import IntegrityViolation, InvalidInput

ROOT = bytes(range(32))


def keys(root: bytes = ROOT, **kwargs: object) -> AuthKeys:
    """Auth keys from a fixed root secret."""
    return AuthKeys.derive(DerivedKeys(root), **kwargs)  # type: ignore[arg-type]


class TestNormaliseLogin:
    def test_case_width_and_spaces_fold(self) -> None:
        """Case, surrounding spaces and full-width forms do not make a different login."""
        assert normalise_login("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
        assert normalise_login("ａｄａ@example.com") == "ada@example.com"

    @pytest.mark.parametrize(
        "bad", ["", "ada", "@example.com", "ada@", "ada@localhost", "a b@example.com", "x" * 400]
    )
    def test_not_an_email_is_invalid(self, bad: str) -> None:
        """Anything that cannot be an address is InvalidInput, without echoing it."""
        with pytest.raises(InvalidInput) as caught:
            normalise_login(bad)
        assert bad not in caught.value.message or not bad


class TestLookups:
    def test_login_ref_depends_on_kind_and_root(self) -> None:
        """A customer and an operator with one address are two logins; another root, others."""
        k = keys()
        assert k.login_ref_of("customer", "a@example.com") != k.login_ref_of(
            "operator", "a@example.com"
        )
        assert k.login_ref_of("customer", "a@example.com") == keys().login_ref_of(
            "customer", "a@example.com"
        )
        assert keys(bytes(32)).login_ref_of("customer", "a@example.com") != k.login_ref_of(
            "customer", "a@example.com"
        )

    def test_purpose_keys_differ(self) -> None:
        """Every purpose has its own key."""
        k = keys()
        derived = [
            k.login_ref,
            k.login_seal,
            k.totp_seal,
            k.recovery,
            k.session,
            k.address,
            k.reset,
        ]
        assert len(set(derived)) == len(derived)

    def test_pepper_from_key_store_when_configured(self) -> None:
        """A pepper id derives a pepper; older ids stay available for verification."""
        assert keys().pepper is None
        peppered = keys(pepper_key_id="p2", previous_pepper_key_ids=["p1"])
        assert peppered.pepper is not None
        assert peppered.pepper.key_id == "p2"
        assert [p.key_id for p in peppered.previous_peppers] == ["p1"]
        assert peppered.pepper.key != peppered.previous_peppers[0].key


class TestSealing:
    def test_round_trip(self) -> None:
        """A sealed TOTP secret and login name open for their account."""
        k = keys()
        assert k.open_totp("acc_1", k.seal_totp("acc_1", "JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"
        assert k.open_login("acc_1", k.seal_login("acc_1", "a@example.com")) == "a@example.com"
        assert k.open_outbox("body", k.seal_outbox("body", "hello")) == "hello"
        with pytest.raises(IntegrityViolation):
            k.open_outbox("recipient", k.seal_outbox("body", "hello"))

    def test_ciphertext_is_randomised(self) -> None:
        """Sealing twice gives two ciphertexts (no equality leak between accounts)."""
        k = keys()
        assert k.seal_totp("acc_1", "JBSWY3DPEHPK3PXP") != k.seal_totp("acc_1", "JBSWY3DPEHPK3PXP")

    def test_moved_to_another_account_does_not_open(self) -> None:
        """A secret copied onto another account's row is refused."""
        k = keys()
        sealed = k.seal_totp("acc_1", "JBSWY3DPEHPK3PXP")
        with pytest.raises(IntegrityViolation):
            k.open_totp("acc_2", sealed)

    def test_wrong_purpose_does_not_open(self) -> None:
        """A login ciphertext is not a TOTP secret."""
        k = keys()
        with pytest.raises(IntegrityViolation):
            k.open_totp("acc_1", k.seal_login("acc_1", "a@example.com"))

    @pytest.mark.parametrize("position", [0, 5, 20, -1])
    def test_tampered_byte_is_refused(self, position: int) -> None:
        """Flipping any byte makes the ciphertext fail to open."""
        k = keys()
        sealed = bytearray(k.seal_totp("acc_1", "JBSWY3DPEHPK3PXP"))
        sealed[position] ^= 0x01
        with pytest.raises(IntegrityViolation):
            k.open_totp("acc_1", bytes(sealed))

    @pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + bytes(20)])
    def test_truncated_is_refused(self, blob: bytes) -> None:
        """Short or empty ciphertexts are IntegrityViolation, not a crash."""
        with pytest.raises(IntegrityViolation):
            keys().open_totp("acc_1", blob)

    def test_other_root_does_not_open(self) -> None:
        """Another key store cannot open the secrets."""
        sealed = keys().seal_totp("acc_1", "JBSWY3DPEHPK3PXP")
        with pytest.raises(IntegrityViolation):
            keys(bytes(32)).open_totp("acc_1", sealed)
