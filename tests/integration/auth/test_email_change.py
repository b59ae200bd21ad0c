"""POST /v1/auth/email and /v1/auth/email/confirm: re-authentication, a code to the new address,
a notice to the old one, no account-existence leak, single-use expiring hashed codes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text

from privault.api import create_app
from privault.auth import Authenticator, Notification, messages_for
from privault.config import Settings
from privault.vault import Vault

from .conftest import EMAIL, PASSWORD, MovableClock
from .helpers import audit_rows, dump_tables

NEW_EMAIL = "countess.of.lovelace@example.org"
OTHER_EMAIL = "charles.babbage@example.net"
OTHER_PASSWORD = "granite walrus pylon 6610 dusk"


def login(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> Response:
    """POST /v1/auth/login."""
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def signed_up(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> str:
    """Register and log in; return the account id."""
    client.post("/v1/auth/register", json={"email": email, "password": password})
    assert login(client, email, password).json()["stage"] == "active"
    return str(client.get("/v1/auth/me").json()["account_id"])


def notes(auth: Authenticator, vault: Vault, account_id: str) -> list[Notification]:
    """Every outbox message queued for an account."""
    with vault.session() as db_session:
        return messages_for(db_session=db_session, keys=auth.keys, account_id=account_id)


def code_in(message: Notification) -> str:
    """The confirmation code of a code message."""
    found = re.search(r"\n\n(\S+)\n\n", message.body)
    assert found is not None, message.body
    return found.group(1)


def change(client: TestClient, **body: str) -> Response:
    """POST /v1/auth/email."""
    return client.post("/v1/auth/email", json={"new_email": NEW_EMAIL, **body})


def confirm(client: TestClient, code: str) -> Response:
    """POST /v1/auth/email/confirm."""
    return client.post("/v1/auth/email/confirm", json={"code": code})


def stale(clock: MovableClock, vault: Vault) -> None:
    """Move past the step-up window."""
    clock.advance(seconds=vault.settings.auth.step_up_s + 1)


@pytest.fixture
def second(auth_settings: Settings, vault: Vault) -> Iterator[TestClient]:
    """Another browser of the same app."""
    with TestClient(create_app(auth_settings, vault=vault), base_url="https://testserver") as c:
        yield c


class TestChange:
    """The happy path and what it leaves behind."""

    def test_code_to_new_notice_to_old_then_the_new_address_logs_in(
        self, client: TestClient, second: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """Nothing changes before the code; after it the new address logs in, the old does not,
        other sessions end, both addresses are told, and the audit names no address."""
        account_id = signed_up(client)
        assert login(second).status_code == 200
        response = change(client)
        assert response.status_code == 202, response.text
        sent = notes(auth, vault, account_id)
        by_kind = {m.kind: m for m in sent}
        assert by_kind["email_change_requested"].recipient == EMAIL
        assert by_kind["email_change_code"].recipient == NEW_EMAIL
        assert NEW_EMAIL not in by_kind["email_change_requested"].body
        assert login(second, NEW_EMAIL).status_code == 401  # not yet
        done = confirm(client, code_in(by_kind["email_change_code"]))
        assert done.status_code == 200, done.text
        assert done.json() == {"status": "changed"}
        assert client.get("/v1/auth/me").status_code == 200  # this session goes on
        assert second.get("/v1/auth/me").status_code == 401  # every other one ended
        assert login(second, EMAIL).status_code == 401
        assert login(second, NEW_EMAIL).status_code == 200
        after = [(m.kind, m.recipient) for m in notes(auth, vault, account_id)]
        assert ("email_changed", EMAIL) in after
        assert ("email_changed", NEW_EMAIL) in after
        with vault.session() as db_session:
            events = audit_rows(db_session, "auth.email.change")
            requested = audit_rows(db_session, "auth.email.change_request")
            every = repr(audit_rows(db_session))
        assert [e["outcome"] for e in events] == ["ok"]
        assert [e["outcome"] for e in requested] == ["ok"]
        assert EMAIL not in every
        assert NEW_EMAIL not in every

    def test_code_is_single_use_and_survives_a_wrong_guess(
        self, client: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """A wrong code is 401 and leaves the right one working; the right one works once."""
        account_id = signed_up(client)
        change(client)
        code = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
        wrong = confirm(client, "A" * len(code))
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "bad_email_code"
        assert confirm(client, code).status_code == 200
        again = confirm(client, code)
        assert again.status_code == 401
        assert again.json()["code"] == "bad_email_code"

    def test_code_expires(
        self, client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """After `auth.email_change_ttl_s` the code no longer works."""
        account_id = signed_up(client)
        change(client)
        code = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
        half = vault.settings.auth.email_change_ttl_s / 2
        clock.advance(seconds=half)
        assert client.get("/v1/auth/me").status_code == 200  # keeps the session from idling out
        clock.advance(seconds=half + 1)
        expired = confirm(client, code)
        assert expired.status_code == 401
        assert expired.json()["code"] == "bad_email_code"

    def test_a_new_request_replaces_the_old_code(
        self, client: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """Only the latest code works."""
        account_id = signed_up(client)
        change(client)
        change(client, new_email=OTHER_EMAIL)
        codes = [code_in(m) for m in notes(auth, vault, account_id) if m.kind.endswith("code")]
        assert len(codes) == 2
        assert confirm(client, codes[0]).status_code == 401
        assert confirm(client, codes[1]).status_code == 200
        assert login(client, OTHER_EMAIL).status_code == 200

    def test_the_code_is_stored_only_as_a_hash(
        self, client: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """Neither the code nor the new address is in the table in the clear."""
        account_id = signed_up(client)
        change(client)
        code = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
        with vault.session() as db_session:
            rows = repr(db_session.execute(text("SELECT * FROM auth_email_changes")).all())
        assert account_id in rows
        assert code not in rows
        assert NEW_EMAIL not in rows
        assert NEW_EMAIL.encode() not in rows.encode()

    def test_another_account_cannot_use_the_code(
        self, client: TestClient, second: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """The code is bound to the account that asked."""
        account_id = signed_up(client)
        change(client)
        code = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
        signed_up(second, OTHER_EMAIL, OTHER_PASSWORD)
        assert confirm(second, code).status_code == 401
        assert confirm(client, code).status_code == 200


class TestReauthentication:
    """A stale session must prove the password (and code) again."""

    def test_stale_session_needs_the_password(
        self, client: TestClient, vault: Vault, clock: MovableClock
    ) -> None:
        """No password: 403 step_up_required. Wrong: 401. Right: 202."""
        signed_up(client)
        stale(clock, vault)
        refused = change(client)
        assert refused.status_code == 403
        assert refused.json()["code"] == "step_up_required"
        assert change(client, password="not the password, sorry").status_code == 401
        assert change(client, password=PASSWORD).status_code == 202

    def test_after_a_step_up_no_password_is_needed(
        self, client: TestClient, vault: Vault, clock: MovableClock
    ) -> None:
        """/v1/auth/reauth opens the window again."""
        signed_up(client)
        stale(clock, vault)
        assert client.post("/v1/auth/reauth", json={"password": PASSWORD}).status_code == 200
        assert change(client).status_code == 202

    def test_totp_account_needs_the_code_too(
        self, client: TestClient, vault: Vault, clock: MovableClock
    ) -> None:
        """Password and TOTP code: the second factor is part of the re-authentication."""
        signed_up(client)
        secret = client.post("/v1/auth/mfa/totp", json={"password": PASSWORD}).json()["secret"]
        confirmed = client.post(
            "/v1/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())}
        )
        assert confirmed.status_code == 200
        stale(clock, vault)
        assert change(client, password=PASSWORD).status_code == 401
        code = pyotp.TOTP(secret).at(clock.now())
        assert change(client, password=PASSWORD, code=code).status_code == 202

    def test_no_session_is_401(self, client: TestClient) -> None:
        """Both endpoints need a session."""
        assert change(client, password=PASSWORD).status_code == 401
        assert confirm(client, "whatever").status_code == 401


class TestNoLeak:
    """A taken address gets the same answer; only its owner hears of it."""

    def test_taken_address_answers_alike_and_tells_its_owner(
        self, client: TestClient, second: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """Same status and body; the same notice to the old address; no code is sent; the
        taken address's owner gets an attempt notice."""
        owner_id = signed_up(second, OTHER_EMAIL, OTHER_PASSWORD)
        account_id = signed_up(client)
        free = change(client)
        taken = change(client, new_email=OTHER_EMAIL)
        assert free.status_code == taken.status_code == 202
        assert free.json() == taken.json()
        mine = [m for m in notes(auth, vault, account_id) if m.recipient == EMAIL]
        assert [m.kind for m in mine] == ["email_change_requested"] * 2
        assert mine[0].body == mine[1].body
        owners = [(m.kind, m.recipient) for m in notes(auth, vault, owner_id)]
        assert ("email_change_attempt", OTHER_EMAIL) in owners
        codes = [m for m in notes(auth, vault, account_id) if m.recipient == OTHER_EMAIL]
        assert codes == []
        # The taken request replaced the earlier one: no code is pending at all.
        earlier = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
        assert confirm(client, earlier).status_code == 401
        assert login(second, OTHER_EMAIL, OTHER_PASSWORD).status_code == 200

    def test_address_taken_before_confirmation_is_409(
        self, client: TestClient, second: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """Someone registered the address meanwhile: nothing changes."""
        account_id = signed_up(client)
        change(client)
        code = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
        signed_up(second, NEW_EMAIL, OTHER_PASSWORD)
        refused = confirm(client, code)
        assert refused.status_code == 409
        assert refused.json()["code"] == "email_taken"
        assert login(client, EMAIL).status_code == 200

    def test_bad_input_is_422_and_changes_nothing(
        self, client: TestClient, auth: Authenticator, vault: Vault
    ) -> None:
        """Malformed, oversized, or the current address: 422 problem+json, no message."""
        account_id = signed_up(client)
        bodies: list[dict[str, object]] = [
            {}, {"new_email": "not-an-address"}, {"new_email": EMAIL}, {"new_email": "x" * 400},
            {"new_email": NEW_EMAIL, "extra": 1}, {"new_email": NEW_EMAIL, "password": "p" * 5000},
            {"new_email": ["a@example.com"]}, {"new_email": NEW_EMAIL.upper().replace("@", " @")},
        ]  # fmt: skip
        for body in bodies:
            response = client.post("/v1/auth/email", json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        confirms: list[dict[str, object]] = [{"code": ""}, {"code": "c" * 65}, {}]
        for body in confirms:
            assert client.post("/v1/auth/email/confirm", json=body).status_code == 422
        assert [m.kind for m in notes(auth, vault, account_id)] == []


def test_nothing_secret_in_logs_audit_or_bodies(
    client: TestClient, auth: Authenticator, vault: Vault, caplog: pytest.LogCaptureFixture,
    clock: MovableClock,
) -> None:  # fmt: skip
    """Password, code and both addresses stay out of logs, the audit log and answers."""
    caplog.set_level(logging.DEBUG)
    account_id = signed_up(client)
    stale(clock, vault)
    bodies = [
        change(client, password="a wrong canary password").text,
        change(client, password=PASSWORD).text,
    ]
    code = code_in(next(m for m in notes(auth, vault, account_id) if "code" in m.kind))
    bodies += [confirm(client, code[::-1]).text, confirm(client, code).text]
    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    with vault.session() as db_session:
        stored = dump_tables(db_session)
        audit = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
    for canary in (PASSWORD, "a wrong canary password", code, EMAIL, NEW_EMAIL):
        assert canary not in logs
        assert canary not in audit
        assert canary not in stored
        for body in bodies:
            assert canary not in body
