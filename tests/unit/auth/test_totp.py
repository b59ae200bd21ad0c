"""TOTP: RFC 6238 vectors, the +-1 step window, replay refusal, malformed codes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.auth import TotpParameters, new_totp_secret, provisioning_uri, totp_step, verify_totp
from privault.errors import IntegrityViolation, InvalidInput


def b32(seed: bytes) -> str:
    """Base32 of an RFC seed."""
    return base64.b32encode(seed).decode("ascii")


# RFC 6238 Appendix B: (unix time, SHA1 code, SHA256 code, SHA512 code).
RFC_VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
RFC_SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890" * 6 + b"1234",
}
NOW = datetime(2025, 3, 1, 12, 0, 15, tzinfo=UTC)


def code_at(secret: str, at: datetime) -> str:
    """The 6-digit code an authenticator app shows at ``at``, computed by pyotp independently."""
    return pyotp.TOTP(secret).at(at)


class TestRfc6238Vectors:
    @pytest.mark.parametrize(("unix", "sha1", "sha256", "sha512"), RFC_VECTORS)
    def test_appendix_b_vectors(self, unix: int, sha1: str, sha256: str, sha512: str) -> None:
        """Each RFC 6238 Appendix B code verifies at its time, at step floor(T / 30)."""
        at = datetime.fromtimestamp(unix, tz=UTC)
        for algorithm, code in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
            parameters = TotpParameters(digits=8, algorithm=algorithm, window=0)  # type: ignore[arg-type]
            secret = b32(RFC_SEEDS[algorithm])
            step = verify_totp(secret, code, at=at, last_used_step=None, parameters=parameters)
            assert step == unix // 30, algorithm

    def test_vector_refused_one_step_outside_window(self) -> None:
        """With window 0 a code from the previous step (30 s earlier) is refused."""
        at = datetime.fromtimestamp(1111111111 + 30, tz=UTC)
        parameters = TotpParameters(digits=8, window=0)
        assert (
            verify_totp(
                b32(RFC_SEEDS["sha1"]),
                "14050471",
                at=at,
                last_used_step=None,
                parameters=parameters,
            )
            is None
        )


class TestWindow:
    def test_current_code_accepted(self) -> None:
        """The code for now verifies and returns the current step."""
        secret = new_totp_secret()
        assert verify_totp(secret, code_at(secret, NOW), at=NOW, last_used_step=None) == totp_step(
            NOW
        )

    @pytest.mark.parametrize("offset", [-1, 1])
    def test_one_step_drift_accepted(self, offset: int) -> None:
        """A code one step early or late verifies (clock drift)."""
        secret = new_totp_secret()
        code = code_at(secret, NOW + timedelta(seconds=30 * offset))
        assert verify_totp(secret, code, at=NOW, last_used_step=None) == totp_step(NOW) + offset

    def test_code_two_steps_old_refused(self) -> None:
        """A code from two steps ago (60 s) is refused."""
        secret = new_totp_secret()
        code = code_at(secret, NOW - timedelta(seconds=60))
        assert verify_totp(secret, code, at=NOW, last_used_step=None) is None

    def test_wrong_code_refused(self) -> None:
        """A code that matches no step in the window is refused."""
        secret = b32(RFC_SEEDS["sha1"])
        window = {code_at(secret, NOW + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
        wrong = next(c for c in (f"{n:06d}" for n in range(1000)) if c not in window)
        assert verify_totp(secret, wrong, at=NOW, last_used_step=None) is None


class TestReplay:
    def test_replayed_step_refused(self) -> None:
        """The same code presented again, with its step stored, is refused."""
        secret = new_totp_secret()
        code = code_at(secret, NOW)
        step = verify_totp(secret, code, at=NOW, last_used_step=None)
        assert step is not None
        assert verify_totp(secret, code, at=NOW, last_used_step=step) is None

    def test_earlier_step_refused_after_later_one_used(self) -> None:
        """Once a later step was used, a still-in-window earlier code is refused."""
        secret = new_totp_secret()
        used = totp_step(NOW)
        earlier = code_at(secret, NOW - timedelta(seconds=30))
        assert verify_totp(secret, earlier, at=NOW, last_used_step=used) is None

    def test_next_step_accepted_after_current_used(self) -> None:
        """A code for the following step is still accepted after the current one was used."""
        secret = new_totp_secret()
        later = code_at(secret, NOW + timedelta(seconds=30))
        step = verify_totp(secret, later, at=NOW, last_used_step=totp_step(NOW))
        assert step == totp_step(NOW) + 1


class TestMalformedCodes:
    @pytest.mark.parametrize(
        "code",
        [
            "",
            "12345",
            "1234567",
            "12a456",
            "abcdef",
            "١٢٣٤٥٦",
            "１２３４５６",
            "12345\n",
            "-12345",
            "+123456",
            "123_456",
            "1" * 10_000,
            "١٢٣٤٥٦٧٨",
        ],
    )
    def test_malformed_code_refused_quietly(self, code: str) -> None:
        """Letters, wrong lengths, non-ASCII digits and junk return None without raising."""
        secret = new_totp_secret()
        assert verify_totp(secret, code, at=NOW, last_used_step=None) is None

    def test_arabic_indic_digits_of_valid_code_refused(self) -> None:
        """The right code written in Arabic-Indic digits is still refused."""
        secret = new_totp_secret()
        code = code_at(secret, NOW)
        arabic = "".join(chr(0x0660 + int(d)) for d in code)
        assert verify_totp(secret, arabic, at=NOW, last_used_step=None) is None

    def test_spaced_code_accepted(self) -> None:
        """A code typed as the app shows it ("123 456") is accepted."""
        secret = new_totp_secret()
        code = code_at(secret, NOW)
        spaced = f" {code[:3]} {code[3:]} "
        assert verify_totp(secret, spaced, at=NOW, last_used_step=None) == totp_step(NOW)

    @given(st.text(max_size=20))
    def test_any_text_never_raises(self, code: str) -> None:
        """Arbitrary text gives an int or None, never an exception."""
        result = verify_totp(b32(RFC_SEEDS["sha1"]), code, at=NOW, last_used_step=None)
        assert result is None or abs(result - totp_step(NOW)) <= 1

    def test_non_text_code_refused(self) -> None:
        """A non-string code is refused, not crashed on."""
        result = verify_totp(new_totp_secret(), 123456, at=NOW, last_used_step=None)  # type: ignore[arg-type]
        assert result is None


class TestSecretsAndTime:
    def test_new_secret_is_160_bits_base32(self) -> None:
        """Secrets decode to 20 bytes and differ each time."""
        first, second = new_totp_secret(), new_totp_secret()
        assert len(base64.b32decode(first)) == 20
        assert first != second

    def test_corrupt_stored_secret_is_integrity_violation(self) -> None:
        """A stored secret that is not base32 is reported as corrupt."""
        with pytest.raises(IntegrityViolation):
            verify_totp("not*base32!", "123456", at=NOW, last_used_step=None)

    def test_short_secret_is_integrity_violation(self) -> None:
        """A secret under 112 bits (pyotp's floor) is refused as corrupt."""
        with pytest.raises(IntegrityViolation):
            verify_totp(b32(b"short"), "123456", at=NOW, last_used_step=None)

    def test_naive_datetime_refused(self) -> None:
        """A naive datetime would be read as local time; it is refused."""
        with pytest.raises(InvalidInput):
            verify_totp(new_totp_secret(), "123456", at=datetime(2025, 1, 1), last_used_step=None)

    def test_offset_timezone_gives_same_step_as_utc(self) -> None:
        """The same instant in another zone maps to the same step."""
        other = NOW.astimezone(timezone(timedelta(hours=5, minutes=30)))
        assert totp_step(other) == totp_step(NOW)

    @pytest.mark.parametrize("kwargs", [{"digits": 5}, {"period": 121}, {"window": 3}])
    def test_bad_parameters_refused(self, kwargs: dict[str, int]) -> None:
        """Parameters outside what RFC 6238 / NIST allow are InvalidInput."""
        with pytest.raises(InvalidInput):
            TotpParameters(**kwargs)  # type: ignore[arg-type]


class TestProvisioningUri:
    def test_uri_carries_secret_issuer_and_account(self) -> None:
        """The otpauth URI names the issuer and account and carries the secret."""
        secret = new_totp_secret()
        uri = provisioning_uri(secret, account="jane@example.com", issuer="Acme Shop")
        assert uri.startswith("otpauth://totp/Acme%20Shop:jane%40example.com?")
        assert f"secret={secret}" in uri
        assert "issuer=Acme%20Shop" in uri

    def test_colon_in_label_refused(self) -> None:
        """A colon in issuer or account would make the label ambiguous."""
        with pytest.raises(InvalidInput):
            provisioning_uri(new_totp_secret(), account="a:b", issuer="Acme")
