"""Password rules (NIST SP 800-63B rev 4) and argon2id hashing.

The rules: length counted in Unicode code points after NFKC, no composition rules, a blocklist of
common passwords, no context words, a strength floor by zxcvbn, and optionally an offline list of
breached passwords. Hashing: argon2id at no less than OWASP's parameters, an optional pepper applied
with HMAC-SHA256 before argon2, and upgrade of old hashes on the next successful login.

Nothing in this module puts a password, or anything derived from one, into a message, a verdict
or an exception.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# zxcvbn ships no type information; what is used here is wrapped in typed helpers below.
from zxcvbn import matching as _zxcvbn_matching
from zxcvbn import zxcvbn as _zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from privault.errors import IntegrityViolation, InvalidInput, Unavailable

__all__ = [
    "DEFAULT_MAX_PASSWORD_LENGTH",
    "Argon2Parameters",
    "BreachedPasswordList",
    "PasswordHasher",
    "PasswordPolicy",
    "PasswordReason",
    "PasswordVerdict",
    "Pepper",
    "check_password",
    "normalise_password",
]

DEFAULT_MAX_PASSWORD_LENGTH = 1024
"""Hard cap in code points: far above NIST's 64, low enough that NFKC and hashing stay cheap."""

_ZXCVBN_INPUT_LIMIT = 100  # zxcvbn is super-linear in length; the estimate only needs a prefix
_ZXCVBN_LOCK = threading.Lock()  # zxcvbn stores the current user_inputs in a module global
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise_password(password: str, *, max_length: int = DEFAULT_MAX_PASSWORD_LENGTH) -> str:
    """NFKC-normalise a password, refusing over-long or non-Unicode input with InvalidInput."""
    if not isinstance(password, str):
        raise InvalidInput("password must be text", code="password_not_text")
    # Checked before NFKC too, so a huge input never reaches the normaliser.
    if len(password) > max_length:
        raise _too_long(max_length)
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) > max_length:
        raise _too_long(max_length)
    # Lone surrogates arrive through JSON escapes; they are not text and cannot be hashed.
    # Tested without try/except: a caught UnicodeEncodeError would carry the password along
    # as the new error's __context__.
    if _SURROGATE.search(normalised):
        raise InvalidInput("password contains invalid Unicode", code="password_invalid_unicode")
    return normalised


def _too_long(max_length: int) -> InvalidInput:
    return InvalidInput(
        f"password is longer than {max_length} characters",
        code="password_too_long",
        max_length=max_length,
    )


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must satisfy; every number is a setting."""

    min_length_single_factor: int = 15
    """Minimum code points when the password is the only factor (NIST rev 4: 15)."""
    min_length_with_mfa: int = 8
    """Minimum code points when the account has a second factor (NIST rev 4: 8)."""
    max_length: int = DEFAULT_MAX_PASSWORD_LENGTH
    """Hard cap; longer input is InvalidInput. NIST requires at least 64 to be accepted."""
    min_zxcvbn_score: int = 3
    """Passwords whose zxcvbn score (0-4) is below this are refused."""
    min_zxcvbn_score_with_mfa: int = 2
    """The floor with a second factor: zxcvbn scores no 8-character password above 2."""
    context_word_min_length: int = 4
    """Context words shorter than this are ignored (too many false hits)."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_length_with_mfa <= self.min_length_single_factor:
            raise InvalidInput("password minimum lengths are inconsistent", code="bad_policy")
        if self.max_length < max(64, self.min_length_single_factor):
            raise InvalidInput("password max_length must be at least 64", code="bad_policy")
        if not 0 <= self.min_zxcvbn_score_with_mfa <= self.min_zxcvbn_score <= 4:
            raise InvalidInput("zxcvbn score floors must be within 0..4", code="bad_policy")
        if self.context_word_min_length < 1:
            raise InvalidInput("context_word_min_length must be positive", code="bad_policy")


@dataclass(frozen=True)
class PasswordReason:
    """One reason a password was refused: a stable code and guidance for the person."""

    code: str
    guidance: str


@dataclass(frozen=True)
class PasswordVerdict:
    """The outcome of checking a new password; never holds the password."""

    ok: bool
    reasons: tuple[PasswordReason, ...] = ()
    score: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes alone."""
        return tuple(reason.code for reason in self.reasons)


def check_password(
    password: str,
    *,
    policy: PasswordPolicy,
    has_second_factor: bool,
    context_words: Sequence[str] = (),
    breached: BreachedPasswordList | None = None,
) -> PasswordVerdict:
    """Check a new password against the policy; InvalidInput only for malformed input."""
    normalised = normalise_password(password, max_length=policy.max_length)
    folded = normalised.casefold()
    reasons: list[PasswordReason] = []

    if has_second_factor:
        minimum, min_score = policy.min_length_with_mfa, policy.min_zxcvbn_score_with_mfa
    else:
        minimum, min_score = policy.min_length_single_factor, policy.min_zxcvbn_score
    if len(normalised) < minimum:
        reasons.append(
            PasswordReason(
                "too_short",
                f"Use at least {minimum} characters. A few unrelated words make a good password.",
            )
        )
    if _is_blocklisted(folded):
        reasons.append(
            PasswordReason(
                "blocklisted",
                "This password, or its core, is on a list of common passwords. Choose another.",
            )
        )
    if breached is not None and breached.contains(password):
        reasons.append(
            PasswordReason(
                "breached",
                "This password appeared in a data breach. Never reuse it anywhere.",
            )
        )
    words = _context_tokens(context_words, min_length=policy.context_word_min_length)
    if any(word in folded for word in words):
        reasons.append(
            PasswordReason(
                "contains_context_word",
                "Do not use your name, your email address or the shop's name in a password.",
            )
        )
    score, warning, suggestions = _estimate(normalised, sorted(words))
    if score < min_score:
        hints = " ".join(part for part in (warning, *suggestions) if part)
        reasons.append(
            PasswordReason(
                "too_guessable",
                ("This password is easy to guess. " + hints).strip(),
            )
        )
    return PasswordVerdict(ok=not reasons, reasons=tuple(reasons), score=score)


@cache
def _blocklist() -> frozenset[str]:
    words = FREQUENCY_LISTS["passwords"]
    # zxcvbn releases ship the list either as one comma-separated string or already split.
    return frozenset(words.split(",") if isinstance(words, str) else words)


def _is_blocklisted(folded: str) -> bool:
    # "Password1234567!" is "password" padded to length; the padding adds almost no guesses.
    core = folded.strip("".join({ch for ch in folded if not ch.isalpha()}))
    blocklist = _blocklist()
    return folded in blocklist or (bool(core) and core in blocklist)


_NON_WORD = re.compile(r"[\W_]+")


def _context_tokens(context_words: Sequence[str], *, min_length: int) -> set[str]:
    tokens: set[str] = set()
    for entry in context_words:
        folded = unicodedata.normalize("NFKC", entry).casefold().strip()
        parts = [part for part in _NON_WORD.split(folded) if part]
        # "jane.doe@shop.example" yields jane, doe, shop, example, janedoe... and the whole.
        tokens.update((folded, "".join(parts), *parts))
        if "@" in folded:
            tokens.update(folded.split("@", 1))
    return {token for token in tokens if len(token) >= min_length}


def _estimate(password: str, user_inputs: list[str]) -> tuple[int, str, list[str]]:
    sample = password[:_ZXCVBN_INPUT_LIMIT]
    if not sample:
        return 0, "", []  # zxcvbn fails on empty input; nothing is weaker anyway
    with _ZXCVBN_LOCK:
        try:
            result = _zxcvbn(sample, user_inputs=user_inputs, max_length=_ZXCVBN_INPUT_LIMIT)
        finally:
            # zxcvbn leaves the caller's context words in a module global; do not keep them.
            _zxcvbn_matching.RANKED_DICTIONARIES["user_inputs"] = {}
    feedback = result["feedback"]
    return int(result["score"]), str(feedback["warning"]), [str(s) for s in feedback["suggestions"]]


# --- offline breached-password list (HIBP "range" layout) -----------------------------------

_HEX40 = re.compile(r"[0-9A-F]{40}")


class BreachedPasswordList:
    """An offline copy of Have I Been Pwned's SHA-1 password list.

    ``path`` is either a directory of range files named by the 5-hex-digit SHA-1 prefix
    (``ABCDE`` or ``ABCDE.txt``), each holding ``SUFFIX:COUNT`` lines as the range API returns
    them, or one file of ``HASH:COUNT`` lines sorted by hash (the downloader's single-file form),
    searched by bisection so it is never loaded into memory.
    """

    def __init__(self, path: Path, *, min_count: int = 1) -> None:
        if not path.exists():
            raise InvalidInput("breached password list not found", code="breached_list_missing")
        self._path = path
        self._min_count = min_count

    def contains(self, password: str) -> bool:
        """Whether the password (as typed, or NFKC-normalised) is in the list."""
        candidates = {password, unicodedata.normalize("NFKC", password)}
        return any(self._count(candidate) >= self._min_count for candidate in candidates)

    def _count(self, password: str) -> int:
        try:
            data = password.encode("utf-8")
        except UnicodeEncodeError:
            return 0
        digest = hashlib.sha1(data, usedforsecurity=False).hexdigest().upper()
        try:
            if self._path.is_dir():
                return self._count_in_range_file(digest)
            return self._count_in_sorted_file(digest)
        except OSError as exc:
            raise Unavailable(
                "breached password list cannot be read", code="breached_list_unreadable"
            ) from exc

    def _count_in_range_file(self, digest: str) -> int:
        prefix, suffix = digest[:5], digest[5:]
        for name in (f"{prefix}.txt", prefix):
            candidate = self._path / name
            if candidate.is_file():
                with candidate.open("r", encoding="ascii", errors="replace") as lines:
                    for line in lines:
                        entry, _, count = line.strip().partition(":")
                        if entry.upper() == suffix:
                            return _parse_count(count)
                return 0
        return 0  # an incomplete copy: an absent range file means no entry

    def _count_in_sorted_file(self, digest: str) -> int:
        target = digest.encode("ascii")
        with self._path.open("rb") as handle:
            low, high = 0, handle.seek(0, 2)
            # Invariant: the line holding target, if any, starts in [low, high).
            while low < high:
                middle = (low + high) // 2
                if middle > 0:
                    # Reading from middle-1 lands on the first line start at or after middle.
                    handle.seek(middle - 1)
                    handle.readline()
                else:
                    handle.seek(0)
                start = handle.tell()
                line = handle.readline()
                if start >= high or not line:
                    high = middle
                    continue
                key = line[:40].upper()
                if not line.strip():  # a trailing blank line sorts after every hash
                    high = middle
                    continue
                if key == target:
                    return _parse_count(line[41:].decode("ascii", errors="replace"))
                if not _HEX40.fullmatch(key.decode("ascii", errors="replace")):
                    raise IntegrityViolation(
                        "breached password list is malformed", code="breached_list_malformed"
                    )
                if key < target:
                    low = handle.tell()
                else:
                    high = middle
            # The bisection can stop on a line start it never read; check it directly.
            handle.seek(low)
            line = handle.readline()
            if line[:40].upper() == target:
                return _parse_count(line[41:].decode("ascii", errors="replace"))
        return 0


def _parse_count(text: str) -> int:
    try:
        return int(text.strip() or "1")
    except ValueError:
        raise IntegrityViolation(
            "breached password list is malformed", code="breached_list_malformed"
        ) from None


# --- hashing -------------------------------------------------------------------------------

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 is the floor.
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
