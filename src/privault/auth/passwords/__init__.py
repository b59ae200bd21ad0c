"""Password rules (NIST SP 800-63B rev 4) and argon2id hashing.

The rules (``rules``): length counted in Unicode code points after NFKC, no composition rules, a
blocklist of common passwords, no context words, a strength floor by zxcvbn, and optionally an
offline list of breached passwords (``breached``). Hashing (``hashing``): argon2id at no less than
OWASP's parameters, an optional pepper applied with HMAC-SHA256 before argon2, and upgrade of old
hashes on the next successful login.

Nothing in this package puts a password, or anything derived from one, into a message, a verdict
or an exception.
"""

from __future__ import annotations

from privault.auth.passwords.breached import BreachedPasswordList
from privault.auth.passwords.hashing import Argon2Parameters, PasswordHasher, Pepper
from privault.auth.passwords.rules import (
    DEFAULT_MAX_PASSWORD_LENGTH,
    PasswordPolicy,
    PasswordReason,
    PasswordVerdict,
    check_password,
    normalise_password,
)

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
