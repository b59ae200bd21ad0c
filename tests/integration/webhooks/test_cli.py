"""``privault webhooks list|deliver|retry`` in-process, against a real local endpoint."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from privault.cli.main import run
from privault.config import Settings
from privault.vault import Vault

from .conftest import SECRET, erase_request
from .receiver import receiver

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    """Run privault against the test home; returns (status, stdout, stderr)."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    monkeypatch.setenv("PRIVAULT_WEBHOOKS__MAX_ATTEMPTS", "1")

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = run(["webhooks", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return invoke


def listed(cli: Invoke, *args: str) -> list[dict[str, object]]:
    """``webhooks list --json``, parsed."""
    status, out, err = cli("list", "--json", *args)
    assert status == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_deliver_list_and_retry(
    cli: Invoke, opened: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead delivery is listed with its state, retried by hand, then delivered."""
    erase_request(opened, finish=False)
    with receiver([500, 200]) as endpoint_:
        endpoints = [
            {
                "name": "crm",
                "url": endpoint_.url,
                "secret": SECRET,
                "events": ["request.in_progress"],
            }
        ]
        monkeypatch.setenv("PRIVAULT_WEBHOOKS__ENDPOINTS", json.dumps(endpoints))
        status, _, err = cli("deliver")
        assert (status, "dead 1" in err) == (0, True)
        (dead,) = listed(cli, "--state", "dead")
        assert (dead["type"], dead["attempts"], dead["last_error"]) == (
            "request.in_progress",
            1,
            "HTTP 500",
        )
        assert cli("retry", str(dead["id"]))[0] == 0
        assert cli("deliver")[0] == 0
        (delivered,) = listed(cli, "--endpoint", "crm")
        assert (delivered["state"], delivered["last_status"]) == ("delivered", 200)
        status, out, _ = cli("list")
        assert status == 0
        assert "crm" in out
    assert SECRET not in out


def test_bad_input_has_exit_statuses(cli: Invoke) -> None:
    """Unknown delivery: 3 (not found); bad state: usage error; missing secret: 2."""
    assert cli("retry", "whd_nope")[0] == 3
    assert cli("list", "--state", "lost")[0] == 2
    endpoints = [{"name": "crm", "url": "http://127.0.0.1:9/x"}]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRIVAULT_WEBHOOKS__ENDPOINTS", json.dumps(endpoints))
        status, _, err = cli("deliver")
    assert status == 2
    assert "no signing secret" in err
