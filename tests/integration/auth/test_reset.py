"""Password reset: a single-use emailed token; never a way around the second factor."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from privault.auth import (
    Authenticator,
    PasswordRejectedError,
    Refusal,
    ResetResult,
    messages_for,
)
from privault.errors import Unauthenticated
from privault.vault import Vault

from .conftest import ADDRESS, EMAIL, PASSWORD, MovableClock
from .helpers import code_at, current, enrol_totp, login, register, session_of

NEW_PASSWORD = "saffron glacier rotunda 9043 pike"


def request_token(auth: Authenticator, vault: Vault, account_id: str) -> str:
    """Ask for a reset and read the token from the outbox."""
    with vault.session() as db_session:
        auth.request_password_reset(db_session=db_session, login=EMAIL)
    with vault.session() as db_session:
        notes = messages_for(db_session=db_session, keys=auth.keys, account_id=account_id)
    resets = [n for n in notes if n.kind == "password_reset"]
    found = re.search(r"acc_[0-9a-f]{32}\.[0-9]+\.[A-Za-z0-9_-]{43}", resets[-1].body)
    assert found is not None
    return found.group(0)


def reset(auth: Authenticator, vault: Vault, token: str, **factor: str) -> ResetResult | Refusal:
    """Reset in its own transaction."""
    with vault.session() as db_session:
        return auth.reset_password(
            db_session=db_session, token=token, new_password=NEW_PASSWORD, address=ADDRESS,
            **factor,
        )  # fmt: skip


def test_reset_sets_the_password_and_ends_sessions(auth: Authenticator, vault: Vault) -> None:
    """The token sets a new password; old sessions end; the token then stops working."""
    account_id = register(auth, vault)
    old = session_of(login(auth, vault))
    token = request_token(auth, vault, account_id)
    assert isinstance(reset(auth, vault, token), ResetResult)
    with pytest.raises(Unauthenticated):
        current(auth, vault, old.token)
    session_of(login(auth, vault, password=NEW_PASSWORD))
    again = reset(auth, vault, token)
    assert isinstance(again, Refusal)
    assert again.error.code == "bad_reset_token"


def test_unknown_address_gets_no_message(auth: Authenticator, vault: Vault) -> None:
    """A request for an address without an account queues nothing and raises nothing."""
    with vault.session() as db_session:
        auth.request_password_reset(db_session=db_session, login="nobody@example.com")
    with vault.session() as db_session:
        assert (
            db_session.connection().exec_driver_sql("SELECT count(*) FROM auth_outbox").scalar()
            == 0
        )


def test_expired_and_tampered_tokens_are_refused(
    auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """A token past its 30 minutes, or with any character changed, does nothing."""
    account_id = register(auth, vault)
    token = request_token(auth, vault, account_id)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, token.replace(account_id, "acc_" + "0" * 32), "", "x" * 500, "a.b.c"):
        result = reset(auth, vault, bad)
        assert isinstance(result, Refusal)
        assert result.error.code == "bad_reset_token"
    clock.advance(minutes=31)
    expired = reset(auth, vault, token)
    assert isinstance(expired, Refusal)
    session_of(login(auth, vault))  # the old password still works


def test_reset_never_bypasses_the_second_factor(
    auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """With an authenticator, the token alone is refused; with a code it works."""
    account_id = register(auth, vault)
    enrolment, _ = enrol_totp(auth, vault, session_of(login(auth, vault)).token)
    token = request_token(auth, vault, account_id)
    without = reset(auth, vault, token)
    assert isinstance(without, Refusal)
    assert without.error.code == "bad_second_factor"
    wrong = reset(auth, vault, token, code="000000")
    assert isinstance(wrong, Refusal)
    clock.advance(seconds=30)
    assert isinstance(reset(auth, vault, token, code=code_at(enrolment.secret, auth)), ResetResult)


def test_weak_new_password_is_refused(auth: Authenticator, vault: Vault) -> None:
    """The rules apply to a reset too; the token stays usable."""
    account_id = register(auth, vault)
    token = request_token(auth, vault, account_id)
    with vault.session() as db_session:
        weak = auth.reset_password(
            db_session=db_session, token=token, new_password="password", address=ADDRESS
        )
    assert isinstance(weak, Refusal)
    assert isinstance(weak.error, PasswordRejectedError)
    assert isinstance(reset(auth, vault, token), ResetResult)


def test_reset_over_http(client: TestClient, auth: Authenticator, vault: Vault) -> None:
    """Both endpoints answer alike for unknown addresses; a bad token is 401."""
    client.post("/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    known = client.post("/v1/auth/password/reset/request", json={"email": EMAIL})
    unknown = client.post("/v1/auth/password/reset/request", json={"email": "no@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    bad = client.post("/v1/auth/password/reset", json={"token": "x", "new_password": NEW_PASSWORD})
    assert bad.status_code == 401
    with vault.session() as db_session:
        account_id = (
            db_session.connection().exec_driver_sql("SELECT id FROM auth_accounts").scalar()
        )
    token = request_token(auth, vault, str(account_id))
    good = client.post(
        "/v1/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert good.status_code == 200
    assert token not in good.text
    assert NEW_PASSWORD not in bad.text


def test_refused_new_password_does_not_use_up_the_code(auth: Authenticator, vault: Vault) -> None:
    """A rule-breaking password is refused before the recovery code is spent."""
    account_id = register(auth, vault)
    _, codes = enrol_totp(auth, vault, session_of(login(auth, vault)).token)
    token = request_token(auth, vault, account_id)
    with vault.session() as db_session:
        weak = auth.reset_password(
            db_session=db_session, token=token, new_password="pass", address=ADDRESS,
            recovery_code=codes[0],
        )  # fmt: skip
    assert isinstance(weak, Refusal)
    assert isinstance(reset(auth, vault, token, recovery_code=codes[0]), ResetResult)
