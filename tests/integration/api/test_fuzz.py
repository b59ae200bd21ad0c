"""Fuzzing of the HTTP API from its OpenAPI schema (schemathesis), on SQLite and PostgreSQL.

- Every operation gets generated requests, valid ones from the API key of every role, malformed
  ones from the roles in turn, each with a held, a foreign or no purpose: none may answer 500,
  and no error echoes a customer value sent in the body.
- Every ``/v1`` operation sent a valid request without credentials or with bad ones (forged,
  revoked, truncated, mis-schemed keys; forged session cookies) answers 401; the operations
  open to anonymous callers are exactly the ones listed here, so a route that forgets its
  credentials fails.
- A deleted record is readable by nobody, by any route: GET, detokenize, search, PATCH.

Runs derandomized (the same examples every run) with few examples per operation, so the file
stays well under a minute on two cores.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case
from sqlalchemy import create_engine, text

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key, revoke_api_key
from privault.config import Settings
from privault.home import init_home
from privault.vault import Vault
from privault.vault.fake import fake_customers

#: Roles whose keys send every generated request.
ROLES = ("service", "support_agent", "dpo", "auditor")
#: /v1 operations a caller reaches with neither an API key nor a session: the ways to get a
#: session, and the access-request download whose single-use link token is the credential.
ANONYMOUS_V1 = frozenset(
    {
        "POST /v1/auth/register",
        "POST /v1/auth/login",
        "POST /v1/auth/password/reset/request",
        "POST /v1/auth/password/reset",
        "POST /v1/auth/webauthn/login/options",
        "POST /v1/auth/webauthn/login",
        "POST /v1/auth/webauthn/passkey/options",
        "POST /v1/auth/webauthn/passkey",
        "GET /v1/requests/{request_id}/package",
        "POST /v1/integrations/shopify/webhooks",  # authenticated by its HMAC
    }
)
SESSION_COOKIE = "__Host-privault-session"
PROBLEM_JSON = "application/problem+json"
#: Request values shorter than this may occur in an answer by chance (``eu``, ``true``...).
ECHO_MIN_LENGTH = 8

FUZZ_SETTINGS = settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _openapi() -> dict[str, Any]:
    # create_app opens nothing until its lifespan runs: the schema needs no home.
    return create_app(Settings(home=Path("unused-home"))).openapi()


OPENAPI = _openapi()


def _operations(credential: str | None) -> list[str]:
    """Labels (``METHOD /path``) of the /v1 operations taking ``credential`` (None: neither)."""
    labels = []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            names = {p["name"].lower() for p in operation.get("parameters", [])}
            kind = (
                "api_key"
                if "authorization" in names
                else None
                if label in ANONYMOUS_V1  # a login step may take a session but needs none
                else "session"
                if SESSION_COOKIE.lower() in names
                else None
            )
            if path.startswith("/v1/") and kind == credential:
                labels.append(label)
    return labels


#: Values that break code assuming "small" integers, "recent" dates or "printable" strings:
#: past int64, the first and last instants a datetime holds, NUL (PostgreSQL refuses it in
#: text), a noncharacter and an astral character, traversal and SQL fragments, a long number.
EDGE_INTEGERS = [2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
EDGE_STRINGS = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01",
    "9999-12-31",
    "\x00",
    "a\x00b",
    "\ufffe\U0001d518",
    "../../etc/passwd",
    "' OR '1'='1",
    "9" * 400,
]


def _schema(mode: str) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "dictionaries": {
                "edge-integers": {"values": EDGE_INTEGERS},
                "edge-strings": {"values": EDGE_STRINGS},
            },
            "generation": {
                "mode": mode,
                "deterministic": True,
                "dictionaries": {
                    "integer": {"dictionary": "edge-integers", "probability": 0.25},
                    "string": {"dictionary": "edge-strings", "probability": 0.15},
                },
            },
            "phases": {
                # One method no route serves is enough to show such requests reach nothing.
                "coverage": {"unexpected-methods": ["trace"]},
                # No learning from earlier answers: each operation's examples depend on its
                # own seed only, whichever tests ran before it (stable under xdist).
                "examples": {"extra-data-sources": {"responses": False}},
                "fuzzing": {
                    "extra-data-sources": {"responses": False},
                    "error-feedback": {"enabled": False},
                },
            },
        }
    )
    return schemathesis.openapi.from_dict(OPENAPI, config=config)


SCHEMA = _schema("all")
# Valid requests only: each must be refused for its credentials and nothing else.
KEYED = _schema("positive").include(name=_operations("api_key"))
SESSIONED = _schema("positive").include(name=_operations("session"))


@dataclass
class FuzzApi:
    """The app under fuzzing, a key per role, and credentials that must not work."""

    client: TestClient
    keys: dict[str, str]
    purposes: dict[str, tuple[str, ...]]
    bad_authorizations: tuple[str | None, ...]
    calls: int = 0

    def caller(self) -> tuple[str, dict[str, str]]:
        """The next role in turn, with its key and a purpose: mostly held, else another or none."""
        self.calls += 1
        role = ROLES[self.calls % len(ROLES)]
        headers = {"Authorization": f"Bearer {self.keys[role]}"}
        held = self.purposes[role]
        turn = self.calls // len(ROLES)
        if turn % 5 and held:
            headers["X-Privault-Purpose"] = held[turn % len(held)]
        elif turn % 10 == 0:
            headers["X-Privault-Purpose"] = "marketing"
        return role, headers

    def bad_authorization(self) -> str | None:
        """The next Authorization header that must not authenticate (None: no header)."""
        self.calls += 1
        return self.bad_authorizations[self.calls % len(self.bad_authorizations)]

    def send(self, case: Case[Any], headers: Mapping[str, str]) -> httpx2.Response:
        """Send ``case`` with its generated credentials replaced by ``headers``."""
        replaced = {"authorization", "x-privault-purpose", "cookie"}
        for name in [n for n in case.headers or {} if n.lower() in replaced]:
            del case.headers[name]
        if case.cookies:
            case.cookies.pop(SESSION_COOKIE, None)
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=dict(headers))
        # The arguments are shaped for `requests`; httpx wants raw bodies as `content` and has
        # deprecated per-request cookies (sent here as the header itself).
        cookies = kwargs.pop("cookies", None)
        if cookies:
            kwargs["headers"]["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if "data" in kwargs and not isinstance(kwargs["data"], Mapping):
            kwargs["content"] = kwargs.pop("data")
        return self.client.request(**kwargs)


def _make_key(vault: Vault, role: str, *, revoked: bool = False) -> str:
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            at=vault.records.clock.now(),
        )
        if revoked:
            revoke_api_key(
                db_session=db_session, key_id=created.record.id, at=vault.records.clock.now()
            )
    return created.key


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def fuzz_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database for the whole module (the fuzzer builds up state as it goes)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'privault.db'}"
        return
    pg_url = os.environ.get("PRIVAULT_TEST_DATABASE_URL", "")
    if not pg_url:
        pytest.skip("PRIVAULT_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in pg_url else "?"
        yield f"{pg_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def fuzz_api(fuzz_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzApi]:
    """A client of the app on a fresh home; the rate limit is out of the way."""
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        database={"url": fuzz_database_url},
        server={"rate_per_s": 1e9, "rate_burst": 10**9},
        # The Shopify route is fuzzed configured: every body it gets fails its HMAC (401).
        shopify={"app_secret": "fuzz-app-secret-0123456789", "shop_domain": "fuzz.myshopify.com"},
    )
    init_home(settings)
    with Vault.open(settings) as vault:
        keys = {role: _make_key(vault, role) for role in ROLES}
        service = keys["service"]
        revoked = _make_key(vault, "dpo", revoked=True)
        bad_authorizations = (
            None,
            "",
            "Bearer ",
            "Bearer pvk_",
            f"Bearer {service[:-1]}{'A' if service[-1] != 'A' else 'B'}",  # one character off
            f"Bearer {service[:20]}",  # truncated
            f"Bearer {revoked}",
            f"Basic {service}",
            service,  # no scheme
            f"Bearer {service.upper()}",
            "Bearer pvk_000000000000_" + "A" * 43,  # well-formed, unknown id
        )
        purposes = {role: tuple(vault.datamap.roles[role].purposes) for role in ROLES}
        app = create_app(settings, vault=vault)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield FuzzApi(
                client=client,
                keys=keys,
                purposes=purposes,
                bad_authorizations=bad_authorizations,
            )


def _record_values(body: object) -> Iterator[str]:
    """The customer values in a request body (record values, a search value)."""
    if not isinstance(body, dict):
        return
    values = body.get("values")
    if isinstance(values, dict):
        yield from (v for v in values.values() if isinstance(v, str))
    if isinstance(body.get("value"), str):
        yield body["value"]
    for record in body.get("records") or []:
        yield from _record_values(record)


def assert_no_server_error(case: Case[Any], response: httpx2.Response, context: object) -> None:
    """No 500; any other 5xx is a problem+json 503; no error echoes a customer value."""
    status = response.status_code
    assert status != 500, (context, case.method, case.formatted_path, response.text[:300])
    if status >= 500:
        assert status == 503, (context, status, response.text[:300])
    if status >= 400 and status != 405:
        assert response.headers["content-type"] == PROBLEM_JSON, (context, response.text[:300])
        echoed = [v for v in _record_values(case.body) if len(v) >= ECHO_MIN_LENGTH]
        assert not [v for v in echoed if v in response.text], (context, response.text[:300])


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_no_operation_answers_500(case: Case[Any], fuzz_api: FuzzApi) -> None:
    """Valid requests go out from every role, malformed ones from the roles in turn."""
    # A malformed request is refused by validation before any role matters; a valid one
    # reaches role-specific code (only the auditor reads the log, only `service` writes...).
    positive = case.meta is None or case.meta.generation.mode.is_positive
    for _ in ROLES if positive else ROLES[:1]:
        role, headers = fuzz_api.caller()
        response = fuzz_api.send(case, headers)
        assert_no_server_error(case, response, (role, headers.get("X-Privault-Purpose")))


def _datetime_queries() -> list[tuple[str, str, str]]:
    """(method, path, name) of every query parameter declared as a date-time."""
    found = []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                variants = [
                    parameter.get("schema", {}),
                    *parameter.get("schema", {}).get("anyOf", []),
                ]
                if parameter["in"] == "query" and any(
                    v.get("format") == "date-time" for v in variants
                ):
                    found.append((method.upper(), path, parameter["name"]))
    return found


@pytest.mark.parametrize(("method", "path", "name"), _datetime_queries())
@pytest.mark.parametrize("value", ["2026-01-01T00:00:00", "0001-01-01T00:00:00+14:00"])
def test_datetime_queries_without_offset_or_out_of_range_are_no_500(
    fuzz_api: FuzzApi, method: str, path: str, name: str, value: str
) -> None:
    """A date-time with no UTC offset (the generator always adds one) or at the year-1 edge."""
    for role in ROLES:
        headers = {"Authorization": f"Bearer {fuzz_api.keys[role]}"}
        response = fuzz_api.client.request(method, path, params={name: value}, headers=headers)
        assert response.status_code != 500, (role, method, path, name, value)


def _assert_refused(case: Case[Any], response: httpx2.Response, sent: object) -> None:
    """401 problem+json, whatever the (valid) request asked for."""
    context = (sent, case.method, case.formatted_path, response.text[:300])
    if case.method.upper() != case.operation.method.upper():
        assert response.status_code == 405, context  # no route: nothing read or written
        return
    assert response.status_code == 401, context
    assert response.headers["content-type"] == PROBLEM_JSON, context


@KEYED.parametrize()
@FUZZ_SETTINGS
def test_api_key_operations_refuse_bad_keys(case: Case[Any], fuzz_api: FuzzApi) -> None:
    """No key, or a malformed, forged, revoked, truncated or mis-schemed one: 401."""
    authorization = fuzz_api.bad_authorization()
    headers = {} if authorization is None else {"Authorization": authorization}
    _assert_refused(case, fuzz_api.send(case, headers), authorization)


@SESSIONED.parametrize()
@FUZZ_SETTINGS
def test_session_operations_refuse_bad_sessions(case: Case[Any], fuzz_api: FuzzApi) -> None:
    """No session cookie, or a forged one (an API key is no session either): 401."""
    forged = ("", "x", "A" * 43, fuzz_api.keys["service"])[fuzz_api.calls % 5 % 4]
    fuzz_api.calls += 1
    cookie = {} if fuzz_api.calls % 5 == 0 else {"Cookie": f"{SESSION_COOKIE}={forged}"}
    headers = {**cookie, "Authorization": f"Bearer {fuzz_api.keys['dpo']}"}
    _assert_refused(case, fuzz_api.send(case, headers), cookie)


@pytest.mark.parametrize(
    ("template", "status"),
    [("Bearer {}", 200), ("bearer {}", 200), ("BEARER  {} ", 200), ("{}", 401), ("Token {}", 401)],
)
def test_only_the_bearer_scheme_carries_a_key(
    fuzz_api: FuzzApi, template: str, status: int
) -> None:
    """The scheme is case-insensitive (RFC 9110) but required: a bare key is no credential."""
    authorization = template.format(fuzz_api.keys["auditor"])
    response = fuzz_api.client.get(
        "/v1/audit/checkpoints/latest", headers={"Authorization": authorization}
    )
    # 404 (no checkpoint yet) or 200 both mean the key was accepted.
    accepted = response.status_code in {200, 404}
    assert accepted == (status == 200), (authorization[:12], response.text)


def test_anonymous_v1_operations_are_only_the_listed_ones() -> None:
    """Every other /v1 operation declares an API key or a session: none is open by mistake."""
    assert set(_operations(None)) == ANONYMOUS_V1


class TestNothingReadableAfterDelete:
    """Store a record, read it back, delete it: every route then answers not found."""

    RECORDS = "/v1/collections/customers/records"
    #: (role, purpose) pairs that read customers: plain, masked and token views.
    READERS = (("dpo", "privacy_requests"), ("support_agent", "customer_support"))

    @staticmethod
    def _customer(seed: int, keep: frozenset[str]) -> tuple[str, dict[str, str]]:
        customer = next(fake_customers(1, seed=seed, start=seed % 997 + 1))
        values = {k: v for k, v in customer.items() if k in keep or k == "email"}
        values.pop("customer_id", None)
        return customer["customer_id"], values

    @given(
        seed=st.integers(0, 2**31),
        keep=st.frozensets(st.sampled_from(["name", "phone", "address", "birth_date", "card"])),
        idempotent=st.booleans(),
    )
    @settings(
        max_examples=8,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test_deleted_record_is_gone_everywhere(
        self, fuzz_api: FuzzApi, seed: int, keep: frozenset[str], idempotent: bool
    ) -> None:
        """GET 404; detokenize not_found for every token; search finds it no more; PATCH 404."""
        client = fuzz_api.client
        writer = {"Authorization": f"Bearer {fuzz_api.keys['service']}"}
        subject_id, values = self._customer(seed, keep)
        post_headers = {**writer, "Idempotency-Key": f"fuzz-{seed}"} if idempotent else writer
        body = {"subject_id": subject_id, "values": values}
        stored = client.post(self.RECORDS, headers=post_headers, json=body)
        assert stored.status_code == 201, stored.text
        record_id, tokens = stored.json()["id"], stored.json()["tokens"]
        assert set(tokens) == set(values)

        self._assert_readable(fuzz_api, record_id, tokens, values)
        assert client.delete(f"{self.RECORDS}/{record_id}", headers=writer).status_code == 204
        if idempotent:  # a retried store replays its answer; it brings nothing back
            replay = client.post(self.RECORDS, headers=post_headers, json=body)
            assert replay.status_code == 201
            assert replay.json()["id"] == record_id

        for role, purpose in self.READERS:
            reader = {"Authorization": f"Bearer {fuzz_api.keys[role]}"}
            reader["X-Privault-Purpose"] = purpose
            got = client.get(f"{self.RECORDS}/{record_id}", headers=reader)
            assert got.status_code == 404, got.text
            detokenized = client.post(
                "/v1/detokenize", headers=reader, json={"tokens": list(tokens.values())}
            )
            assert detokenized.status_code == 200, detokenized.text
            for result in detokenized.json()["results"]:
                assert result["error"] == "not_found", result
                assert result.get("value") is None, result
            for name in ("email", "name", "phone"):
                if name in values:
                    found = client.post(
                        "/v1/collections/customers/search",
                        headers=reader,
                        json={"field": name, "value": values[name]},
                    )
                    assert found.status_code in {200, 403}, found.text
                    matches = found.json().get("matches", [])
                    assert record_id not in {m["record_id"] for m in matches}, found.text
        patched = client.patch(
            f"{self.RECORDS}/{record_id}", headers=writer, json={"values": {"name": "X Y"}}
        )
        assert patched.status_code == 404, patched.text
        again = client.delete(f"{self.RECORDS}/{record_id}", headers=writer)
        assert again.status_code == 404, again.text
        for value in values.values():
            assert value not in patched.text + again.text

    def _assert_readable(
        self, fuzz_api: FuzzApi, record_id: str, tokens: dict[str, str], values: dict[str, str]
    ) -> None:
        """Before the delete, the same reads find the record (the checks above can fail)."""
        client = fuzz_api.client
        dpo = {
            "Authorization": f"Bearer {fuzz_api.keys['dpo']}",
            "X-Privault-Purpose": "privacy_requests",
        }
        got = client.get(f"{self.RECORDS}/{record_id}", headers=dpo)
        assert got.status_code == 200, got.text
        assert got.json()["fields"]["email"] == values["email"]
        detokenized = client.post(
            "/v1/detokenize", headers=dpo, json={"tokens": list(tokens.values())}
        )
        assert all(r.get("error") is None for r in detokenized.json()["results"])
        found = client.post(
            "/v1/collections/customers/search",
            headers=dpo,
            json={"field": "email", "value": values["email"]},
        )
        assert record_id in {m["record_id"] for m in found.json()["matches"]}, found.text
