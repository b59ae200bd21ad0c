"""argon2id hashing: parameters, NFKC, pepper, rehash on login, corrupt hashes, dummy checks."""

from __future__ import annotations

import argon2
import pytest
from argon2 import extract_parameters

from privault.auth import Argon2Parameters, PasswordHasher, Pepper
from privault.errors import IntegrityViolation, InvalidInput, PrivaultError

# Cheap parameters for tests that are not about cost; built explicitly, never the default.
CHEAP = Argon2Parameters(memory_kib=64, time_cost=1, parallelism=1, hash_len=16, salt_len=16)
CHEAPER = Argon2Parameters(memory_kib=32, time_cost=1, parallelism=1, hash_len=16, salt_len=16)
PEPPER_A = Pepper("pepper-a", b"A" * 32)
PEPPER_B = Pepper("pepper-b", b"B" * 32)
CANARY = "canary-secret-5e1d-horse-battery"


def cheap(**kwargs: object) -> PasswordHasher:
    """A hasher at test-only cost."""
    return PasswordHasher(CHEAP, allow_below_owasp_minimum=True, **kwargs)  # type: ignore[arg-type]


class TestParameters:
    def test_default_parameters_are_owasp_minimum(self) -> None:
        """Hashes made by default carry argon2id, m=19456 KiB, t=2, p=1."""
        stored = PasswordHasher().hash("any password at all")
        params = extract_parameters(stored)
        assert params.type is argon2.Type.ID
        assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)

    @pytest.mark.parametrize(
        "weak",
        [
            Argon2Parameters(memory_kib=19455),
            Argon2Parameters(time_cost=1),
            Argon2Parameters(salt_len=8),
            Argon2Parameters(hash_len=8),
        ],
    )
    def test_weaker_than_owasp_refused(self, weak: Argon2Parameters) -> None:
        """Configuring below OWASP's floor is InvalidInput unless explicitly allowed for tests."""
        with pytest.raises(InvalidInput) as caught:
            PasswordHasher(weak)
        assert caught.value.code == "weak_hash_parameters"

    def test_nonsense_parameters_are_invalid_input(self) -> None:
        """Parameters argon2 itself cannot use are InvalidInput, not a library error."""
        with pytest.raises(InvalidInput):
            Argon2Parameters(parallelism=0)


class TestVerify:
    def test_right_password_verifies(self) -> None:
        """A hash verifies against the password it was made from."""
        hasher = cheap()
        assert hasher.verify(hasher.hash(CANARY), CANARY)

    def test_wrong_password_fails(self) -> None:
        """A different password gives False, not an exception."""
        hasher = cheap()
        assert not hasher.verify(hasher.hash(CANARY), CANARY + "x")

    def test_composed_and_decomposed_accents_verify_against_each_other(self) -> None:
        """é typed as U+00E9 and as e + U+0301 are the same password."""
        hasher = cheap()
        composed, decomposed = (
            "caf\u00e9 au lait s'il vous pla\u00eet",
            "cafe\u0301 au lait s'il vous plai\u0302t",
        )
        assert hasher.verify(hasher.hash(composed), decomposed)
        assert hasher.verify(hasher.hash(decomposed), composed)

    def test_no_truncation_of_long_passwords(self) -> None:
        """Passwords differing only in their last of 1000 characters do not match."""
        hasher = cheap()
        base = "x" * 999
        assert not hasher.verify(hasher.hash(base + "a"), base + "b")

    def test_sixty_four_emoji_hash_and_verify(self) -> None:
        """Astral-plane characters are hashed whole."""
        hasher = cheap()
        password = "".join(chr(0x1F600 + i) for i in range(64))
        assert hasher.verify(hasher.hash(password), password)

    def test_ten_kilobyte_password_refused_before_hashing(self) -> None:
        """A 10 KB password is InvalidInput for hash and verify; argon2 never runs."""
        hasher = cheap()
        stored = hasher.hash("short enough")
        huge = "y" * 10 * 1024
        with pytest.raises(InvalidInput):
            hasher.hash(huge)
        with pytest.raises(InvalidInput):
            hasher.verify(stored, huge)

    def test_hashes_are_salted(self) -> None:
        """The same password hashes differently each time."""
        hasher = cheap()
        assert hasher.hash(CANARY) != hasher.hash(CANARY)


class TestRehash:
    def test_rehash_after_parameter_change(self) -> None:
        """A hash from older parameters is replaced on a successful login."""
        old = PasswordHasher(CHEAPER, allow_below_owasp_minimum=True)
        new = cheap()
        ok, replacement = new.verify_and_maybe_rehash(old.hash(CANARY), CANARY)
        assert ok
        assert replacement is not None
        assert extract_parameters(replacement).memory_cost == CHEAP.memory_kib
        assert new.verify(replacement, CANARY)

    def test_no_rehash_on_wrong_password(self) -> None:
        """A failed login never produces a new hash."""
        old = PasswordHasher(CHEAPER, allow_below_owasp_minimum=True)
        assert cheap().verify_and_maybe_rehash(old.hash(CANARY), "wrong") == (False, None)

    def test_no_rehash_when_parameters_unchanged(self) -> None:
        """A current hash is left alone."""
        hasher = cheap()
        assert hasher.verify_and_maybe_rehash(hasher.hash(CANARY), CANARY) == (True, None)

    def test_argon2i_hash_is_upgraded_to_argon2id(self) -> None:
        """A hash of another argon2 variant verifies and is replaced by argon2id."""
        legacy = argon2.PasswordHasher(
            memory_cost=64, time_cost=1, parallelism=1, hash_len=16, type=argon2.Type.I
        ).hash(CANARY)
        ok, replacement = cheap().verify_and_maybe_rehash(legacy, CANARY)
        assert ok
        assert replacement is not None
        assert replacement.startswith("$argon2id$")


class TestPepper:
    def test_pepper_changes_verification(self) -> None:
        """A peppered hash does not verify under another secret with the same key id."""
        stored = cheap(pepper=PEPPER_A).hash(CANARY)
        impostor = cheap(pepper=Pepper("pepper-a", b"Z" * 32))
        assert not impostor.verify(stored, CANARY)

    def test_peppered_hash_is_not_plain_argon2_of_password(self) -> None:
        """The argon2 part of a peppered hash does not verify the bare password."""
        stored = cheap(pepper=PEPPER_A).hash(CANARY)
        argon_part = stored.split(":", 2)[2]
        with pytest.raises(argon2.exceptions.VerifyMismatchError):
            argon2.PasswordHasher().verify(argon_part, CANARY)

    def test_rotated_pepper_still_verifies_and_rehashes(self) -> None:
        """After rotation the old pepper verifies old hashes, which are then re-peppered."""
        stored = cheap(pepper=PEPPER_A).hash(CANARY)
        rotated = cheap(pepper=PEPPER_B, previous_peppers=[PEPPER_A])
        ok, replacement = rotated.verify_and_maybe_rehash(stored, CANARY)
        assert ok
        assert replacement is not None
        assert replacement.startswith("hmac-sha256:pepper-b:$argon2id$")

    def test_adding_a_pepper_rehashes_unpeppered_hashes(self) -> None:
        """Hashes from before a pepper was configured verify and are upgraded."""
        stored = cheap().hash(CANARY)
        ok, replacement = cheap(pepper=PEPPER_A).verify_and_maybe_rehash(stored, CANARY)
        assert ok
        assert replacement is not None
        assert replacement.startswith("hmac-sha256:pepper-a:")

    def test_unknown_pepper_id_is_integrity_violation(self) -> None:
        """A hash naming a pepper the key store no longer has is reported, not silently False."""
        stored = cheap(pepper=PEPPER_A).hash(CANARY)
        with pytest.raises(IntegrityViolation) as caught:
            cheap(pepper=PEPPER_B).verify(stored, CANARY)
        assert caught.value.code == "password_pepper_unknown"

    def test_short_pepper_refused(self) -> None:
        """A pepper under 16 bytes is refused."""
        with pytest.raises(InvalidInput):
            Pepper("p", b"short")

    def test_pepper_key_not_in_repr(self) -> None:
        """The pepper's bytes never show up in its repr."""
        assert "AAAA" not in repr(PEPPER_A)


class TestCorruptHashes:
    @pytest.mark.parametrize(
        "stored",
        [
            "",
            "not a hash",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA",
            "$argon2id$v=19$m=64,t=1,p=1$!!!!$!!!!",
            "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "bcrypt:$2b$12$abcdefghijklmnopqrstuv",
            "hmac-sha256:pepper-a:not-argon",
        ],
    )
    def test_corrupt_stored_hash_is_integrity_violation(self, stored: str) -> None:
        """A stored hash argon2 cannot parse is an IntegrityViolation, never a crash."""
        hasher = cheap(pepper=PEPPER_A)
        with pytest.raises(IntegrityViolation):
            hasher.verify(stored, CANARY)

    def test_corrupt_hash_in_needs_rehash_is_integrity_violation(self) -> None:
        """needs_rehash on garbage reports corruption too."""
        with pytest.raises(IntegrityViolation):
            cheap().needs_rehash("$argon2id$garbage")

    def test_tampered_tag_is_a_mismatch(self) -> None:
        """A well-formed hash whose tag was changed simply fails to verify."""
        hasher = cheap()
        stored = hasher.hash(CANARY)
        tampered = stored[:-2] + ("AA" if not stored.endswith("AA") else "BB")
        assert not hasher.verify(tampered, CANARY)


class TestDummyVerify:
    def test_dummy_verify_runs_argon2_at_current_parameters(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The unknown-account path runs one argon2 verification at the configured cost."""
        hasher = cheap(pepper=PEPPER_A)
        seen: list[str] = []
        real_verify = argon2.PasswordHasher.verify

        def spy(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
            seen.append(str(hash))
            return real_verify(self, hash, password)

        monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
        hasher.dummy_verify(CANARY)
        assert len(seen) == 1
        params = extract_parameters(seen[0])
        assert (params.memory_cost, params.time_cost, params.type) == (64, 1, argon2.Type.ID)

    def test_dummy_verify_refuses_oversized_input_like_a_real_login(self) -> None:
        """Unknown and known accounts answer a 10 KB password the same way."""
        with pytest.raises(InvalidInput):
            cheap().dummy_verify("z" * 10 * 1024)


class TestSecretsNeverLeak:
    def test_canary_not_in_any_error(self) -> None:
        """No error raised while hashing or verifying quotes the password."""
        hasher = cheap(pepper=PEPPER_A)
        errors: list[PrivaultError] = []
        for action in (
            lambda: hasher.verify("$argon2id$v=19$m=64,t=1,p=1$!!!!$!!!!", CANARY),
            lambda: hasher.verify("junk", CANARY),
            lambda: hasher.hash(CANARY * 100),
            lambda: hasher.verify(hasher.hash("x"), CANARY + "\ud800"),
        ):
            with pytest.raises(PrivaultError) as caught:
                action()
            errors.append(caught.value)
        for error in errors:
            chain: BaseException | None = error
            while chain is not None:
                assert "canary" not in str(chain)
                assert "canary" not in repr(chain.args)
                chain = chain.__cause__ or chain.__context__
            assert "canary" not in repr(error.context)
