"""Several server processes on one database: a TOTP code is accepted once across all of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient

from privault.api import create_app
from privault.config import Settings
from privault.vault import Vault

from .conftest import CHEAP, EMAIL, PASSWORD

COOKIE = "__Host-privault-session"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server_process(settings: Settings) -> Iterator[str]:
    """`privault serve` in its own process on the test's home and database; yields its URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAULT_")}
    env["PRIVAULT_DATABASE__URL"] = settings.database_url
    for name, value in CHEAP.items():
        env[f"PRIVAULT_AUTH__{name.upper()}"] = str(value).lower()
    process = subprocess.Popen(
        [sys.executable, "-m", "privault", "--home", str(settings.home), "serve", "--port",
         str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
        assert b"Traceback" not in errors, errors.decode(errors="replace")


def pending_login(url: str) -> str:
    """Log in over plain HTTP to a server process; return the pending session's token.

    The cookie is Secure, so an HTTP client would not keep it: it is read from Set-Cookie and
    sent back by hand, as a TLS-terminating proxy in front of the process would.
    """
    response = httpx.post(f"{url}/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "mfa_pending"
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie[COOKIE].value


def verify(url: str, token: str, **body: str) -> httpx.Response:
    """Present a second factor to a server process."""
    return httpx.post(
        f"{url}/v1/auth/mfa/verify", json=body, headers={"Cookie": f"{COOKIE}={token}"}, timeout=30
    )


@pytest.fixture
def enrolled(settings: Settings) -> Iterator[tuple[TestClient, str, list[str], Settings]]:
    """A customer with an authenticator, made through an in-process app (process A)."""
    configured = settings.model_copy(update={"auth": settings.auth.model_copy(update=CHEAP)})
    with (
        Vault.open(configured) as vault,
        TestClient(create_app(configured, vault=vault), base_url="https://testserver") as client,
    ):
        assert (
            client.post(
                "/v1/auth/register", json={"email": EMAIL, "password": PASSWORD}
            ).status_code
            == 202
        )
        client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        secret = client.post("/v1/auth/mfa/totp", json={"password": PASSWORD}).json()["secret"]
        confirmed = client.post(
            "/v1/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).now()}
        )
        assert confirmed.status_code == 200, confirmed.text
        yield client, secret, confirmed.json()["recovery_codes"], configured


def test_code_replayed_against_second_process_is_refused(
    enrolled: tuple[TestClient, str, list[str], Settings],
) -> None:
    """A code accepted by one server process is refused by another on the same database."""
    client, secret, recovery_codes, configured = enrolled
    # The confirmation used the current step; the next step's code is also inside the window.
    code = pyotp.TOTP(secret).at(time.time(), counter_offset=1)
    client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    accepted = client.post("/v1/auth/mfa/verify", json={"code": code})
    assert accepted.status_code == 200, accepted.text
    with server_process(configured) as other:
        replay = verify(other, pending_login(other), code=code)
        assert replay.status_code == 401
        assert replay.json()["code"] == "bad_second_factor"
        # The other process does accept a valid second factor: the refusal was the replay.
        assert (
            verify(other, pending_login(other), recovery_code=recovery_codes[0]).status_code == 200
        )


def test_two_processes_racing_on_one_code_accept_it_once(
    enrolled: tuple[TestClient, str, list[str], Settings],
) -> None:
    """The same fresh code sent at the same moment to two processes succeeds exactly once."""
    _, secret, _, configured = enrolled
    with ExitStack() as stack:
        urls = [stack.enter_context(server_process(configured)) for _ in range(2)]
        tokens = [pending_login(url) for url in urls]
        code = pyotp.TOTP(secret).at(time.time(), counter_offset=1)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def attempt(url: str, token: str) -> None:
            barrier.wait()
            statuses.append(verify(url, token, code=code).status_code)

        threads = [
            threading.Thread(target=attempt, args=pair) for pair in zip(urls, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(statuses) == [200, 401]
