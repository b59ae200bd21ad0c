"""Time-based one-time passwords (RFC 6238) with replay refusal.

``verify_totp`` returns the time step a code matched. The caller stores it and passes it back as
``last_used_step``: any step at or before it is refused, so each code is accepted once. Across
several server processes the store must update ``last_used_step`` with a compare-and-set, so two
processes racing on the same code cannot both succeed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyotp

from privault.errors import IntegrityViolation, InvalidInput

__all__ = [
    "TotpParameters",
    "new_totp_secret",
    "provisioning_uri",
    "totp_step",
    "verify_totp",
]

_SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended HMAC-SHA1 key length
_DIGESTS: dict[str, Callable[..., hashlib._Hash]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True)
class TotpParameters:
    """How codes are made; the defaults are what every authenticator app understands."""

    digits: int = 6
    """Code length (6-10)."""
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha1"
    """HMAC hash; many apps ignore anything but sha1."""
    period: int = 30
    """Seconds per time step (NIST rev 4: at most 120)."""
    window: int = 1
    """Steps accepted either side of the current one, for clock drift."""

    def __post_init__(self) -> None:
        if not 6 <= self.digits <= 10:
            raise InvalidInput("TOTP digits must be within 6..10", code="bad_totp_parameters")
        if self.algorithm not in _DIGESTS:
            raise InvalidInput("TOTP algorithm is not supported", code="bad_totp_parameters")
        if not 0 < self.period <= 120:
            raise InvalidInput("TOTP period must be within 1..120 s", code="bad_totp_parameters")
        if not 0 <= self.window <= 2:
            raise InvalidInput("TOTP window must be within 0..2", code="bad_totp_parameters")


_DEFAULT = TotpParameters()


def new_totp_secret() -> str:
    """A new 160-bit secret from the CSPRNG, base32 without padding."""
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii").rstrip("=")


def provisioning_uri(
    secret: str, *, account: str, issuer: str, parameters: TotpParameters = _DEFAULT
) -> str:
    """The ``otpauth://`` URI an authenticator app scans as a QR code."""
    if ":" in issuer or ":" in account:
        # The label is "issuer:account"; a colon in either part makes it ambiguous.
        raise InvalidInput("TOTP issuer and account must not contain ':'", code="bad_totp_label")
    return _otp(secret, parameters).provisioning_uri(name=account, issuer_name=issuer)


def totp_step(at: datetime, *, parameters: TotpParameters = _DEFAULT) -> int:
    """The RFC 6238 time step containing ``at`` (a timezone-aware datetime)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("TOTP time must be timezone-aware", code="naive_datetime")
    return int(at.timestamp()) // parameters.period


def verify_totp(
    secret: str,
    code: str,
    *,
    at: datetime,
    last_used_step: int | None,
    parameters: TotpParameters = _DEFAULT,
) -> int | None:
    """The time step ``code`` matches within the window and after ``last_used_step``, or None."""
    current = totp_step(at, parameters=parameters)
    candidate = _clean_code(code, parameters.digits)
    otp = _otp(secret, parameters)
    if candidate is None:
        return None
    matched: int | None = None
    for step in range(current - parameters.window, current + parameters.window + 1):
        if step < 0 or (last_used_step is not None and step <= last_used_step):
            continue
        expected = otp.generate_otp(step).encode("ascii")
        # Every candidate step is compared, so timing says nothing about which one matched.
        if hmac.compare_digest(expected, candidate) and matched is None:
            matched = step
    return matched


def _clean_code(code: str, digits: int) -> bytes | None:
    if not isinstance(code, str) or len(code) > 4 * digits:
        return None
    # Apps show "123 456"; people type it that way. Only ASCII digits count: str.isdigit()
    # would accept "١٢٣٤٥٦" and other scripts' digits.
    compact = code.strip().replace(" ", "")
    if len(compact) != digits or not compact.isascii() or not compact.isdigit():
        return None
    return compact.encode("ascii")


def _otp(secret: str, parameters: TotpParameters) -> pyotp.TOTP:
    try:
        return pyotp.TOTP(
            secret,
            digits=parameters.digits,
            digest=_DIGESTS[parameters.algorithm],
            interval=parameters.period,
        )
    except (ValueError, TypeError, binascii.Error) as exc:
        raise IntegrityViolation("stored TOTP secret is malformed", code="totp_secret_bad") from exc
