"""Examples in README.md run as written."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from privault.config import Settings
from privault.home import init_home

ROOT = Path(__file__).resolve().parents[2]
# A README block whose first line is this comment runs against a live `privault serve`.
SDK_MARK = "# SDK example"


def python_blocks(path: Path) -> list[str]:
    """Every ```python block of a Markdown file."""
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_library_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's library example works against a home initialised in ./.privault."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("PRIVAULT_")]:
        monkeypatch.delenv(name)
    init_home(Settings(home=Path(".privault")))
    blocks = [b for b in python_blocks(ROOT / "README.md") if not b.startswith(SDK_MARK)]
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - running our own docs


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PRIVAULT_")}


def _api_key(home: Path, role: str) -> str:
    """A key made with the documented command, `privault apikey create --role R`."""
    result = subprocess.run(
        [sys.executable, "-m", "privault", "--home", str(home), "apikey", "create", "--role", role],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@contextmanager
def _serving(home: Path) -> Iterator[str]:
    """`privault serve` on a free port; yields its base URL, stops it with SIGTERM."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "privault", "--home", str(home), "serve", "--port", str(port)],
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert b"Traceback" not in output


def test_sdk_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK examples of README.md and docs/sdk.md work against a live `privault serve`."""
    readme = [b for b in python_blocks(ROOT / "README.md") if b.startswith(SDK_MARK)]
    assert readme, "README has no SDK example"
    blocks = [("README.md", b) for b in readme]
    blocks += [("docs/sdk.md", b) for b in python_blocks(ROOT / "docs" / "sdk.md")]
    home = tmp_path / "home"
    init_home(Settings(home=home))
    monkeypatch.setenv("SHOP_BACKEND_KEY", _api_key(home, "service"))
    monkeypatch.setenv("SHOP_SUPPORT_KEY", _api_key(home, "support_agent"))
    with _serving(home) as url:
        monkeypatch.setenv("SHOP_PRIVAULT_URL", url)
        for source, block in blocks:
            exec(compile(block, source, "exec"), {})  # noqa: S102 - running our own docs
