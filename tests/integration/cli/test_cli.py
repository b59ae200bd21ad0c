"""The `privault` command end to end, in-process: exit statuses and messages people see."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from privault.cli.main import run
from privault.config import Settings


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> object:
    """Run privault against the test home; returns (status, stdout, stderr)."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = run(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return invoke


Invoke = object


def call(cli: Invoke, *args: str) -> tuple[int, str, str]:
    """Typed call of the cli fixture."""
    return cli(*args)  # type: ignore[operator,no-any-return]


class TestVaultCommands:
    """put, get, update, delete, export, erase."""

    def test_put_get_update_delete(self, cli: Invoke) -> None:
        """A record goes through its life from the command line."""
        status, out, _ = call(
            cli, "put", "--subject", "C1", "email=ada@example.com", "name=Ada Lovelace"
        )
        assert status == 0
        record_id = json.loads(out)["id"]
        status, out, _ = call(cli, "get", record_id)
        assert json.loads(out)["values"] == {"email": "ada@example.com", "name": "Ada Lovelace"}
        status, out, _ = call(cli, "update", record_id, "name=Ada King", "phone=+1 415 555 2671")
        assert status == 0
        assert json.loads(out)["version"] == 2
        assert call(cli, "delete", record_id)[0] == 0
        status, _, err = call(cli, "get", record_id)
        assert status == 3
        assert "not found" in err

    def test_put_rejects_bad_value_with_field_name(self, cli: Invoke) -> None:
        """Invalid input exits 2 with the field and rule, not the value."""
        status, _, err = call(cli, "put", "-s", "C1", "email=zzz-canary")
        assert status == 2
        assert "field 'email': not a valid email address" in err
        assert "zzz-canary" not in err

    def test_export_and_erase(self, cli: Invoke) -> None:
        """Export prints every record; after erase, export exits non-zero and says erased."""
        call(cli, "put", "-s", "C9", "email=a@example.com")
        call(cli, "put", "-s", "C9", "email=b@example.com")
        status, out, _ = call(cli, "export", "--subject", "C9")
        assert status == 0
        assert len(json.loads(out)["records"]) == 2
        status, out, _ = call(cli, "erase", "--subject", "C9", "--yes")
        assert status == 0
        assert json.loads(out)["records_deleted"] == 2
        status, out, err = call(cli, "export", "--subject", "C9")
        assert status == 3
        assert "customer was erased at" in err
        assert out == ""


class TestImportCommand:
    """`privault import` and `privault fake customers`."""

    def test_fake_then_import(self, cli: Invoke, tmp_path: Path) -> None:
        """Synthetic customers import without a rejected row."""
        status, out, _ = call(cli, "fake", "customers", "--count", "50", "--seed", "1")
        assert status == 0
        source = tmp_path / "c.csv"
        source.write_text(out)
        status, _, err = call(cli, "import", str(source), "-q")
        assert status == 0
        assert "50 rows imported, 0 rejected" in err

    def test_bad_rows_exit_non_zero_with_line_numbers(self, cli: Invoke, tmp_path: Path) -> None:
        """A bad row is listed by line; the status is 1; the good rows landed."""
        source = tmp_path / "c.csv"
        source.write_text("customer_id,email\nC1,ok@example.com\nC2,broken\nC3,fine@example.com\n")
        status, _, err = call(cli, "import", str(source), "-q")
        assert status == 1
        assert "line 3: field 'email': not a valid email address" in err
        assert "2 rows imported, 1 rejected" in err
        assert call(cli, "export", "-s", "C3")[0] == 0

    def test_dry_run_stores_nothing(self, cli: Invoke, tmp_path: Path) -> None:
        """--dry-run validates only."""
        source = tmp_path / "c.jsonl"
        source.write_text('{"customer_id": "C1", "email": "ok@example.com"}\n')
        status, _, err = call(cli, "import", str(source), "--dry-run", "-q")
        assert status == 0
        assert "1 rows valid" in err
        assert call(cli, "export", "-s", "C1")[0] == 3

    def test_unknown_format_is_explained(self, cli: Invoke, tmp_path: Path) -> None:
        """A file whose format cannot be told asks for --format."""
        source = tmp_path / "c.txt"
        source.write_text("x")
        status, _, err = call(cli, "import", str(source))
        assert status == 2
        assert "--format" in err

    def test_missing_file(self, cli: Invoke, tmp_path: Path) -> None:
        """A missing file is a clear error."""
        status, _, err = call(cli, "import", str(tmp_path / "nope.csv"))
        assert status == 2
        assert "no such file" in err


class TestHomeCommands:
    """init, check, migrate, keys."""

    def test_init_refuses_to_overwrite_keys(self, cli: Invoke, settings: Settings) -> None:
        """A second init exits non-zero and leaves the keys byte for byte."""
        before = {p.name: p.read_bytes() for p in settings.keys_dir.iterdir()}
        status, _, err = call(cli, "init")
        assert status == 4
        assert "refusing to overwrite" in err
        assert {p.name: p.read_bytes() for p in settings.keys_dir.iterdir()} == before
        assert call(cli, "init", "--exist-ok")[0] == 0

    def test_check_points_at_the_bad_entry(self, cli: Invoke, tmp_path: Path) -> None:
        """`privault check` prints the path of the problem with a suggestion."""
        from privault.datamap import starter_datamap_text

        bad = tmp_path / "bad.yaml"
        bad.write_text(starter_datamap_text().replace("type: email", "type: emial", 1))
        status, _, err = call(cli, "check", str(bad))
        assert status == 2
        assert "collections.customers.fields.email.type: unknown type 'emial'" in err
        assert "did you mean 'email'?" in err

    def test_check_accepts_the_home_data_map(self, cli: Invoke) -> None:
        """The starter data map checks clean."""
        status, _, err = call(cli, "check")
        assert status == 0
        assert ": ok (" in err

    def test_migrate_up_to_date(self, cli: Invoke) -> None:
        """Migrating an up-to-date database says so."""
        status, _, err = call(cli, "migrate")
        assert status == 0
        assert "already at" in err

    def test_keys_status_rotate_retire(self, cli: Invoke) -> None:
        """Rotate adds a version per region; retire removes the old ones."""
        call(cli, "put", "-s", "C1", "email=a@example.com")
        status, out, _ = call(cli, "keys", "status")
        assert status == 0
        assert out.count("yes") == 2
        status, _, err = call(cli, "keys", "rotate", "--region", "eu")
        assert status == 0
        assert "1 customer keys rewrapped" in err
        status, _, err = call(cli, "keys", "retire", "--region", "eu")
        assert status == 0
        assert "retired version" in err
        assert call(cli, "export", "-s", "C1")[0] == 0

    def test_unknown_region_is_refused(self, cli: Invoke) -> None:
        """Rotating a region the data map lacks is an input error."""
        status, _, err = call(cli, "keys", "rotate", "--region", "mars")
        assert status == 2
        assert "mars" in err


def test_uninitialised_home_says_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Commands on a home without keys point at `privault init`."""
    monkeypatch.delenv("PRIVAULT_DATABASE__URL", raising=False)
    (tmp_path / "h").mkdir()
    from privault.datamap import starter_datamap_text

    (tmp_path / "h" / "privault.yaml").write_text(starter_datamap_text())
    status = run(["--home", str(tmp_path / "h"), "export", "-s", "C1"])
    assert status == 3
    assert "privault init" in capsys.readouterr().err
    assert os.environ.get("PRIVAULT_HOME") != str(tmp_path / "h")


def test_init_with_a_bad_data_map_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken privault.yaml stops init before any key or database file exists."""
    monkeypatch.delenv("PRIVAULT_DATABASE__URL", raising=False)
    from privault.datamap import starter_datamap_text

    home = tmp_path / "h"
    home.mkdir()
    broken = starter_datamap_text().replace("basis: consent", "basis: vibes")
    (home / "privault.yaml").write_text(broken)
    status = run(["--home", str(home), "init"])
    assert status == 2
    assert "purposes.marketing.basis: unknown legal basis 'vibes'" in capsys.readouterr().err
    assert sorted(p.name for p in home.iterdir()) == ["privault.yaml"]


def test_key_and_api_key_operations_are_audited(cli: Invoke, settings: Settings) -> None:
    """Rotation, retirement and API-key creation and revocation land in the audit log."""
    from sqlalchemy import text

    from privault.vault import Vault

    call(cli, "put", "-s", "C1", "email=a@example.com")
    assert call(cli, "keys", "rotate", "--region", "eu")[0] == 0
    assert call(cli, "keys", "retire", "--region", "eu")[0] == 0
    status, out, _ = call(cli, "apikey", "create", "--role", "service")
    assert status == 0
    key_id = out.strip().split("_")[1]
    assert call(cli, "apikey", "revoke", key_id)[0] == 0
    with Vault.open(settings) as vault, vault.session() as db_session:
        operations = (
            db_session.execute(text("SELECT operation FROM audit_events ORDER BY leaf_index"))
            .scalars()
            .all()
        )
        assert vault.audit.verify(db_session=db_session).ok
    assert operations == [
        "record.write", "keys.rotate", "keys.retire", "apikey.create", "apikey.revoke",
    ]  # fmt: skip
    assert key_id not in "".join(operations)
