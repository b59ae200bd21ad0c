"""Password rules (NIST SP 800-63B rev 4): length counted in Unicode code points after NFKC, no
composition rules, a blocklist of common passwords, no context words, a strength floor by zxcvbn,
and optionally an offline list of breached passwords.

Nothing here puts a password, or anything derived from one, into a message, a verdict or an
exception.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

# zxcvbn ships no type information; what is used here is wrapped in typed helpers below.
from zxcvbn import matching as _zxcvbn_matching
from zxcvbn import zxcvbn as _zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from privault.auth.passwords.breached import BreachedPasswordList
from privault.errors import InvalidInput

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
