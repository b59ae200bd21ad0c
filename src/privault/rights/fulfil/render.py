"""The access package as CSV (one row per field value) and as a readable HTML page. Pure.

Everything from the package is escaped: HTML with ``html.escape``; CSV cells that a spreadsheet
would run as a formula get a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from html import escape
from string import Template
from typing import Any

CSV_COLUMNS = (
    "collection",
    "record_id",
    "field",
    "value",
    "type",
    "category",
    "purposes",
    "legal_bases",
    "retention",
    "recipients",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number or phone number (``+49 30 1234``, ``-12.5``) is data, not a formula.
_NUMBER = re.compile(r"[+-]?[0-9][0-9 ().-]*")


def csv_cell(value: object) -> str:
    """A cell's text, neutralised when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def package_csv(package: dict[str, Any]) -> str:
    """One row per field value, with its purposes, legal bases, retention and recipients."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in package["records"]:
        for item in record["fields"]:
            purposes = item["purposes"]
            row = (
                record["collection"],
                record["record_id"],
                item["field"],
                item["value"],
                item["type"],
                item["category"],
                ";".join(p["purpose"] for p in purposes),
                ";".join(sorted({p["basis"] for p in purposes})),
                item["retention"],
                ";".join(item["recipients"]),
            )
            writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your data</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1a1a1a}
table{border-collapse:collapse;margin:0 0 1.5rem;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}caption{text-align:left;font-weight:bold;padding:.3rem 0}
</style>
</head>
<body>
<h1>The data we hold about you</h1>
<p>Customer <strong>$subject</strong>, answering request <code>$request</code>
($kind, received $received). Prepared $generated.</p>
<h2>Your records</h2>
$records
<h2>Your consent choices</h2>
$consents
<h2>History of your consent choices</h2>
$history
<h2>Who accessed your data, when and why</h2>
$accesses
</body>
</html>
""")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return escape(", ".join(str(item) for item in value))
    return escape(str(value))


def _table(caption: str | None, headings: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>\n" for row in rows
    )
    if not body:
        return "<p>None.</p>\n"
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n"


def _purposes(item: dict[str, Any]) -> str:
    return "; ".join(f"{p['purpose']} ({p['basis']})" for p in item["purposes"])


def package_html(package: dict[str, Any]) -> str:
    """A page a customer can read; every value from the package is HTML-escaped."""
    request = package["request"]
    records = (
        "".join(
            _table(
                f"{record['collection']} {record['record_id']} (stored {record['created_at']})",
                ("field", "value", "why we hold it (legal basis)", "kept for", "shared with"),
                (
                    (f["field"], f["value"], _purposes(f), f["retention"], f["recipients"])
                    for f in record["fields"]
                ),
            )
            for record in package["records"]
        )
        or "<p>None.</p>\n"
    )
    return _PAGE.substitute(
        subject=escape(package["subject_id"]),
        request=escape(request["id"]),
        kind=escape(request["type"]),
        received=escape(request["received_at"]),
        generated=escape(package["generated_at"]),
        records=records,
        consents=_table(
            None,
            ("purpose", "consented", "how", "notice version", "since"),
            (
                (c["purpose"], c["granted"], c["source"], c["notice_version"], c["updated_at"])
                for c in package["consents"]
            ),
        ),
        history=_table(
            None,
            ("when", "purpose", "choice", "how", "notice version"),
            (
                (e["at"], e["purpose"], e["action"], e["source"], e["notice_version"])
                for e in package["consent_history"]
            ),
        ),
        accesses=_table(
            None,
            ("when", "who", "what", "purpose", "collection", "fields", "outcome"),
            (
                (
                    a["at"],
                    a["actor"],
                    a["operation"],
                    a["purpose"],
                    a["collection"],
                    a["fields"],
                    a["outcome"],
                )
                for a in package["access_history"]
            ),
        ),
    )
