"""Password-reset tokens: stateless, signed, short-lived, and single-use by construction.

A token names the account and its expiry and carries an HMAC over both and the account's current
password hash. Once the password changes (by this reset or any other way) the hash differs and
every earlier token stops verifying, so no table of issued tokens is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

_TOKEN = re.compile(r"(acc_[0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})", re.ASCII)


@dataclass(frozen=True)
class ResetToken:
    """A parsed (not yet verified) reset token."""

    account_id: str
    expires_at: datetime
    mac: bytes


def _mac(key: bytes, account_id: str, expires: int, password_hash: str) -> bytes:
    message = f"privault/reset/v1\x00{account_id}\x00{expires}\x00{password_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def make_reset_token(
    *, key: bytes, account_id: str, password_hash: str, expires_at: datetime
) -> str:
    """A token for ``account_id`` valid until ``expires_at`` while the password is unchanged."""
    expires = int(expires_at.timestamp())
    mac = base64.urlsafe_b64encode(_mac(key, account_id, expires, password_hash)).rstrip(b"=")
    return f"{account_id}.{expires}.{mac.decode('ascii')}"


def parse_reset_token(token: str) -> ResetToken | None:
    """The parts of a well-formed token, or None."""
    if not isinstance(token, str) or len(token) > 128:
        return None
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    encoded = match.group(3)
    mac = base64.urlsafe_b64decode(encoded + "=")
    # One spelling per token: a last character differing only in its unused bits decodes to
    # the same MAC, and is refused rather than accepted as an alias.
    if base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii") != encoded:
        return None
    try:
        expires_at = datetime.fromtimestamp(int(match.group(2)), UTC)
    except (ValueError, OverflowError, OSError):  # a time past what datetime can hold
        return None
    return ResetToken(match.group(1), expires_at, mac)


def reset_token_valid(parsed: ResetToken, *, key: bytes, password_hash: str, now: datetime) -> bool:
    """Whether the token is unexpired and was made for the account's current password hash."""
    expected = _mac(key, parsed.account_id, int(parsed.expires_at.timestamp()), password_hash)
    return hmac.compare_digest(expected, parsed.mac) and now < parsed.expires_at
