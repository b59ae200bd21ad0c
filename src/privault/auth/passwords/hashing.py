"""argon2id password hashing at no less than OWASP's parameters, an optional pepper applied with
HMAC-SHA256 before argon2, and upgrade of old hashes on the next successful login."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from privault.auth.passwords.rules import DEFAULT_MAX_PASSWORD_LENGTH, normalise_password
from privault.errors import IntegrityViolation, InvalidInput, Unavailable

_OWASP_MIN_MEMORY_KIB = 19456
_OWASP_MIN_TIME_COST = 2
_PEPPER_SCHEME = "hmac-sha256"
_PEPPER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost parameters; the defaults are OWASP's minimum."""

    memory_kib: int = _OWASP_MIN_MEMORY_KIB
    """Memory per hash in KiB (OWASP minimum 19456 = 19 MiB)."""
    time_cost: int = _OWASP_MIN_TIME_COST
    """Passes over memory (OWASP minimum 2 at 19 MiB)."""
    parallelism: int = 1
    """Lanes; 1 keeps one login on one core."""
    hash_len: int = 32
    """Tag length in bytes."""
    salt_len: int = 16
    """Random salt length in bytes (RFC 9106 recommends 16)."""

    def __post_init__(self) -> None:
        if (
            min(self.time_cost, self.parallelism) < 1
            or self.memory_kib < 8 * self.parallelism
            or self.hash_len < 4
            or self.salt_len < 8
        ):
            raise InvalidInput("argon2 parameters are invalid", code="bad_hash_parameters")

    def meets_owasp_minimum(self) -> bool:
        """Whether these parameters are at least OWASP's argon2id floor."""
        return (
            self.memory_kib >= _OWASP_MIN_MEMORY_KIB
            and self.time_cost >= _OWASP_MIN_TIME_COST
            and self.parallelism >= 1
            and self.hash_len >= 16
            and self.salt_len >= 16
        )


@dataclass(frozen=True)
class Pepper:
    """A secret from the key store mixed into every password before argon2."""

    key_id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _PEPPER_ID.fullmatch(self.key_id):
            raise InvalidInput("pepper key_id must be 1-64 of [A-Za-z0-9_.-]", code="bad_pepper")
        if len(self.key) < 16:
            raise InvalidInput("pepper must be at least 16 bytes", code="bad_pepper")


class PasswordHasher:
    """argon2id hashing with NFKC, an optional pepper, and upgrade on login.

    Stored form: the argon2 PHC string, prefixed with ``hmac-sha256:<key_id>:`` when a pepper
    was used, so the pepper can be rotated (old ids in ``previous_peppers``) without downtime.
    """

    def __init__(
        self,
        parameters: Argon2Parameters | None = None,
        *,
        pepper: Pepper | None = None,
        previous_peppers: Sequence[Pepper] = (),
        max_length: int = DEFAULT_MAX_PASSWORD_LENGTH,
        allow_below_owasp_minimum: bool = False,
    ) -> None:
        self.parameters = parameters or Argon2Parameters()
        if not allow_below_owasp_minimum and not self.parameters.meets_owasp_minimum():
            raise InvalidInput(
                "argon2 parameters are below OWASP's minimum (m=19456 KiB, t=2, p=1)",
                code="weak_hash_parameters",
            )
        try:
            self._argon = argon2.PasswordHasher(
                time_cost=self.parameters.time_cost,
                memory_cost=self.parameters.memory_kib,
                parallelism=self.parameters.parallelism,
                hash_len=self.parameters.hash_len,
                salt_len=self.parameters.salt_len,
                type=argon2.Type.ID,
            )
        except (ValueError, TypeError) as exc:
            raise InvalidInput("argon2 parameters are invalid", code="bad_hash_parameters") from exc
        self._pepper = pepper
        self._peppers = {p.key_id: p for p in (*previous_peppers, *([pepper] if pepper else []))}
        self._max_length = max_length
        # Unknown accounts are checked against this, so they cost what known ones cost.
        self._dummy_hash = self.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        """Hash a password for storage (NFKC, pepper if configured, argon2id)."""
        secret = self._secret(
            normalise_password(password, max_length=self._max_length), self._pepper
        )
        try:
            argon_hash = self._argon.hash(secret)
        except argon2.exceptions.HashingError as exc:  # e.g. memory could not be allocated
            raise Unavailable("password hashing failed", code="password_hashing_failed") from exc
        if self._pepper is None:
            return argon_hash
        return f"{_PEPPER_SCHEME}:{self._pepper.key_id}:{argon_hash}"

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether the password matches; IntegrityViolation if the stored hash is corrupt."""
        normalised = normalise_password(password, max_length=self._max_length)
        pepper, argon_hash = self._split(stored_hash)
        try:
            return self._argon.verify(argon_hash, self._secret(normalised, pepper))
        except VerifyMismatchError:
            return False
        except (VerificationError, InvalidHashError) as exc:
            raise IntegrityViolation(
                "stored password hash is corrupt", code="password_hash_corrupt"
            ) from exc

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether the stored hash was made with other parameters or another pepper."""
        pepper, argon_hash = self._split(stored_hash)
        if pepper != self._pepper:
            return True
        try:
            return self._argon.check_needs_rehash(argon_hash)
        except (InvalidHashError, ValueError) as exc:
            raise IntegrityViolation(
                "stored password hash is corrupt", code="password_hash_corrupt"
            ) from exc

    def verify_and_maybe_rehash(self, stored_hash: str, password: str) -> tuple[bool, str | None]:
        """Verify; on success with outdated parameters also return a new hash to store."""
        if not self.verify(stored_hash, password):
            return False, None
        if self.needs_rehash(stored_hash):
            return True, self.hash(password)
        return True, None

    def dummy_verify(self, password: str) -> None:
        """Spend what a failed login spends, for an account that does not exist."""
        self.verify_and_maybe_rehash(self._dummy_hash, password)

    def _split(self, stored_hash: str) -> tuple[Pepper | None, str]:
        if not isinstance(stored_hash, str):
            raise IntegrityViolation(
                "stored password hash is corrupt", code="password_hash_corrupt"
            )
        if stored_hash.startswith("$argon2"):
            return None, stored_hash
        scheme, _, rest = stored_hash.partition(":")
        key_id, _, argon_hash = rest.partition(":")
        if scheme != _PEPPER_SCHEME or not argon_hash.startswith("$argon2"):
            raise IntegrityViolation(
                "stored password hash is corrupt", code="password_hash_corrupt"
            )
        pepper = self._peppers.get(key_id)
        if pepper is None:
            raise IntegrityViolation(
                "stored password hash names a pepper that is not configured",
                code="password_pepper_unknown",
                pepper_id=key_id,
            )
        return pepper, argon_hash

    @staticmethod
    def _secret(normalised: str, pepper: Pepper | None) -> bytes:
        data = normalised.encode("utf-8")
        if pepper is None:
            return data
        # HMAC, not concatenation: a fixed-length PRF output with no boundary ambiguity, and
        # argon2-cffi exposes no argon2 "secret" input to carry the pepper natively.
        return hmac.new(pepper.key, data, hashlib.sha256).digest()
