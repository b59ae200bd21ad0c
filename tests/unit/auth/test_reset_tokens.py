"""Reset tokens: bound to the account, its current password hash and an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privault.auth.reset import make_reset_token, parse_reset_token, reset_token_valid

KEY = b"k" * 32
ACCOUNT = "acc_" + "0123456789abcdef" * 2
HASH_ONE = "$argon2id$one"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def token(password_hash: str = HASH_ONE, key: bytes = KEY) -> str:
    """A token valid for 30 minutes from NOW."""
    return make_reset_token(
        key=key, account_id=ACCOUNT, password_hash=password_hash,
        expires_at=NOW + timedelta(minutes=30),
    )  # fmt: skip


def valid(text: str, *, password_hash: str = HASH_ONE, now: datetime = NOW) -> bool:
    """Parse and verify."""
    parsed = parse_reset_token(text)
    return parsed is not None and reset_token_valid(
        parsed, key=KEY, password_hash=password_hash, now=now
    )


def test_round_trip() -> None:
    """A fresh token verifies for its account and names it."""
    made = token()
    assert valid(made)
    parsed = parse_reset_token(made)
    assert parsed is not None
    assert parsed.account_id == ACCOUNT


def test_changed_password_invalidates() -> None:
    """Once the password hash changes, the token is dead: single use without a table."""
    assert not valid(token(), password_hash="$argon2id$two")


def test_expiry() -> None:
    """At the expiry moment and after, the token is refused."""
    assert valid(token(), now=NOW + timedelta(minutes=29, seconds=59))
    assert not valid(token(), now=NOW + timedelta(minutes=30))


def test_other_key_invalid() -> None:
    """A token made under another key does not verify."""
    assert not valid(token(key=b"j" * 32))


@pytest.mark.parametrize(
    "bad",
    ["", "x", "acc_1.2.3", ACCOUNT + ".abc." + "A" * 43, ACCOUNT + ".1." + "A" * 42, "é" * 60,
     "x" * 10_000],
)  # fmt: skip
def test_malformed_tokens_parse_to_none(bad: str) -> None:
    """Anything not shaped like a token is None, never an exception."""
    assert parse_reset_token(bad) is None


def test_moved_expiry_invalid() -> None:
    """Extending the expiry in the token breaks its MAC."""
    account, expires, mac = token().split(".")
    assert not valid(f"{account}.{int(expires) + 3600}.{mac}")


def test_aliases_and_far_future_expiries_do_not_parse() -> None:
    """Every spelling of the last character that decodes to the same MAC but the canonical one
    is refused, and an expiry past year 9999 is malformed, not an error."""
    from datetime import UTC, datetime, timedelta

    from privault.auth.reset import make_reset_token, parse_reset_token

    token = make_reset_token(
        key=b"k" * 32,
        account_id="acc_" + "1" * 32,
        password_hash="h",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    assert parse_reset_token(token) is not None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    parsed = [parse_reset_token(token[:-1] + ch) for ch in alphabet if ch != token[-1]]
    original = parse_reset_token(token)
    assert original is not None
    assert all(p is None or p.mac != original.mac for p in parsed)
    account, _, mac = token.split(".")
    assert parse_reset_token(f"{account}.999999999999.{mac}") is None
