"""`privault serve` as a real process: it starts, answers, and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from privault.config import Settings
from privault.home import init_home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_health_and_docs(tmp_path: Path, workers: int) -> None:
    """The server binds the port, serves /health and /docs, and stops cleanly on SIGTERM;
    with several worker processes too."""
    home = tmp_path / "home"
    init_home(Settings(home=home))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAULT_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "privault",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"Traceback" not in output


def test_serve_refuses_uninitialised_home(tmp_path: Path) -> None:
    """Serving a home without keys fails fast with a pointer to `privault init`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAULT_")}
    (tmp_path / "home").mkdir()
    from privault.datamap import starter_datamap_text

    (tmp_path / "home" / "privault.yaml").write_text(starter_datamap_text())
    result = subprocess.run(
        [sys.executable, "-m", "privault", "--home", str(tmp_path / "home"), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "privault init" in result.stderr
