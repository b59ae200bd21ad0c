"""Reports: table, JSON and SARIF 2.1.0, none holding the matched text."""

from __future__ import annotations

import io
import json

from rich.console import Console

from privault.dlp import FileScanner, LocatedFinding, Scanner
from privault.dlp.report import render_table, to_json, to_sarif

TEXT = "ok\nmail jo@example.com card 4111111111111111\n"


def items() -> list[LocatedFinding]:
    """Findings of a small log."""
    return list(FileScanner(Scanner()).scan_text(TEXT, path="logs/app.log"))


def test_sarif_has_rules_results_and_regions() -> None:
    """The SARIF log names its version, one rule per type and a region per result."""
    sarif = to_sarif(items())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["dlp/card", "dlp/email"]
    first = run["results"][0]
    assert first["ruleId"] == "dlp/email"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "logs/app.log"},
        "region": {"startLine": 2, "startColumn": 6, "endColumn": 20},
    }
    assert [r["level"] for r in run["results"]] == ["warning", "error"]


def test_reports_hold_no_plaintext() -> None:
    """Neither JSON, SARIF nor the table contains the matched values."""
    buffer = io.StringIO()
    render_table(items(), Console(file=buffer, width=200))
    for output in (to_json(items()), json.dumps(to_sarif(items())), buffer.getvalue()):
        assert "jo@example.com" not in output
        assert "4111111111111111" not in output


def test_json_report_has_summary() -> None:
    """The JSON report counts findings per type."""
    assert json.loads(to_json(items()))["summary"] == {"email": 1, "card": 1}


def test_empty_table_says_nothing_found() -> None:
    """A scan without findings prints a plain sentence."""
    buffer = io.StringIO()
    render_table([], Console(file=buffer))
    assert "No personal data found." in buffer.getvalue()
