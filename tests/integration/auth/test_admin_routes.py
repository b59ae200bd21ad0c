"""/v1/admin: operators log in over HTTP (password and TOTP), and only an allowed role with a
fresh step-up may create API keys, rotate master keys, export or erase a customer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text

from privault.auth import OPERATOR_PERMISSIONS, Authenticator, OperatorAction, OperatorRole
from privault.vault import Vault

from .conftest import EMAIL, PASSWORD, MovableClock
from .helpers import audit_rows

COOKIE = "__Host-privault-session"
SUBJECT = "C-ADMIN-1"
CUSTOMER_EMAIL = "admin.canary.customer@example.com"


@dataclass
class Operator:
    """An operator logged in over HTTP: its account, token and authenticator secret."""

    account_id: str
    role: str
    token: str
    secret: str


def call(client: TestClient, token: str | None, method: str, path: str, **kw: object) -> Response:
    """A request with exactly this session cookie (or none)."""
    client.cookies.clear()
    headers = {"Cookie": f"{COOKIE}={token}"} if token is not None else {}
    return client.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]


def next_code(secret: str, clock: MovableClock) -> str:
    """A TOTP code of a step no earlier call used (each step counts once)."""
    clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(clock.now())


def operator(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock, role: OperatorRole
) -> Operator:
    """Create an operator and log it in through the API (password, then TOTP)."""
    login = f"{role.value}.operator@shop.example"
    with vault.session() as db_session:
        made = auth.create_operator(db_session=db_session, login=login, password=PASSWORD,
                                    role=role)  # fmt: skip
    client.cookies.clear()
    first = client.post(
        "/v1/auth/login",
        json={"email": login, "password": PASSWORD, "account_kind": "operator"},
    )
    assert first.json()["stage"] == "mfa_pending", first.text
    done = client.post("/v1/auth/mfa/verify", json={"code": next_code(made.totp.secret, clock)})
    assert done.status_code == 200, done.text
    return Operator(made.account_id, role.value, done.cookies[COOKIE], made.totp.secret)


ENDPOINTS: dict[OperatorAction, tuple[str, dict[str, object]]] = {
    OperatorAction.CREATE_API_KEY: ("/v1/admin/api-keys", {"role": "auditor"}),
    OperatorAction.ROTATE_KEYS: ("/v1/admin/keys/rotate", {}),
    OperatorAction.EXPORT_SUBJECT: (f"/v1/admin/subjects/{SUBJECT}/export", {}),
    OperatorAction.ERASE_SUBJECT: (f"/v1/admin/subjects/{SUBJECT}/erase", {}),
}


def run(client: TestClient, token: str | None, action: OperatorAction) -> Response:
    """POST the endpoint of ``action``."""
    path, body = ENDPOINTS[action]
    return call(client, token, "POST", path, json=body)


def test_the_role_matrix_is_enforced(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """Every role x operation: allowed roles get past the gate, the others 403 role_not_allowed
    (erasure last, so every export before it finds the customer)."""
    vault.put("customers", SUBJECT, {"email": CUSTOMER_EMAIL})
    operators = {role: operator(client, auth, vault, clock, role) for role in OperatorRole}
    for action in OperatorAction:
        for role, who in operators.items():
            answer = run(client, who.token, action)
            if role in OPERATOR_PERMISSIONS[action]:
                assert answer.status_code in {200, 201, 404}, (action, role, answer.text)
                assert "role_not_allowed" not in answer.text
            else:
                assert answer.status_code == 403, (action, role, answer.text)
                assert answer.json()["code"] == "role_not_allowed"
    with vault.session() as db_session:
        denied = [e for e in audit_rows(db_session) if e["outcome"] == "denied"]
    assert {e["actor"] for e in denied} == {
        f"operator:{operators[r].account_id}" for r in (OperatorRole.SUPPORT, OperatorRole.AUDITOR)
    } | {f"operator:{operators[OperatorRole.DPO].account_id}"}


def test_stale_session_needs_a_step_up(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """Past `auth.step_up_s`: 403 step_up_required on each; after /reauth it goes through."""
    admin = operator(client, auth, vault, clock, OperatorRole.ADMIN)
    clock.advance(seconds=vault.settings.auth.step_up_s + 1)
    for action in OperatorAction:
        stale = run(client, admin.token, action)
        assert stale.status_code == 403, stale.text
        assert stale.headers["content-type"] == "application/problem+json"
        assert stale.json()["code"] == "step_up_required"
    fresh = call(client, admin.token, "POST", "/v1/auth/reauth",
                 json={"password": PASSWORD, "code": next_code(admin.secret, clock)})  # fmt: skip
    assert fresh.status_code == 200, fresh.text
    created = run(client, fresh.cookies[COOKIE], OperatorAction.CREATE_API_KEY)
    assert created.status_code == 201, created.text


def test_no_session_customer_session_or_api_key_is_refused(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """401 without a session (an API key is none); a customer's session is 403 operator_only."""
    admin = operator(client, auth, vault, clock, OperatorRole.ADMIN)
    key = run(client, admin.token, OperatorAction.CREATE_API_KEY).json()["key"]
    for action in OperatorAction:
        assert run(client, None, action).status_code == 401
        assert run(client, "forged-token", action).status_code == 401
        path, body = ENDPOINTS[action]
        client.cookies.clear()
        bearer = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
        assert bearer.status_code == 401
    client.cookies.clear()
    client.post("/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    customer = client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    for action in OperatorAction:
        refused = run(client, customer.cookies[COOKIE], action)
        assert refused.status_code == 403
        assert refused.json()["code"] == "operator_only"


def test_api_key_is_shown_once_works_and_is_audited(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """The new key authenticates at once; the audit names the operator, not the key."""
    admin = operator(client, auth, vault, clock, OperatorRole.ADMIN)
    created = call(client, admin.token, "POST", "/v1/admin/api-keys",
                   json={"role": "auditor", "name": "nightly audit"})  # fmt: skip
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert created.json()["record"]["role"] == "auditor"
    client.cookies.clear()
    used = client.get("/v1/audit/events", headers={"Authorization": f"Bearer {key}"})
    assert used.status_code == 200, used.text
    with vault.session() as db_session:
        events = audit_rows(db_session, "apikey.create")
        everything = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
    assert [e["actor"] for e in events] == [f"operator:{admin.account_id}"]
    assert key not in everything
    bad_bodies: list[dict[str, object]] = [
        {"role": "no_such_role"},
        {"role": "auditor", "purposes": ["marketing"]},
        {"role": "auditor", "regions": ["mars"]},
        {"role": "auditor", "x": 1},
    ]
    for body in bad_bodies:
        bad = call(client, admin.token, "POST", "/v1/admin/api-keys", json=body)
        assert bad.status_code == 422, (body, bad.text)


def test_dpo_exports_then_erases_a_customer(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """Export returns the decrypted records; erase destroys them; both audited as the DPO."""
    stored = vault.put("customers", SUBJECT, {"email": CUSTOMER_EMAIL})
    dpo = operator(client, auth, vault, clock, OperatorRole.DPO)
    export = run(client, dpo.token, OperatorAction.EXPORT_SUBJECT)
    assert export.status_code == 200, export.text
    body = export.json()
    assert body["subject_id"] == SUBJECT
    assert [r["id"] for r in body["records"]] == [stored.id]
    assert body["records"][0]["values"]["email"] == CUSTOMER_EMAIL
    assert export.headers["cache-control"] == "no-store"
    erased = run(client, dpo.token, OperatorAction.ERASE_SUBJECT)
    assert erased.status_code == 200, erased.text
    assert erased.json()["records_deleted"] == 1
    assert run(client, dpo.token, OperatorAction.EXPORT_SUBJECT).status_code == 404
    assert run(client, dpo.token, OperatorAction.ERASE_SUBJECT).status_code == 404
    with vault.session() as db_session:
        exports = audit_rows(db_session, "subject.export")
        erasures = audit_rows(db_session, "subject.erase")
        everything = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
    actor = f"operator:{dpo.account_id}"
    assert [(e["actor"], e["outcome"]) for e in exports] == [(actor, "ok"), (actor, "not_found")]
    assert [(e["actor"], e["outcome"]) for e in erasures] == [(actor, "ok"), (actor, "not_found")]
    assert CUSTOMER_EMAIL not in everything
    too_long = call(client, dpo.token, "POST", f"/v1/admin/subjects/{'x' * 300}/export")
    assert too_long.status_code == 422


def test_admin_rotates_master_keys_and_data_stays_readable(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """A new primary version per region, every customer key rewrapped, records still read."""
    stored = vault.put("customers", SUBJECT, {"email": CUSTOMER_EMAIL})
    admin = operator(client, auth, vault, clock, OperatorRole.ADMIN)
    region = stored.region
    before = vault.keys.masters.primary_version(region)
    rotated = call(client, admin.token, "POST", "/v1/admin/keys/rotate",
                   json={"regions": [region]})  # fmt: skip
    assert rotated.status_code == 200, rotated.text
    [report] = rotated.json()
    assert report["version"] != before
    assert report == {"region": region, "version": report["version"], "rewrapped": 1, "skipped": 0}
    assert vault.keys.masters.primary_version(region) == report["version"]
    assert vault.get("customers", stored.id).values["email"] == CUSTOMER_EMAIL
    resumed = call(client, admin.token, "POST", "/v1/admin/keys/rotate",
                   json={"regions": [region], "resume": True})  # fmt: skip
    assert resumed.json()[0]["rewrapped"] == 0
    unknown = call(client, admin.token, "POST", "/v1/admin/keys/rotate", json={"regions": ["mars"]})
    assert unknown.status_code == 422
    assert vault.keys.masters.primary_version(region) == report["version"]
    with vault.session() as db_session:
        events = audit_rows(db_session, "keys.rotate")
    assert [e["actor"] for e in events] == [f"operator:{admin.account_id}"]


def test_nothing_secret_in_logs_audit_or_bodies(
    client: TestClient, auth: Authenticator, vault: Vault, clock: MovableClock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """The operator's password and TOTP secret, the new key and the session token stay out of
    logs and the audit log; refusals echo none of them."""
    caplog.set_level(logging.DEBUG)
    admin = operator(client, auth, vault, clock, OperatorRole.ADMIN)
    support = operator(client, auth, vault, clock, OperatorRole.SUPPORT)
    key = run(client, admin.token, OperatorAction.CREATE_API_KEY).json()["key"]
    refusal = run(client, support.token, OperatorAction.CREATE_API_KEY).text
    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    with vault.session() as db_session:
        audit = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
    for canary in (PASSWORD, admin.secret, key, admin.token, support.token):
        assert canary not in logs
        assert canary not in audit
        assert canary not in refusal
