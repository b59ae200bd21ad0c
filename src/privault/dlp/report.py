"""Reports of located findings: a table for people, JSON, and SARIF 2.1.0 for CI systems.

Reports never hold the matched text: a location, the type, the detector's confidence and
validator, and a masked preview.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from privault.dlp.findings import PII_TYPES, LocatedFinding

__all__ = ["SARIF_SCHEMA", "render_table", "summary", "to_json", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Types whose leak is serious on its own: a SARIF "error"; the rest are "warning".
_SEVERE = frozenset(
    {
        "card",
        "cvv",
        "secret",
        "us_ssn",
        "uk_nino",
        "de_tax_id",
        "fr_insee",
        "es_dni",
        "it_fiscal_code",
        "nl_bsn",
        "in_aadhaar",
        "iban",
        "bank_account",
    }
)


def summary(items: Iterable[LocatedFinding]) -> dict[str, int]:
    """How many findings of each type, most frequent first."""
    return dict(Counter(item.type for item in items).most_common())


def _where(item: LocatedFinding) -> str:
    place = item.path
    if item.line is not None:
        place += f":{item.line}"
        if item.column is not None:
            place += f":{item.column}"
    if item.field is not None:
        place += f" [{item.field}]"
    return place


def render_table(items: Sequence[LocatedFinding], console: Console) -> None:
    """Print the findings as a table, then a one-line count per type."""
    if not items:
        console.print("No personal data found.")
        return
    table = Table(title="privault scan")
    for heading in ("Location", "Type", "Confidence", "Validator", "Preview"):
        table.add_column(heading, overflow="fold")
    for item in items:
        table.add_row(
            _where(item), item.type, f"{item.confidence:.2f}", item.validator, item.preview
        )
    console.print(table)
    counts = ", ".join(f"{pii_type}: {count}" for pii_type, count in summary(items).items())
    console.print(f"{len(items)} findings ({counts})")


def to_json(items: Sequence[LocatedFinding]) -> str:
    """The findings and a per-type summary as a JSON document."""
    document = {
        "findings": [
            {
                "path": item.path,
                "line": item.line,
                "column": item.column,
                "field": item.field,
                "type": item.type,
                "confidence": item.confidence,
                "validator": item.validator,
                "detector": item.detector,
                "preview": item.preview,
                "length": item.length,
            }
            for item in items
        ],
        "summary": summary(items),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def to_sarif(items: Sequence[LocatedFinding], *, version: str = "0.1.0") -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log: one rule per PII type, one result per finding."""
    used = sorted({item.type for item in items})
    rule_index = {pii_type: index for index, pii_type in enumerate(used)}
    rules = [
        {
            "id": f"dlp/{pii_type}",
            "name": pii_type,
            "shortDescription": {"text": PII_TYPES.get(pii_type, pii_type)},
            "defaultConfiguration": {"level": "error" if pii_type in _SEVERE else "warning"},
        }
        for pii_type in used
    ]
    results = []
    for item in items:
        region: dict[str, int] = {}
        if item.line is not None:
            region["startLine"] = item.line
            if item.column is not None:
                region["startColumn"] = item.column
                region["endColumn"] = item.column + item.length
        location: dict[str, Any] = {"artifactLocation": {"uri": item.path.replace("\\", "/")}}
        if region:
            location["region"] = region
        result: dict[str, Any] = {
            "ruleId": f"dlp/{item.type}",
            "ruleIndex": rule_index[item.type],
            "level": "error" if item.type in _SEVERE else "warning",
            "message": {
                "text": f"Possible {PII_TYPES.get(item.type, item.type)} ({item.preview}), "
                f"confidence {item.confidence:.2f}, validator {item.validator}"
            },
            "locations": [{"physicalLocation": location}],
            "properties": {"confidence": item.confidence, "detector": item.detector},
        }
        if item.field is not None:
            result["locations"][0]["logicalLocations"] = [{"name": item.field}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "privault-dlp",
                        "version": version,
                        "informationUri": "https://github.com/privault/privault",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
