"""``privault requests ...`` in-process: exit statuses, output, and what is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from privault.cli.main import run
from privault.config import RightsSettings, Settings
from privault.rights import CODE_HASH_LABEL, send_code
from privault.vault import Vault

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    """Run privault against the test home; returns (status, stdout, stderr)."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = run(["requests", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return invoke


def open_request(cli: Invoke, *args: str) -> str:
    """Open a request from the command line; its id."""
    status, out, err = cli("open", "C-1001", "--type", "access", *args)
    assert status == 0, err
    return out.strip()


def test_full_workflow(cli: Invoke) -> None:
    """open, duplicate, verify by operator, approve, extend, complete, show."""
    request_id = open_request(cli)
    assert request_id.startswith("dsr_")
    status, out, err = cli("open", "C-1001", "--type", "access")
    assert (status, out.strip()) == (0, request_id)
    assert "already open" in err
    assert cli("verify", request_id, "--reason", "ID checked at the counter")[0] == 0
    assert cli("approve", request_id)[0] == 0
    assert cli("extend", request_id, "--reason", "archive search")[0] == 0
    assert cli("complete", request_id)[0] == 0
    status, out, _ = cli("show", request_id)
    shown = json.loads(out)
    assert shown["state"] == "completed"
    assert shown["verified_by"] == "operator"
    assert [e["to_state"] for e in shown["events"] if e["action"] == "transition"] == [
        "identity_verified",
        "in_progress",
        "completed",
    ]
    status, out, _ = cli("list", "--state", "completed")
    assert request_id in out


def test_errors_have_exit_codes(cli: Invoke) -> None:
    """Unknown id 3, invalid move 4, missing reason 2; messages name no customer data."""
    request_id = open_request(cli)
    assert cli("approve", "dsr_" + "0" * 32)[0] == 3
    status, _, err = cli("approve", request_id)
    assert status == 4
    assert "cannot become in_progress" in err
    assert cli("deny", request_id, "--reason", " ")[0] == 2
    assert cli("verify", request_id)[0] == 2  # neither --code nor --reason


def test_verify_by_code_keeps_failed_attempts(cli: Invoke, settings: Settings) -> None:
    """A wrong code exits 7 and the attempt is recorded; the right one verifies."""
    request_id = open_request(cli)
    codes: list[str] = []
    with Vault.open(settings) as vault, vault.session() as db_session:
        send_code(
            db_session=db_session,
            audit=vault.audit,
            sender=lambda **kw: codes.append(kw["code"]),
            hash_key=vault.keys.derived.derive(CODE_HASH_LABEL),
            settings=RightsSettings(),
            request_id=request_id,
            at=datetime.now(UTC),
            actor="test",
        )
    wrong = "000000" if codes[0] != "000000" else "111111"
    status, _, err = cli("verify", request_id, "--code", wrong)
    assert status == 7
    assert wrong not in err
    shown = json.loads(cli("show", request_id)[1])
    assert shown["events"][-1]["action"] == "code_failed"
    assert cli("verify", request_id, "--code", codes[0])[0] == 0
    assert json.loads(cli("show", request_id)[1])["verified_by"] == "code"


def test_overdue_lists_late_requests(cli: Invoke) -> None:
    """A request due in about a month is listed with a 40-day look-ahead, not with none."""
    request_id = open_request(cli)
    status, out, err = cli("overdue", "--within-days", "0")
    assert status == 0
    assert request_id not in out
    assert "0 deadline(s)" in err
    status, out, err = cli("overdue", "--within-days", "40")
    assert request_id in out
    assert "1 deadline(s) past or within 40 day(s)" in err
