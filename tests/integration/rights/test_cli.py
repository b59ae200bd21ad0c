"""``privault requests ...`` in-process: exit statuses, output, and what is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from privault.cli.main import run
from privault.config import RightsSettings, Settings
from privault.errors import NotFound
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


def _in_progress(cli: Invoke, kind: str) -> str:
    """A request of ``kind`` for C-1001, verified by the operator and approved; its id."""
    status, out, err = cli("open", "C-1001", "--type", kind)
    assert status == 0, err
    request_id = out.strip()
    assert cli("verify", request_id, "--reason", "ID checked at the counter")[0] == 0
    assert cli("approve", request_id)[0] == 0
    return request_id


def test_complete_erasure_prints_a_certificate(cli: Invoke, settings: Settings) -> None:
    """The certificate printed verifies; `requests certificate` prints it again."""
    from privault.rights.fulfil import verify_certificate

    with Vault.open(settings) as vault:
        vault.put("customers", "C-1001", {"email": "ada@example.com"})
        public = vault.keys.audit_signing_key().public_key()
    request_id = _in_progress(cli, "erasure")
    status, out, err = cli("complete", request_id)
    assert status == 0, err
    assert verify_certificate(json.loads(out), public)
    status, out, _ = cli("certificate", request_id)
    assert status == 0
    assert verify_certificate(json.loads(out), public)
    with Vault.open(settings) as vault, pytest.raises(NotFound):
        vault.export_subject("C-1001")


def test_complete_access_prints_a_link(cli: Invoke) -> None:
    """The link path goes to stdout; `requests link` issues another."""
    request_id = _in_progress(cli, "access")
    status, out, err = cli("complete", request_id)
    assert status == 0, err
    assert out.strip().startswith(f"/v1/requests/{request_id}/package?token=pkg_")
    status, again, _ = cli("link", request_id)
    assert status == 0
    assert again.strip() != out.strip()


def test_complete_rectification_from_a_file(
    cli: Invoke, settings: Settings, tmp_path: Path
) -> None:
    """--changes reads corrections from JSON; a malformed file is refused, nothing changes."""
    with Vault.open(settings) as vault:
        record = vault.put("customers", "C-1001", {"email": "ada@example.com"})
    request_id = _in_progress(cli, "rectification")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"collection": "customers"}]')
    status, _, err = cli("complete", request_id, "--changes", str(bad))
    assert status != 0
    assert "--changes must be a JSON list" in err
    good = tmp_path / "changes.json"
    changes = [{"collection": "customers", "record_id": record.id, "values": {"name": "Ada"}}]
    good.write_text(json.dumps(changes))
    status, _, err = cli("complete", request_id, "--changes", str(good))
    assert status == 0, err
    with Vault.open(settings) as vault:
        assert vault.get("customers", record.id).values["name"] == "Ada"


def test_complete_objection_with_purposes(cli: Invoke) -> None:
    """--purpose names what is withdrawn; without it an objection is refused."""
    request_id = _in_progress(cli, "objection")
    assert cli("complete", request_id)[0] != 0
    status, _, err = cli("complete", request_id, "--purpose", "marketing")
    assert status == 0, err
    assert '"purposes": ["marketing"]' in err
