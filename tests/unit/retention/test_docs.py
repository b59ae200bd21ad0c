"""docs/retention.md says what the code does: output lines, settings, audit operations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import privault
from privault.config import RetentionSettings
from privault.datamap import Retention
from privault.retention import CollectionRetention, PurgeStatus, purge_for

DOC = Path(__file__).parents[3] / "docs" / "retention.md"
SRC = Path(privault.__file__).parent / "retention"
MADE = datetime(2024, 1, 10, 9, 30, tzinfo=UTC)


def _example_lines() -> list[list[str]]:
    block = DOC.read_text(encoding="utf-8").split("```\npurge\t", 1)[1].split("```", 1)[0]
    return [line.split("\t") for line in ("purge\t" + block).splitlines() if line]


def test_example_lines_are_what_the_rules_print() -> None:
    """Each example line has the six columns and the reason the rules give for its case."""
    customers = CollectionRetention(
        "customers", Retention.parse("3y"), {"card": Retention.parse("1y")}
    )
    orders = CollectionRetention("orders", None, {"ip_address": Retention.parse("90d")})
    cases = {
        ("customers", "card"): (customers, ("email", "card"), 400),
        ("orders", "ip_address"): (orders, ("ip_address",), 100),
        ("customers", "email,name"): (customers, ("email", "name"), 3 * 365 + 1),
    }
    lines = _example_lines()
    assert len(lines) == 4
    for status, action, collection, _record, fields, reason in lines:
        rule, held, days = cases[(collection, fields)]
        purge = purge_for(
            rule,
            record_id="rec",
            subject_id="C-1",
            created_at=MADE,
            updated_at=MADE,
            fields=held,
            now=MADE + timedelta(days=days),
        )
        assert purge is not None
        assert PurgeStatus(status) in (PurgeStatus.PURGE, PurgeStatus.HELD)
        assert (action, ",".join(purge.fields), purge.reason) == (
            "delete" if purge.whole else "drop",
            fields,
            reason,
        )


def test_settings_table_matches_the_settings() -> None:
    """Every setting is documented with its default, and nothing else is."""
    text = DOC.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| `([^`]+)` \|", text, flags=re.MULTILINE))
    defaults = RetentionSettings()
    assert set(rows) == {name.upper() for name in RetentionSettings.model_fields}
    for name, shown in rows.items():
        value = getattr(defaults, name.lower())
        expected = str(value).lower() if isinstance(value, bool) else f"{value:g}"
        assert shown == expected, name


def test_audit_operations_are_the_ones_logged() -> None:
    """The audit table lists exactly the operations the retention code writes."""
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(retention\.[a-z_]+)` \|", text, flags=re.MULTILINE))
    source = " ".join(p.read_text(encoding="utf-8") for p in SRC.glob("*.py"))
    logged = set(re.findall(r'operation="(retention\.[a-z_]+)"', source))
    assert (
        documented
        == logged
        == {
            "retention.purge",
            "retention.sweep",
            "retention.hold_add",
            "retention.hold_remove",
        }
    )
