"""Step-up for an account whose only second factor is a security key: the key, not the password.

Over HTTP with the software authenticator: ``/v1/auth/reauth`` refuses such an account, and
``/v1/auth/reauth/webauthn[/options]`` re-authenticates it with an assertion (with the password,
or with user verification on the key).
"""

from __future__ import annotations

import logging
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text

from privault.config import Settings
from privault.vault import Vault

from .conftest import PASSWORD, MovableClock, with_auth
from .helpers import audit_rows, dump_tables
from .softkey import FLAG_UP, FLAG_UV, ORIGIN, RP_ID, SoftKey
from .test_webauthn_routes import BASE, COOKIE, add_key, login, signed_up, use_key

STEP_UP = "/v1/auth/reauth/webauthn"


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    """Cheap hashing and a relying party at shop.example."""
    return with_auth(settings, webauthn_rp_id=RP_ID, webauthn_origins=[ORIGIN])


@pytest.fixture
def key(client: TestClient) -> SoftKey:
    """A customer whose only second factor is a software key, logged in with it."""
    signed_up(client)
    key = SoftKey()
    assert add_key(client, key).status_code == 200
    assert client.post("/v1/auth/logout").status_code == 204
    assert login(client).json()["stage"] == "mfa_pending"
    assert use_key(client, key).status_code == 200
    return key


def step_up(
    client: TestClient, key: SoftKey, *, password: str | None = PASSWORD, **bend: Any
) -> Response:
    """Both step-up calls; returns the second answer."""
    options = client.post(f"{STEP_UP}/options")
    assert options.status_code == 200, options.text
    body = options.json()
    answer: dict[str, Any] = {
        "challenge_id": body["challenge_id"],
        "credential": key.authenticate(body["options"], **bend),
    }
    if password is not None:
        answer["password"] = password
    return client.post(STEP_UP, json=answer)


def stale(clock: MovableClock, settings: Settings) -> None:
    """Move past the step-up window (the session itself stays alive)."""
    clock.advance(seconds=settings.auth.step_up_s + 1)


def key_id(client: TestClient) -> str:
    """The id of the caller's one key."""
    listed = client.get(f"{BASE}/credentials").json()
    return str(listed[0]["id"])


class TestPasswordIsNotEnough:
    """A password cannot stand in for the key an account uses as its second factor."""

    def test_password_step_up_is_refused_and_audited(
        self, client: TestClient, key: SoftKey, clock: MovableClock, vault: Vault
    ) -> None:
        """/reauth answers 403 webauthn_required; the session stays stale."""
        stale(clock, vault.settings)
        refused = client.post("/v1/auth/reauth", json={"password": PASSWORD})
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "webauthn_required"
        assert "set-cookie" not in refused.headers
        removal = client.delete(f"{BASE}/credentials/{key_id(client)}")
        assert removal.status_code == 403
        assert removal.json()["code"] == "step_up_required"
        with vault.session() as db_session:
            denied = [e for e in audit_rows(db_session, "auth.reauth") if e["outcome"] == "denied"]
        assert denied

    def test_recovery_codes_need_the_key_not_just_the_password(
        self, client: TestClient, key: SoftKey, clock: MovableClock, vault: Vault
    ) -> None:
        """Replacing recovery codes (changing a factor): stale 403, after the key's step-up 200."""
        stale(clock, vault.settings)
        refused = client.post("/v1/auth/mfa/recovery-codes", json={"password": PASSWORD})
        assert refused.status_code == 403
        assert refused.json()["code"] == "webauthn_required"
        assert step_up(client, key).status_code == 200
        replaced = client.post("/v1/auth/mfa/recovery-codes", json={"password": PASSWORD})
        assert replaced.status_code == 200, replaced.text
        assert len(replaced.json()["recovery_codes"]) == 10

    def test_adding_an_app_needs_the_key_when_stale(
        self, client: TestClient, key: SoftKey, clock: MovableClock, vault: Vault
    ) -> None:
        """A stolen password alone cannot add an authenticator beside the key."""
        stale(clock, vault.settings)
        refused = client.post("/v1/auth/mfa/totp", json={"password": PASSWORD})
        assert refused.status_code == 403
        assert refused.json()["code"] == "webauthn_required"
        assert step_up(client, key).status_code == 200
        assert client.post("/v1/auth/mfa/totp", json={"password": PASSWORD}).status_code == 200


class TestKeyStepUp:
    """The key's assertion re-authenticates the session."""

    def test_key_and_password_refresh_the_session(
        self, client: TestClient, key: SoftKey, clock: MovableClock, vault: Vault
    ) -> None:
        """New token, the old one is dead, sensitive operations open again."""
        stale(clock, vault.settings)
        old = client.cookies[COOKIE]
        done = step_up(client, key)
        assert done.status_code == 200, done.text
        assert done.json()["stage"] == "active"
        assert client.cookies[COOKIE] != old
        assert client.delete(f"{BASE}/credentials/{key_id(client)}").status_code == 204
        client.cookies.clear()
        client.cookies.set(COOKIE, old)
        assert client.get("/v1/auth/me").status_code == 401

    def test_without_password_the_key_must_verify_its_user(
        self, client: TestClient, key: SoftKey
    ) -> None:
        """User presence alone is one factor: refused. With user verification: accepted."""
        refused = step_up(client, key, password=None, flags=FLAG_UP)
        assert refused.status_code == 401
        assert refused.json()["code"] == "webauthn_failed"
        assert step_up(client, key, password=None, flags=FLAG_UP | FLAG_UV).status_code == 200

    def test_wrong_password_another_key_or_origin_is_refused(
        self, client: TestClient, key: SoftKey
    ) -> None:
        """Both must hold; a key the account never registered, or a phishing origin, fails."""
        wrong = step_up(client, key, password="not the password at all")
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "bad_credentials"
        other = step_up(client, SoftKey(user_handle=key.user_handle))
        assert other.status_code == 401
        assert other.json()["code"] == "webauthn_failed"
        phished = step_up(client, key, origin="https://shop.example.evil")
        assert phished.status_code == 401
        assert client.get("/v1/auth/me").status_code == 200  # refusals leave the session be

    def test_replayed_assertion_is_refused(self, client: TestClient, key: SoftKey) -> None:
        """The challenge is single use."""
        options = client.post(f"{STEP_UP}/options").json()
        answer = {
            "challenge_id": options["challenge_id"],
            "credential": key.authenticate(options["options"]),
            "password": PASSWORD,
        }
        assert client.post(STEP_UP, json=answer).status_code == 200
        replay = client.post(STEP_UP, json=answer)
        assert replay.status_code == 401
        assert replay.json()["code"] == "webauthn_challenge"

    def test_another_sessions_challenge_is_refused(self, client: TestClient, key: SoftKey) -> None:
        """A challenge is bound to the session it was issued to."""
        options = client.post(f"{STEP_UP}/options").json()
        assert client.post("/v1/auth/logout").status_code == 204
        assert login(client).json()["stage"] == "mfa_pending"
        assert use_key(client, key).status_code == 200
        refused = client.post(
            STEP_UP,
            json={
                "challenge_id": options["challenge_id"],
                "credential": key.authenticate(options["options"]),
                "password": PASSWORD,
            },
        )
        assert refused.status_code == 401
        assert refused.json()["code"] == "webauthn_challenge"

    def test_no_session_is_401_and_no_key_is_409(self, client: TestClient) -> None:
        """Without a session nothing starts; an account without a key has nothing to answer."""
        assert client.post(f"{STEP_UP}/options").status_code == 401
        signed_up(client)
        no_key = client.post(f"{STEP_UP}/options")
        assert no_key.status_code == 409
        assert no_key.json()["code"] == "no_webauthn_credential"

    def test_app_and_key_account_may_still_use_password_and_code(
        self, client: TestClient, key: SoftKey, clock: MovableClock, vault: Vault
    ) -> None:
        """With an authenticator app too, /reauth with password and code works as before."""
        started = client.post("/v1/auth/mfa/totp", json={"password": PASSWORD})
        secret = started.json()["secret"]
        confirmed = client.post(
            "/v1/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())}
        )
        assert confirmed.status_code == 200, confirmed.text
        stale(clock, vault.settings)
        code = pyotp.TOTP(secret).at(clock.now())
        done = client.post("/v1/auth/reauth", json={"password": PASSWORD, "code": code})
        assert done.status_code == 200, done.text


def test_nothing_secret_in_logs_audit_or_bodies(
    client: TestClient, key: SoftKey, vault: Vault, caplog: pytest.LogCaptureFixture
) -> None:
    """The password and the assertion stay out of logs, the audit log and answers."""
    caplog.set_level(logging.DEBUG)
    options = client.post(f"{STEP_UP}/options").json()
    assertion = key.authenticate(options["options"])
    bodies = [
        client.post(
            STEP_UP,
            json={"challenge_id": options["challenge_id"], "credential": assertion, "password": p},
        ).text
        for p in ("a wrong password for the canary", PASSWORD)
    ]
    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    with vault.session() as db_session:
        stored = dump_tables(db_session)
        audit = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
    canaries = [
        PASSWORD,
        "a wrong password for the canary",
        assertion["response"]["signature"],
        assertion["response"]["clientDataJSON"],
        options["options"]["challenge"],
    ]
    for canary in canaries:
        assert canary not in logs
        assert canary not in audit
        assert canary not in stored
        for body in bodies:
            assert canary not in body
