"""``/v1/requests``, ``/.well-known/gpc.json`` and the GPC route over HTTP (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.auth import AuthKeys, read_message
from privault.auth.models import OutboxMessage
from privault.config import Settings
from privault.rights import VerificationCode
from privault.vault import Vault


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        """The frozen time."""
        return self.moment


T0 = datetime(2025, 1, 31, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    """Time stands still at T0 until a test moves it."""
    return FrozenClock(T0)


@pytest.fixture
def opened(settings: Settings, clock: FrozenClock) -> Iterator[Vault]:
    """The vault the app serves, on the frozen clock."""
    with Vault.open(settings, clock=clock) as vault:
        yield vault


def make_key(vault: Vault, role: str) -> dict[str, str]:
    """Authorization headers of a new API key for ``role``."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=T0,
        )
    return {"Authorization": f"Bearer {created.key}"}


class Outbox:
    """Captures codes as the auth outbox would receive them."""

    def __init__(self) -> None:
        self.codes: list[str] = []

    def __call__(
        self,
        *,
        db_session: Session,
        request_id: str,
        subject_id: str,
        code: str,
        expires_at: datetime,
    ) -> None:
        """Keep the code."""
        self.codes.append(code)


@pytest.fixture
def outbox() -> Outbox:
    """The code sender wired into the app."""
    return Outbox()


@pytest.fixture
def client(settings: Settings, opened: Vault, outbox: Outbox) -> Iterator[TestClient]:
    """A client of the app, with a code sender wired in."""
    app = create_app(settings, vault=opened)
    app.state.rights_code_sender = outbox
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def dpo(opened: Vault) -> dict[str, str]:
    """A key of the role that handles requests (serves privacy_requests)."""
    return make_key(opened, "dpo")


@pytest.fixture
def shop(opened: Vault) -> dict[str, str]:
    """The shop's backend key (writes records, may open requests)."""
    return make_key(opened, "service")


def open_access(client: TestClient, headers: dict[str, str], subject: str = "C-1001") -> str:
    """Open an access request; its id."""
    response = client.post(
        "/v1/requests", json={"subject_id": subject, "type": "access"}, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    request_id: str = response.json()["id"]
    return request_id


class TestRequests:
    """The request workflow over HTTP."""

    def test_lifecycle_with_code_verification(
        self,
        client: TestClient,
        shop: dict[str, str],
        dpo: dict[str, str],
        outbox: Outbox,
        clock: FrozenClock,
    ) -> None:
        """Open (201), duplicate (200), code, verify, approve, extend, complete, show."""
        created = client.post(
            "/v1/requests", json={"subject_id": "C-1001", "type": "access"}, headers=shop
        )
        assert created.status_code == 201
        body = created.json()
        assert (body["state"], body["regime"]) == ("received", "gdpr")
        assert body["due_at"].startswith("2025-02-28T14:00:00")
        again = client.post(
            "/v1/requests", json={"subject_id": "C-1001", "type": "access"}, headers=shop
        )
        assert again.status_code == 200
        assert again.json()["id"] == body["id"]
        request_id = body["id"]
        sent = client.post(f"/v1/requests/{request_id}/code", headers=shop)
        assert sent.status_code == 202
        assert sent.json()["expires_at"].startswith("2025-01-31T14:15:00")
        clock.moment += timedelta(minutes=5)
        verified = client.post(
            f"/v1/requests/{request_id}/verify", json={"code": outbox.codes[-1]}, headers=shop
        )
        assert verified.status_code == 200
        assert verified.json()["verified_by"] == "code"
        assert client.post(f"/v1/requests/{request_id}/approve", headers=dpo).status_code == 200
        extended = client.post(
            f"/v1/requests/{request_id}/extend", json={"reason": "many systems"}, headers=dpo
        )
        assert extended.json()["due_at"].startswith("2025-04-30T14:00:00")
        done = client.post(f"/v1/requests/{request_id}/complete", headers=dpo)
        assert done.json()["state"] == "completed"
        shown = client.get(f"/v1/requests/{request_id}", headers=dpo).json()
        assert [event["action"] for event in shown["events"]] == [
            "received",
            "code_sent",
            "transition",
            "transition",
            "extended",
            "transition",
        ]
        assert shown["events"][4]["reason"] == "many systems"
        assert [event["seq"] for event in shown["events"]] == [1, 2, 3, 4, 5, 6]

    def test_wrong_code_is_403_and_the_attempt_is_kept(
        self, client: TestClient, shop: dict[str, str], opened: Vault, outbox: Outbox
    ) -> None:
        """A wrong code is refused, and the spent attempt survives the refusal."""
        request_id = open_access(client, shop)
        client.post(f"/v1/requests/{request_id}/code", headers=shop)
        wrong = "000000" if outbox.codes[-1] != "000000" else "111111"
        refused = client.post(
            f"/v1/requests/{request_id}/verify", json={"code": wrong}, headers=shop
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "code_wrong"
        assert wrong not in refused.text
        with opened.session() as db_session:
            stored = db_session.get(VerificationCode, request_id)
            assert stored is not None
            assert stored.attempts == 1

    def test_session_verification(self, client: TestClient, shop: dict[str, str]) -> None:
        """A signed-in customer's request is verified by the shop's word."""
        request_id = open_access(client, shop)
        verified = client.post(
            f"/v1/requests/{request_id}/verify", json={"session": True}, headers=shop
        )
        assert verified.json()["verified_by"] == "session"

    @pytest.mark.parametrize(
        "body", [{}, {"code": "123456", "session": True}, {"code": ""}, {"nonsense": 1}]
    )
    def test_verify_needs_exactly_one_proof(
        self, client: TestClient, shop: dict[str, str], body: dict[str, object]
    ) -> None:
        """Neither or both proofs, or an unknown field: 422."""
        request_id = open_access(client, shop)
        response = client.post(f"/v1/requests/{request_id}/verify", json=body, headers=shop)
        assert response.status_code == 422

    def test_codes_go_to_the_stored_email_through_the_outbox(
        self, settings: Settings, opened: Vault, dpo: dict[str, str]
    ) -> None:
        """The default sender seals the code into the outbox, addressed to the stored email;
        without a stored email it answers 409 and stores no code."""
        with TestClient(create_app(settings, vault=opened)) as bare:
            request_id = open_access(bare, dpo)
            response = bare.post(f"/v1/requests/{request_id}/code", headers=dpo)
            assert response.status_code == 409
            assert response.json()["code"] == "no_contact_address"
            with opened.session() as db_session:
                assert db_session.get(VerificationCode, request_id) is None
            opened.put("customers", "C-1001", {"email": "ada.code@example.com"})
            assert bare.post(f"/v1/requests/{request_id}/code", headers=dpo).status_code == 202
            keys = AuthKeys.derive(opened.keys.derived)
            with opened.session() as db_session:
                rows = db_session.scalars(select(OutboxMessage)).all()
                messages = [read_message(keys, row) for row in rows]
                assert b"ada.code" not in b"".join(row.recipient_ciphertext for row in rows)
            assert [m.recipient for m in messages] == ["ada.code@example.com"]
            code = messages[0].body.split(" is ")[1].split(".")[0]
            verified = bare.post(
                f"/v1/requests/{request_id}/verify", json={"code": code}, headers=dpo
            )
            assert verified.status_code == 200
            assert verified.json()["verified_by"] == "code"

    def test_deny_needs_a_reason_and_transitions_are_checked(
        self, client: TestClient, dpo: dict[str, str]
    ) -> None:
        """422 without a reason; 409 for a move the table does not allow."""
        request_id = open_access(client, dpo)
        assert client.post(f"/v1/requests/{request_id}/deny", headers=dpo).status_code == 422
        blank = client.post(f"/v1/requests/{request_id}/deny", json={"reason": ""}, headers=dpo)
        assert blank.status_code == 422
        early = client.post(f"/v1/requests/{request_id}/approve", headers=dpo)
        assert early.status_code == 409
        assert early.json()["code"] == "invalid_transition"
        denied = client.post(
            f"/v1/requests/{request_id}/deny", json={"reason": "not our customer"}, headers=dpo
        )
        assert denied.json()["state"] == "denied"

    @pytest.mark.parametrize(
        "body",
        [
            {"subject_id": "C-1", "type": "delete_all"},
            {"subject_id": "C-1", "type": "access", "regime": "lgpd"},
            {"subject_id": "", "type": "access"},
            {"subject_id": "C\n1", "type": "access"},
            {"subject_id": "x" * 256, "type": "access"},
            {"subject_id": "C-1", "type": "access", "extra": True},
            {"type": "access"},
        ],
    )
    def test_bad_bodies_are_422_without_echo(
        self, client: TestClient, shop: dict[str, str], body: dict[str, object]
    ) -> None:
        """Malformed requests are refused; the problem does not echo the customer id."""
        response = client.post("/v1/requests", json=body, headers=shop)
        assert response.status_code == 422
        assert "x" * 256 not in response.text

    def test_unknown_and_malformed_ids(self, client: TestClient, dpo: dict[str, str]) -> None:
        """A well-formed unknown id is 404; a malformed one is 422."""
        missing = client.get("/v1/requests/dsr_" + "0" * 32, headers=dpo)
        assert missing.status_code == 404
        assert client.get("/v1/requests/../../etc", headers=dpo).status_code in (404, 422)
        assert client.get("/v1/requests/dsr_XYZ", headers=dpo).status_code == 422

    def test_roles_are_checked(self, client: TestClient, opened: Vault) -> None:
        """Support staff may neither open nor read requests; the shop may open but not list."""
        support = make_key(opened, "support_agent")
        shop = make_key(opened, "service")
        body = {"subject_id": "C-1", "type": "access"}
        assert client.post("/v1/requests", json=body, headers=support).status_code == 403
        assert client.get("/v1/requests", headers=support).status_code == 403
        assert client.get("/v1/requests", headers=shop).status_code == 403
        request_id = open_access(client, shop)
        assert client.post(f"/v1/requests/{request_id}/approve", headers=shop).status_code == 403
        assert client.get("/v1/requests").status_code == 401

    def test_list_and_overdue(
        self, client: TestClient, dpo: dict[str, str], clock: FrozenClock
    ) -> None:
        """Listing filters by type; overdue lists by the frozen clock and look-ahead."""
        access = open_access(client, dpo)
        ccpa = client.post(
            "/v1/requests",
            json={"subject_id": "C-2", "type": "erasure", "regime": "ccpa"},
            headers=dpo,
        ).json()["id"]
        listed = client.get("/v1/requests", params={"type": "erasure"}, headers=dpo).json()
        assert [item["id"] for item in listed] == [ccpa]
        bad = client.get("/v1/requests", params={"state": "open"}, headers=dpo)
        assert bad.status_code == 422
        assert client.get("/v1/requests/overdue", headers=dpo).json() == []
        clock.moment = datetime(2025, 2, 22, tzinfo=UTC)
        items = client.get("/v1/requests/overdue", headers=dpo).json()
        assert [(i["request"]["id"], i["deadline"], i["overdue"]) for i in items] == [
            (ccpa, "confirmation", True),
            (access, "response", False),
        ]
        none_ahead = client.get(
            "/v1/requests/overdue", params={"within_days": 0}, headers=dpo
        ).json()
        assert [i["deadline"] for i in none_ahead] == ["confirmation"]
        client.post(f"/v1/requests/{ccpa}/confirm", headers=dpo)
        after = client.get("/v1/requests/overdue", params={"within_days": 0}, headers=dpo)
        assert after.json() == []


class TestGpc:
    """The GPC declaration and the opt-out route."""

    def test_well_known_gpc_json(self, client: TestClient) -> None:
        """Served without authentication, as the GPC specification expects."""
        response = client.get("/.well-known/gpc.json")
        assert response.status_code == 200
        assert response.json() == {"gpc": True, "lastUpdate": "2026-11-29"}

    def test_signal_opts_out_and_is_recorded_as_gpc(
        self, client: TestClient, shop: dict[str, str], dpo: dict[str, str], opened: Vault
    ) -> None:
        """``Sec-GPC: 1`` withdraws marketing (sale_or_share), source gpc; nothing else asked."""
        client.post("/v1/subjects/C-1001/consents/marketing", headers=shop)
        response = client.post("/v1/subjects/C-1001/gpc", headers={**shop, "Sec-GPC": "1"})
        assert response.status_code == 200
        assert response.json() == {"signal": True, "opted_out": ["marketing"]}
        state = client.get("/v1/subjects/C-1001/consents/marketing", headers=shop).json()
        assert (state["granted"], state["source"]) == (False, "gpc")
        with opened.session() as db_session:  # the origin is kept as a keyed pseudonym only
            origins = (
                db_session.execute(text("SELECT origin FROM consent_events WHERE source = 'gpc'"))
                .scalars()
                .all()
            )
        assert len(origins) == 1
        assert origins[0] is not None
        assert len(origins[0]) == 64

    @pytest.mark.parametrize("value", [None, "0", "true", "1, 1"])
    def test_no_signal_changes_nothing(
        self, client: TestClient, shop: dict[str, str], value: str | None
    ) -> None:
        """Without exactly ``Sec-GPC: 1`` consent stays as it was."""
        client.post("/v1/subjects/C-1001/consents/marketing", headers=shop)
        headers = {**shop, **({"Sec-GPC": value} if value is not None else {})}
        response = client.post("/v1/subjects/C-1001/gpc", headers=headers)
        assert response.json() == {"signal": False, "opted_out": []}
        state = client.get("/v1/subjects/C-1001/consents/marketing", headers=shop).json()
        assert state["granted"] is True

    def test_roles_without_write_may_not_apply_gpc(self, client: TestClient, opened: Vault) -> None:
        """Consent is the shop backend's to record."""
        support = make_key(opened, "support_agent")
        response = client.post("/v1/subjects/C-1/gpc", headers={**support, "Sec-GPC": "1"})
        assert response.status_code == 403
