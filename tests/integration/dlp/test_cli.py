"""``privault scan`` end to end: formats, exit codes, stdin, redacted copies, databases."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from privault.dlp.cli import app

runner = CliRunner()
LOG = "2024-05-01T10:00:00Z order=ORD-1 user=jo@example.com card=4111111111111111\n"


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    path.write_text(LOG)
    return path


def test_json_format_lists_findings(tmp_path: Path) -> None:
    """``--format json`` prints findings with masked previews and a summary."""
    result = runner.invoke(app, [str(_log(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"] == {"email": 1, "card": 1}
    assert "jo@example.com" not in result.stdout


def test_sarif_format_is_sarif(tmp_path: Path) -> None:
    """``--format sarif`` prints a SARIF 2.1.0 log."""
    result = runner.invoke(app, [str(_log(tmp_path)), "--format", "sarif"])
    assert json.loads(result.stdout)["version"] == "2.1.0"


def test_table_format_is_default(tmp_path: Path) -> None:
    """Without ``--format`` a table is printed."""
    result = runner.invoke(app, [str(_log(tmp_path))])
    assert "privault scan" in result.stdout
    assert "2 findings" in result.stdout


def test_fail_on_matching_type_exits_one(tmp_path: Path) -> None:
    """``--fail-on card`` exits 1 when a card is found, 0 when only other types are."""
    path = _log(tmp_path)
    assert runner.invoke(app, [str(path), "--fail-on", "card"]).exit_code == 1
    assert runner.invoke(app, [str(path), "--fail-on", "iban,us_ssn"]).exit_code == 0
    assert runner.invoke(app, [str(path), "--fail-on", "any"]).exit_code == 1


def test_unknown_type_is_a_usage_error(tmp_path: Path) -> None:
    """An unknown type name in ``--fail-on`` exits 2 with a message."""
    result = runner.invoke(app, [str(_log(tmp_path)), "--fail-on", "kards"])
    assert result.exit_code == 2
    assert "unknown type" in result.output


def test_stdin_is_read_with_dash() -> None:
    """``-`` scans standard input."""
    result = runner.invoke(app, ["-", "--format", "json"], input="mail jo@example.com\n")
    assert json.loads(result.stdout)["findings"][0]["path"] == "<stdin>"


def test_redact_to_writes_redacted_copies(tmp_path: Path) -> None:
    """``--redact-to`` writes a redacted copy that no longer holds the values."""
    out = tmp_path / "clean"
    result = runner.invoke(
        app,
        [
            str(_log(tmp_path)),
            "--redact-to",
            str(out),
            "--redact-mode",
            "label",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "app.log").read_text() == LOG.replace("jo@example.com", "[EMAIL]").replace(
        "4111111111111111", "[CARD]"
    )


def test_hash_mode_without_key_is_refused(tmp_path: Path) -> None:
    """``--redact-mode hash`` without the key variable exits 2."""
    result = runner.invoke(
        app,
        [str(_log(tmp_path)), "--redact-to", str(tmp_path / "o"), "--redact-mode", "hash"],
        env={"PRIVAULT_DLP_HASH_KEY": ""},
    )
    assert result.exit_code == 2


def test_missing_file_exits_two(tmp_path: Path) -> None:
    """A path that does not exist is an error (exit 2), not an empty report."""
    result = runner.invoke(app, [str(tmp_path / "nope.log")])
    assert result.exit_code == 2


def test_no_input_exits_two() -> None:
    """Neither a path nor ``--db``: exit 2 with a message."""
    result = runner.invoke(app, [])
    assert result.exit_code == 2


def test_db_scan_classifies_columns(tmp_path: Path) -> None:
    """``--db`` samples a SQLite table and names its personal-data columns."""
    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table customers (id integer, email text, sku text)")
        connection.executemany(
            "insert into customers values (?, ?, ?)",
            [(i, f"c{i}@example.com", f"SKU-{i:05d}") for i in range(20)],
        )
    result = runner.invoke(
        app,
        [
            "--db",
            f"sqlite:///{database}",
            "--table",
            "customers",
            "--sample",
            "10",
            "--format",
            "json",
            "--fail-on",
            "email",
        ],
    )
    assert result.exit_code == 1
    columns = {c["column"]: c["pii_type"] for c in json.loads(result.stdout)["columns"]}
    assert columns == {"id": None, "email": "email", "sku": None}


def test_hash_mode_writes_keyed_tags(tmp_path: Path) -> None:
    """With the key set, ``--redact-mode hash`` writes the same tag for the same value."""
    path = tmp_path / "twice.log"
    path.write_text("jo@example.com\njo@example.com\n")
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [str(path), "--redact-to", str(out), "--redact-mode", "hash", "--format", "json"],
        env={"PRIVAULT_DLP_HASH_KEY": "k" * 32},
    )
    assert result.exit_code == 0, result.output
    first, second = (out / "twice.log").read_text().splitlines()
    assert first == second
    assert first.startswith("[EMAIL:")
