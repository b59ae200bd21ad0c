"""``privault scan``: find personal data in files, folders, standard input or a database.

The lead mounts it with ``main_app.command("scan")(scan_command)``; ``app`` runs it alone.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table

from privault.config import Settings
from privault.dlp.columns import ColumnClassification, classify_columns
from privault.dlp.engine import DEFAULT_MIN_CONFIDENCE, Scanner
from privault.dlp.findings import PII_TYPES, LocatedFinding
from privault.dlp.redact import RedactMode, Redactor
from privault.dlp.report import render_table, to_json, to_sarif
from privault.dlp.scanners import FileScanner
from privault.errors import InvalidInput, PrivaultError

__all__ = ["app", "scan_command"]

app = typer.Typer(help="Find and redact personal data.", pretty_exceptions_enable=False)
FORMATS = ("table", "json", "sarif")
EXIT_FINDINGS = 1
EXIT_ERROR = 2
HASH_KEY_ENV = "PRIVAULT_DLP_HASH_KEY"


def _types(value: str | None, option: str) -> frozenset[str] | None:
    if not value:
        return None
    chosen = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = chosen - set(PII_TYPES) - {"any"}
    if unknown:
        raise InvalidInput(
            f"{option}: unknown type(s) {', '.join(sorted(unknown))}", code="dlp_unknown_type"
        )
    return chosen


# Leak types that are data-map field types under another name; the rest keep their own name.
_FIELD_TYPES = {
    "card": "card_number",
    "date_of_birth": "date",
    "person": "name",
}


def _redactor(mode: str, settings: Settings | None, stack: ExitStack) -> Redactor:
    if mode not in ("mask", "label", "hash", "token"):
        raise InvalidInput("--redact-mode must be mask, label, hash or token", code="dlp_bad_mode")
    if mode == "token":
        # Tokens come from the vault's keys (the home of --home / PRIVAULT_HOME). Imported here:
        # scanning alone starts without the vault's dependencies.
        from privault.vault import Vault

        vault = stack.enter_context(Vault.open(settings or Settings(), actor="operator:scan"))

        def tokenize(pii_type: str, value: str) -> str:
            return vault.value_token(_FIELD_TYPES.get(pii_type, pii_type), value)

        return Redactor("token", tokenizer=tokenize)
    key = os.environ.get(HASH_KEY_ENV, "").encode() if mode == "hash" else None
    mode_value: RedactMode = "hash" if mode == "hash" else "label" if mode == "label" else "mask"
    return Redactor(mode_value, key=key)


def _columns_table(rows: list[ColumnClassification], console: Console) -> None:
    table = Table(title="privault scan --db")
    for heading in ("Table", "Column", "PII type", "Share", "Confidence", "Sampled"):
        table.add_column(heading)
    for row in rows:
        table.add_row(
            row.table,
            row.column,
            row.pii_type or "-",
            f"{row.share:.0%}",
            f"{row.confidence:.2f}",
            str(row.sampled),
        )
    console.print(table)


def scan_command(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files or folders to scan; '-' reads standard input.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="Report format: table, json or sarif.")
    ] = "table",
    redact_to: Annotated[
        Path | None, typer.Option("--redact-to", help="Write redacted copies into this folder.")
    ] = None,
    redact_mode: Annotated[
        str,
        typer.Option(
            "--redact-mode",
            help=f"mask, label, hash (key from ${HASH_KEY_ENV}) or token (the vault's tokens).",
        ),
    ] = "mask",
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="Exit 1 when findings of these types exist ('any' for all)."
        ),
    ] = None,
    types: Annotated[
        str | None, typer.Option("--types", help="Only these types (comma-separated).")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", help="Report findings at or above this.")
    ] = DEFAULT_MIN_CONFIDENCE,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL of a database to classify.")
    ] = None,
    table: Annotated[str | None, typer.Option("--table", help="Only this table.")] = None,
    sample: Annotated[int, typer.Option("--sample", help="Rows sampled per column.")] = 200,
) -> None:
    """Find personal data and secrets in files, folders, standard input or a database."""
    console = Console(stderr=False)
    errors = Console(stderr=True)
    try:
        if output_format not in FORMATS:
            raise InvalidInput("--format must be table, json or sarif", code="dlp_bad_format")
        wanted = _types(types, "--types")
        failing = _types(fail_on, "--fail-on")
        scanner = Scanner(types=wanted, min_confidence=min_confidence)
        if db is not None:
            rows = classify_columns(db, table=table, sample=sample, scanner=scanner)
            if output_format == "table":
                _columns_table(rows, console)
            else:
                typer.echo(
                    json.dumps({"columns": [asdict(row) for row in rows]}, indent=2)
                    if output_format == "json"
                    else json.dumps(_columns_sarif(rows), indent=2)
                )
            found_types = {row.pii_type for row in rows if row.pii_type}
        else:
            if not paths:
                raise InvalidInput("give at least one path, '-', or --db", code="dlp_no_input")
            settings = ctx.obj if isinstance(ctx.obj, Settings) else None
            with ExitStack() as stack:
                redactor = (
                    _redactor(redact_mode, settings, stack) if redact_to is not None else None
                )
                items = _scan_files(paths, scanner, redact_to, redactor, output_format, errors)
            if output_format == "table":
                render_table(items, console)
            elif output_format == "json":
                typer.echo(to_json(items))
            else:
                typer.echo(json.dumps(to_sarif(items), indent=2))
            found_types = {item.type for item in items}
    except PrivaultError as exc:
        errors.print(f"error: {exc.message}")
        raise typer.Exit(EXIT_ERROR) from exc
    except OSError as exc:  # unreadable file, full disk: name the problem, not the data
        errors.print(f"error: {exc.strerror or type(exc).__name__}: {exc.filename or ''}")
        raise typer.Exit(EXIT_ERROR) from exc
    if failing and (found_types & failing or ("any" in failing and found_types)):
        raise typer.Exit(EXIT_FINDINGS)


def _scan_files(
    paths: list[str],
    scanner: Scanner,
    redact_to: Path | None,
    redactor: Redactor | None,
    output_format: str,
    errors: Console,
) -> list[LocatedFinding]:
    show_progress = output_format == "table" and errors.is_terminal
    if not show_progress:
        files = FileScanner(scanner, redactor=redactor)
        return list(files.scan_paths(paths, out_dir=redact_to, stdin=sys.stdin.buffer))
    with Progress(
        TextColumn("scanning"), BarColumn(), DownloadColumn(), console=errors, transient=True
    ) as progress:
        task = progress.add_task("scan", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        files = FileScanner(scanner, redactor=redactor, progress=advance)
        return list(files.scan_paths(paths, out_dir=redact_to, stdin=sys.stdin.buffer))


def _columns_sarif(rows: list[ColumnClassification]) -> dict[str, object]:
    found = [row for row in rows if row.pii_type]
    results = [
        {
            "ruleId": f"dlp/{row.pii_type}",
            "level": "warning",
            "message": {
                "text": f"Column {row.table}.{row.column} holds {row.pii_type} "
                f"({row.share:.0%} of {row.sampled} sampled rows)"
            },
            "locations": [
                {"logicalLocations": [{"name": f"{row.table}.{row.column}", "kind": "member"}]}
            ],
        }
        for row in found
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "privault-dlp"}}, "results": results}],
    }


app.command("scan")(scan_command)
