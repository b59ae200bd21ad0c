"""The /v1/auth/webauthn endpoints: full ceremonies over HTTP, hostile input, no secrets leaked."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from privault.api import create_app
from privault.config import Settings
from privault.vault import Vault

from .conftest import EMAIL, PASSWORD, with_auth
from .helpers import dump_tables
from .softkey import FLAG_UP, FLAG_UV, ORIGIN, RP_ID, SoftKey

COOKIE = "__Host-privault-session"
BASE = "/v1/auth/webauthn"


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    """Cheap hashing and a relying party at shop.example."""
    return with_auth(settings, webauthn_rp_id=RP_ID, webauthn_origins=[ORIGIN])


def login(client: TestClient) -> Response:
    """POST /v1/auth/login."""
    return client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})


def signed_up(client: TestClient) -> None:
    """Register and log in (an active, fresh session)."""
    assert client.post("/v1/auth/register", json={"email": EMAIL, "password": PASSWORD}).is_success
    assert login(client).json()["stage"] == "active"


def add_key(client: TestClient, key: SoftKey) -> Response:
    """Both registration calls; returns the second answer."""
    options = client.post(f"{BASE}/register/options")
    assert options.status_code == 200, options.text
    body = options.json()
    return client.post(
        f"{BASE}/register",
        json={"challenge_id": body["challenge_id"], "credential": key.register(body["options"])},
    )


def use_key(client: TestClient, key: SoftKey, **bend: Any) -> Response:
    """Both login calls after the password; returns the second answer."""
    options = client.post(f"{BASE}/login/options")
    assert options.status_code == 200, options.text
    body = options.json()
    credential = key.authenticate(body["options"], **bend)
    return client.post(
        f"{BASE}/login", json={"challenge_id": body["challenge_id"], "credential": credential}
    )


class TestCeremonies:
    """Register a key, log in with it, list and remove it."""

    def test_full_round_trip(self, client: TestClient) -> None:
        """Register, log out, password then key, list, remove; the next login needs no key."""
        signed_up(client)
        key = SoftKey()
        added = add_key(client, key)
        assert added.status_code == 200, added.text
        assert len(added.json()["recovery_codes"]) == 10
        key_id = added.json()["credential"]["id"]
        assert client.post("/v1/auth/logout").status_code == 204

        assert login(client).json()["stage"] == "mfa_pending"
        assert client.get("/v1/auth/me").status_code == 401
        done = use_key(client, key)
        assert done.status_code == 200, done.text
        assert done.json()["stage"] == "active"
        assert done.headers["set-cookie"].startswith(f"{COOKIE}=")
        assert client.get("/v1/auth/me").status_code == 200

        listed = client.get(f"{BASE}/credentials")
        assert listed.status_code == 200
        assert [c["id"] for c in listed.json()] == [key_id]
        assert set(listed.json()[0]) == {
            "id", "transports", "backed_up", "created_at", "last_used_at",
        }  # fmt: skip
        assert client.delete(f"{BASE}/credentials/{key_id}").status_code == 204
        assert client.get(f"{BASE}/credentials").json() == []
        assert client.post("/v1/auth/logout").status_code == 204
        assert login(client).json()["stage"] == "active"

    def test_passwordless_login_with_a_passkey(self, client: TestClient) -> None:
        """A registered passkey alone logs the customer in (no cookie needed to start)."""
        signed_up(client)
        key = SoftKey()
        assert add_key(client, key).status_code == 200
        client.post("/v1/auth/logout")
        client.cookies.clear()
        options = client.post(f"{BASE}/passkey/options")
        assert options.status_code == 200, options.text
        body = options.json()
        credential = key.authenticate(body["options"], flags=FLAG_UP | FLAG_UV)
        done = client.post(
            f"{BASE}/passkey", json={"challenge_id": body["challenge_id"], "credential": credential}
        )
        assert done.status_code == 200, done.text
        assert done.json()["stage"] == "active"
        assert client.get("/v1/auth/me").status_code == 200
        replay = client.post(
            f"{BASE}/passkey", json={"challenge_id": body["challenge_id"], "credential": credential}
        )
        assert replay.status_code == 401
        assert replay.json()["code"] == "webauthn_challenge"

    def test_refusals_have_problem_bodies(self, client: TestClient) -> None:
        """Wrong origin is 401; no session is 401; a pending session cannot register."""
        signed_up(client)
        key = SoftKey()
        assert add_key(client, key).status_code == 200
        client.post("/v1/auth/logout")
        login(client)
        refused = use_key(client, key, origin="https://evil.example")
        assert refused.status_code == 401
        assert refused.json()["code"] == "webauthn_failed"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert client.post(f"{BASE}/register/options").status_code == 401
        client.cookies.clear()
        assert client.post(f"{BASE}/login/options").status_code == 401

    def test_stale_session_cannot_add_a_key(self, client: TestClient, clock: Any) -> None:
        """Past the step-up window: 403 step_up_required."""
        signed_up(client)
        clock.advance(seconds=301)
        response = client.post(f"{BASE}/register/options")
        assert response.status_code == 403
        assert response.json()["code"] == "step_up_required"

    def test_unconfigured_server_is_503(self, settings: Settings) -> None:
        """No relying party configured: the endpoints say so."""
        plain = with_auth(settings)
        with (
            Vault.open(plain) as plain_vault,
            TestClient(
                create_app(plain, vault=plain_vault), base_url="https://testserver"
            ) as other,
        ):
            signed_up(other)
            response = other.post(f"{BASE}/register/options")
        assert response.status_code == 503
        assert response.json()["code"] == "webauthn_off"


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
RESPONSE_KEYS = (
    "clientDataJSON", "attestationObject", "authenticatorData", "signature", "transports",
    "userHandle",
)  # fmt: skip
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON,
        "rawId": JSON,
        "type": st.sampled_from(["public-key", "x"]) | JSON,
        "response": st.dictionaries(
            st.sampled_from(RESPONSE_KEYS),
            st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=80) | JSON,
        )
        | JSON,
        "clientExtensionResults": JSON,
    },
)


class TestHostileInput:
    """Whatever arrives, the answer is 4xx, never 5xx."""

    @pytest.fixture
    def auth_settings(self, settings: Settings) -> Settings:
        """Room for many failures from one address, so every example reaches the parser."""
        return with_auth(
            settings, webauthn_rp_id=RP_ID, webauthn_origins=[ORIGIN], free_failures=99,
            address_failures_per_minute=10_000, address_failures_per_hour=10_000,
        )  # fmt: skip

    @settings(
        max_examples=60, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )  # fmt: skip
    @given(credential=FIELDS)
    def test_fuzzed_registration_is_4xx(
        self, client: TestClient, credential: dict[str, Any]
    ) -> None:
        """Random structures where the browser's credential goes."""
        if client.get("/v1/auth/me").status_code != 200:
            signed_up(client)
        options = client.post(f"{BASE}/register/options").json()
        response = client.post(
            f"{BASE}/register",
            json={"challenge_id": options["challenge_id"], "credential": credential},
        )
        assert 400 <= response.status_code < 500, response.text

    @settings(
        max_examples=40, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )  # fmt: skip
    @given(
        field=st.sampled_from(["clientDataJSON", "authenticatorData", "signature", "userHandle"]),
        value=st.text(max_size=60) | st.integers() | st.none(),
    )
    def test_mutated_assertion_is_4xx(self, client: TestClient, field: str, value: Any) -> None:
        """A real assertion with one field replaced."""
        key = getattr(client.app.state, "test_key", None)  # type: ignore[attr-defined]
        if key is None:  # the first example registers the key the others use
            key = SoftKey()
            signed_up(client)
            assert add_key(client, key).status_code == 200
            client.app.state.test_key = key  # type: ignore[attr-defined]
        client.cookies.clear()
        assert login(client).json()["stage"] == "mfa_pending"
        options = client.post(f"{BASE}/login/options").json()
        credential = key.authenticate(options["options"])
        credential["response"][field] = value
        response = client.post(
            f"{BASE}/login",
            json={"challenge_id": options["challenge_id"], "credential": credential},
        )
        if field == "userHandle" and value is None:  # absent is allowed for a second factor
            assert response.status_code == 200, response.text
        else:
            assert 400 <= response.status_code < 500, response.text
        client.cookies.clear()

    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"[]",
            b'{"challenge_id": "x"}',
            b'{"challenge_id": "x", "credential": "str"}',
            b'{"challenge_id": "' + b"x" * 100 + b'", "credential": {}}',
            b'{"challenge_id": "x", "credential": {}, "extra": 1}',
            b'{"challenge_id": "x", "credential": {"id": "' + b"A" * 200_000 + b'"}}',
        ],
    )
    def test_malformed_bodies_are_4xx(self, client: TestClient, body: bytes) -> None:
        """Broken JSON, wrong shapes, extra fields, huge payloads."""
        signed_up(client)
        for path in ("register", "login", "passkey"):
            response = client.post(
                f"{BASE}/{path}", content=body, headers={"content-type": "application/json"}
            )
            assert 400 <= response.status_code < 500, (path, response.text)

    def test_unknown_challenge_id_is_401(self, client: TestClient) -> None:
        """A made-up challenge id is refused as such."""
        signed_up(client)
        response = client.post(
            f"{BASE}/register",
            json={"challenge_id": "wac_nope", "credential": SoftKey().register(
                {"challenge": "AAAA", "rp": {"id": RP_ID}})},
        )  # fmt: skip
        assert response.status_code == 401
        assert response.json()["code"] == "webauthn_challenge"


def test_nothing_secret_in_logs_audit_or_bodies(
    client: TestClient, vault: Vault, caplog: pytest.LogCaptureFixture
) -> None:
    """Password, challenges, signatures and credential ids stay out of logs and the audit log."""
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    signed_up(client)
    key = SoftKey()
    options = client.post(f"{BASE}/register/options").json()
    registration = key.register(options["options"])
    bodies.append(
        client.post(
            f"{BASE}/register",
            json={"challenge_id": options["challenge_id"], "credential": registration},
        ).text
    )
    client.post("/v1/auth/logout")

    def answer(options: dict[str, Any], credential: dict[str, Any]) -> None:
        bodies.append(
            client.post(
                f"{BASE}/login",
                json={"challenge_id": options["challenge_id"], "credential": credential},
            ).text
        )

    login(client)
    options = client.post(f"{BASE}/login/options").json()
    answer(options, key.authenticate(options["options"], origin="https://evil.example"))
    options = client.post(f"{BASE}/login/options").json()
    assertion = key.authenticate(options["options"])
    answer(options, assertion)  # succeeds
    answer(options, assertion)  # replayed
    client.post("/v1/auth/logout")
    login(client)
    options = client.post(f"{BASE}/login/options").json()
    answer(options, key.authenticate(options["options"], counter=0))  # cloned
    canaries = {
        "password": PASSWORD,
        "challenge": options["options"]["challenge"],
        "credential_id": registration["id"],
        "client_data": assertion["response"]["clientDataJSON"],
        "signature": assertion["response"]["signature"],
        "attestation": registration["response"]["attestationObject"],
    }
    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    with vault.session() as db_session:
        stored = dump_tables(db_session)
        audit = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
        operations = {
            row[0] for row in db_session.execute(text("SELECT operation FROM audit_events"))
        }
    assert {"auth.webauthn.register", "auth.webauthn.cloned", "auth.mfa"} <= operations
    for name, canary in canaries.items():
        assert canary not in logs, name
        assert canary not in audit, name
        assert canary not in stored, name
        for body in bodies:
            assert canary not in body, name
    assert json.dumps(PASSWORD) not in logs
