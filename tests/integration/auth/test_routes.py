"""The /v1/auth endpoints: cookies, answers, refusals; no secrets where they should not be."""

from __future__ import annotations

import json
import logging

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text

from privault.api import create_app
from privault.auth import Authenticator, messages_for
from privault.config import Settings
from privault.vault import Vault

from .conftest import EMAIL, PASSWORD, MovableClock, with_auth
from .helpers import dump_tables

COOKIE = "__Host-privault-session"


def register(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> Response:
    """POST /v1/auth/register."""
    return client.post("/v1/auth/register", json={"email": email, "password": password})


def login(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> Response:
    """POST /v1/auth/login."""
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def enrol(client: TestClient, clock: MovableClock) -> tuple[str, list[str]]:
    """Add an authenticator through the API; return its secret and the recovery codes."""
    started = client.post("/v1/auth/mfa/totp", json={"password": PASSWORD})
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = client.post(
        "/v1/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())}
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


class TestCookies:
    """The session cookie's attributes."""

    def test_login_sets_a_host_prefixed_strict_cookie(self, client: TestClient) -> None:
        """__Host- prefix, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain."""
        assert register(client).status_code == 202
        response = login(client)
        assert response.status_code == 200
        assert response.json()["stage"] == "active"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite", "path", "max-age"} <= attributes
        assert "samesite=strict" in cookie.lower()
        assert "path=/" in cookie.lower()
        assert "domain" not in attributes
        token = response.cookies[COOKIE]
        assert token not in response.text  # the token travels in the cookie only

    def test_logout_clears_the_cookie_and_ends_the_session(self, client: TestClient) -> None:
        """After logout the old token is refused."""
        register(client)
        token = login(client).cookies[COOKIE]
        assert client.get("/v1/auth/me").status_code == 200
        response = client.post("/v1/auth/logout")
        assert response.status_code == 204
        assert (
            f'{COOKIE}=""' in response.headers["set-cookie"]
            or "Max-Age=0" in response.headers["set-cookie"]
        )
        client.cookies.set(COOKIE, token)
        assert client.get("/v1/auth/me").status_code == 401

    def test_no_cookie_is_401(self, client: TestClient) -> None:
        """Endpoints behind a session answer 401 problem+json without one."""
        response = client.get("/v1/auth/sessions")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


class TestRegistrationAndLogin:
    """Answers that say what is wrong, and nothing about who exists."""

    def test_registration_answers_alike_for_taken_address(self, client: TestClient) -> None:
        """A taken address gets the same 202 body as a new one."""
        first = register(client)
        second = register(client, password="granite walrus pylon 6610 dusk")
        assert first.status_code == second.status_code == 202
        assert first.json() == second.json()

    def test_weak_password_is_422_with_reasons(self, client: TestClient) -> None:
        """A rule-breaking password is answered with codes and guidance, not the password."""
        response = register(client, password="Password1234567!")
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "password_rejected"
        assert "blocklisted" in [r["code"] for r in body["reasons"]]
        assert "Password1234567!" not in response.text

    @pytest.mark.parametrize("path", ["/v1/auth/register", "/v1/auth/login"])
    def test_ten_kilobyte_password_is_4xx(self, client: TestClient, path: str) -> None:
        """A 10 KB password is refused with a 4xx problem, never a 5xx."""
        huge = "p" * 10_240
        response = client.post(path, json={"email": EMAIL, "password": huge})
        assert 400 <= response.status_code < 500
        assert huge[:64] not in response.text

    def test_password_over_the_cap_but_under_the_parser_limit_is_4xx(
        self, client: TestClient
    ) -> None:
        """2,000 code points pass the body parser and are refused by the password cap."""
        response = register(client, password="q" * 2000)
        assert response.status_code == 422
        assert response.json()["code"] == "password_too_long"

    @pytest.mark.parametrize(
        "body",
        [
            "{}",
            json.dumps({"email": EMAIL}),
            json.dumps({"email": EMAIL, "password": 5}),
            json.dumps({"email": EMAIL, "password": PASSWORD, "extra": 1}),
            json.dumps({"email": "x" * 10_000, "password": PASSWORD}),
            '{"email": "a@example.com", "password": "' + "\\ud800" * 20 + '"}',
            "not json",
            "[]",
        ],
    )
    def test_malformed_login_bodies_are_4xx(self, client: TestClient, body: str) -> None:
        """Missing, mistyped, oversized, non-Unicode and non-JSON input answers 4xx."""
        response = client.post(
            "/v1/auth/login", content=body, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500

    def test_unknown_and_wrong_password_bodies_are_identical(self, client: TestClient) -> None:
        """Both failures answer 401 with the same problem body."""
        register(client)
        unknown = login(client, email="nobody@example.com")
        wrong = login(client, password="wrong " + PASSWORD)
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json() == wrong.json()

    def test_throttled_login_is_429_with_retry_after(self, client: TestClient) -> None:
        """After the free failures, a login before the delay is 429 with Retry-After."""
        register(client)
        for _ in range(6):
            assert login(client, password="wrong").status_code == 401
        response = login(client)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"

    def test_locked_login_is_403(self, auth_settings: Settings, clock: MovableClock) -> None:
        """The lock answers 403 even to the right password."""
        strict = with_auth(auth_settings, free_failures=1, lock_after_failures=2)
        with (
            Vault.open(strict, clock=clock) as vault,
            TestClient(create_app(strict, vault=vault), base_url="https://testserver") as client,
        ):
            register(client)
            assert login(client, password="wrong").status_code == 401
            clock.advance(seconds=5)
            assert login(client, password="wrong").status_code == 401
            clock.advance(hours=1)
            response = login(client)
            assert response.status_code == 403
            assert response.json()["code"] == "login_locked"


class TestSecondFactorFlow:
    """MFA, sessions and password change through the API."""

    def test_full_flow(self, client: TestClient, clock: MovableClock) -> None:
        """Enrol, log in with a code, list sessions, end one, change the password."""
        register(client)
        login(client)
        secret, codes = enrol(client, clock)
        assert len(codes) == 10
        clock.advance(seconds=30)
        pending = login(client)
        assert pending.json()["stage"] == "mfa_pending"
        assert client.get("/v1/auth/me").status_code == 401
        verified = client.post(
            "/v1/auth/mfa/verify", json={"code": pyotp.TOTP(secret).at(clock.now())}
        )
        assert verified.status_code == 200, verified.text
        assert verified.json()["stage"] == "active"
        assert verified.cookies[COOKIE] != pending.cookies[COOKIE]
        me = client.get("/v1/auth/me").json()
        assert me["kind"] == "customer"

        other = TestClient(client.app, base_url="https://testserver")
        login(other)
        other.post("/v1/auth/mfa/verify", json={"recovery_code": codes[0]})
        theirs = other.get("/v1/auth/me").json()["session_id"]
        sessions = client.get("/v1/auth/sessions").json()
        # The enrolling session, this one, and the other client's.
        assert len(sessions) == 3
        assert [s["current"] for s in sessions].count(True) == 1
        assert theirs in {s["id"] for s in sessions}
        assert client.delete(f"/v1/auth/sessions/{theirs}").status_code == 204
        assert other.get("/v1/auth/me").status_code == 401
        assert client.delete(f"/v1/auth/sessions/{theirs}").status_code == 404

        changed = client.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "cobalt heron mosaic 4471 tundra"},
        )
        assert changed.status_code == 200, changed.text
        assert client.get("/v1/auth/me").status_code == 200  # the new cookie works
        assert len(client.get("/v1/auth/sessions").json()) == 1

    def test_wrong_code_is_401(self, client: TestClient, clock: MovableClock) -> None:
        """A wrong code answers 401 and leaves the pending session pending."""
        register(client)
        login(client)
        enrol(client, clock)
        login(client)
        response = client.post("/v1/auth/mfa/verify", json={"code": "123456"})
        assert response.status_code == 401
        assert response.json()["code"] == "bad_second_factor"


class TestNoSecretsLeak:
    """Canary password, OTP and recovery code never reach logs, audit events or error bodies."""

    def test_canaries_stay_out(
        self,
        client: TestClient,
        vault: Vault,
        auth: Authenticator,
        clock: MovableClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Success and failure paths alike: nothing secret is logged, audited or echoed."""
        caplog.set_level(logging.DEBUG)
        bodies: list[str] = []

        def keep(response: Response) -> Response:
            bodies.append(response.text)
            return response

        keep(register(client))
        keep(login(client))
        secret, codes = enrol(client, clock)
        canary_code = pyotp.TOTP(secret).at(clock.now(), counter_offset=1)
        canary_recovery = codes[3]
        clock.advance(seconds=30)
        keep(login(client))
        keep(client.post("/v1/auth/mfa/verify", json={"code": canary_code}))
        keep(login(client))
        keep(client.post("/v1/auth/mfa/verify", json={"code": canary_code}))  # replay: refused
        keep(client.post("/v1/auth/mfa/verify", json={"recovery_code": canary_recovery}))
        keep(login(client))
        keep(client.post("/v1/auth/mfa/verify", json={"recovery_code": canary_recovery}))
        keep(login(client, password=PASSWORD + " wrong"))
        keep(login(client, email="nobody@example.com"))
        keep(register(client, password=PASSWORD))
        keep(client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD, "x": 1}))
        keep(client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD * 200}))

        keep(client.post("/v1/auth/password/reset/request", json={"email": EMAIL}))
        with vault.session() as db_session:
            account_id = str(db_session.execute(text("SELECT id FROM auth_accounts")).scalar())
            notes = messages_for(db_session=db_session, keys=auth.keys, account_id=account_id)
        reset_token = notes[-1].body.split("\n\n")[1]
        keep(
            client.post(
                "/v1/auth/password/reset",
                json={"token": reset_token, "new_password": "x", "code": canary_code},
            )
        )
        canaries = {
            "reset_token": reset_token,
            "password": PASSWORD,
            "otp": canary_code,
            "recovery": canary_recovery,
            "recovery_compact": canary_recovery.replace("-", ""),
            "secret": secret,
        }
        logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
        with vault.session() as db_session:
            stored = dump_tables(db_session)
            audit = repr(db_session.execute(text("SELECT * FROM audit_events")).all())
        for name, canary in canaries.items():
            assert canary not in logs, name
            assert canary not in audit, name
            assert canary not in stored, name
            for body in bodies:
                assert canary not in body, name
