"""The SDK against the real app, in process: starlette's TestClient behind an httpx transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import httpx
import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.apikeys import HASH_KEY_LABEL, create_api_key
from privault.client import Client
from privault.config import Settings
from privault.vault import Vault

BASE_URL = "http://testserver"

MakeClient = Callable[..., Client]


class AppTransport(httpx.BaseTransport):
    """Hands each httpx request to the app through starlette's TestClient (an httpx2 client)."""

    def __init__(self, app_client: TestClient) -> None:
        self._app_client = app_client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request to the app; return its answer as an httpx response."""
        answer = self._app_client.request(
            request.method,
            str(request.url),
            headers=[
                (name, value)
                for name, value in request.headers.multi_items()
                if name.lower() not in {"host", "content-length"}
            ],
            content=request.read(),
        )
        return httpx.Response(
            answer.status_code,
            headers=[
                (name, value)
                for name, value in answer.headers.multi_items()
                if name.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
            ],
            content=answer.content,
            request=request,
        )


@pytest.fixture
def opened(settings: Settings) -> Iterator[Vault]:
    """The vault the app serves."""
    with Vault.open(settings) as vault:
        yield vault


def make_key(
    vault: Vault,
    role: str,
    *,
    purposes: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
) -> str:
    """A new API key for ``role`` (optionally narrowed to some purposes or regions)."""
    with vault.session() as db_session:
        created = create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
            role=role,
            purposes=list(purposes) if purposes is not None else None,
            regions=list(regions) if regions is not None else None,
            at=vault.records.clock.now(),
        )
    return created.key


@pytest.fixture
def app_client(settings: Settings, opened: Vault) -> Iterator[TestClient]:
    """The app, started (lifespan run) for the test."""
    with TestClient(create_app(settings, vault=opened)) as test_client:
        yield test_client


@pytest.fixture
def connect(app_client: TestClient, opened: Vault) -> Iterator[MakeClient]:
    """Make an SDK client for a role (a new API key each), talking to the in-process app."""
    clients: list[Client] = []

    def make(role: str, **key_options: Sequence[str]) -> Client:
        client = Client(
            BASE_URL, make_key(opened, role, **key_options), transport=AppTransport(app_client)
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
