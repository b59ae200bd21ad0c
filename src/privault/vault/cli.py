"""``privault put|get|update|delete|import|export|erase`` and ``privault fake customers``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from privault.common.cli import byte_progress, err, operator_actor, settings_of
from privault.errors import InvalidInput
from privault.vault.fake import write_customers_csv
from privault.vault.importer import auto_jobs, detect_format, import_stream
from privault.vault.schemas import RecordRead, SubjectExport
from privault.vault.vault import Vault

fake_app = typer.Typer(help="Synthetic data for demos and tests (never real customers).")


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def record_json(record: RecordRead) -> dict[str, Any]:
    """A record as a JSON-ready dict."""
    return {
        "id": record.id,
        "collection": record.collection,
        "subject_id": record.subject_id,
        "region": record.region,
        "version": record.version,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "values": record.values,
    }


def export_json(export: SubjectExport) -> dict[str, Any]:
    """A customer export as a JSON-ready dict."""
    return {
        "subject_id": export.subject_id,
        "region": export.region,
        "exported_at": export.exported_at.isoformat(),
        "records": [record_json(r) for r in export.records],
    }


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def _parse_assignments(assignments: list[str], *, allow_empty: bool) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidInput(
                f"expected FIELD=VALUE, got an argument without '=' ({name[:40]!r}...)"
                if not sep
                else "expected FIELD=VALUE with a field name",
                code="bad_assignment",
            )
        values[name] = None if (allow_empty and value == "") else value
    return values


def _values_from(
    assignments: list[str], json_input: Path | None, *, allow_empty: bool
) -> dict[str, Any]:
    values: dict[str, Any] = dict(_parse_assignments(assignments, allow_empty=allow_empty))
    if json_input is not None:
        raw = sys.stdin.read() if str(json_input) == "-" else json_input.read_text("utf-8")
        try:
            loaded = json.loads(raw)
        except ValueError:
            raise InvalidInput("--json input is not valid JSON", code="bad_json") from None
        if not isinstance(loaded, dict):
            raise InvalidInput("--json input must be a JSON object of field values")
        values.update(loaded)
    return values


CollectionOpt = Annotated[str, typer.Option("--collection", "-c", help="Collection name.")]


def put(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", "-s", help="Customer id.")],
    assignments: Annotated[
        list[str] | None, typer.Argument(help="FIELD=VALUE pairs (visible in shell history!).")
    ] = None,
    collection: CollectionOpt = "customers",
    region: Annotated[str | None, typer.Option(help="Region (default: data map's).")] = None,
    json_input: Annotated[
        Path | None, typer.Option("--json", help="Read field values from a JSON file, - = stdin.")
    ] = None,
) -> None:
    """Store a record for a customer; prints its id."""
    values = _values_from(assignments or [], json_input, allow_empty=False)
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        stored = vault.put(collection, subject, values, region=region)
    _print_json({"id": stored.id, "collection": stored.collection, "region": stored.region})


def get(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="Record id (rec_...).")],
    collection: CollectionOpt = "customers",
) -> None:
    """Print a record, decrypted, as JSON."""
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        _print_json(record_json(vault.get(collection, record_id)))


def update(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="Record id (rec_...).")],
    assignments: Annotated[
        list[str] | None, typer.Argument(help="FIELD=VALUE pairs; FIELD= removes the field.")
    ] = None,
    collection: CollectionOpt = "customers",
    json_input: Annotated[
        Path | None, typer.Option("--json", help="Read changes from a JSON file, - = stdin.")
    ] = None,
) -> None:
    """Change fields of a record (re-encrypted)."""
    values = _values_from(assignments or [], json_input, allow_empty=True)
    if not values:
        raise InvalidInput("nothing to change: give FIELD=VALUE pairs or --json")
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        record = vault.update(collection, record_id, values)
    _print_json({"id": record.id, "version": record.version, "fields": sorted(record.values)})


def delete(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="Record id (rec_...).")],
    collection: CollectionOpt = "customers",
) -> None:
    """Delete one record."""
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        vault.delete(collection, record_id)
    err.print(f"deleted {record_id}")


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV or JSON Lines file; - for stdin.")],
    collection: CollectionOpt = "customers",
    subject_column: Annotated[
        str, typer.Option(help="Column holding the customer id.")
    ] = "customer_id",
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the file name).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Region of new customers.")] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Rows per transaction.", min=1, max=100_000)
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; store nothing.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            help="Worker processes (0 = one per core for inputs of 2 MB or more).", min=0, max=64
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import customers' records in streamed batches; bad rows are reported by line number."""
    settings = settings_of(ctx)
    stdin = str(file) == "-"
    if stdin and fmt is None:
        raise InvalidInput("reading stdin needs --format csv or --format jsonl")
    fmt = fmt or detect_format(file)
    size = None if stdin else file.stat().st_size if file.exists() else None
    if not stdin and size is None:
        raise InvalidInput(f"no such file: {file}", code="unreadable")
    with Vault.open(settings, actor=operator_actor()) as vault:
        progress = byte_progress()
        task = progress.add_task("dry run" if dry_run else "importing", total=size)
        handle = sys.stdin.buffer if stdin else file.open("rb")
        try:
            with progress if not quiet else _Null():
                report = import_stream(
                    handle,
                    fmt=fmt,
                    collection=collection,
                    subject_column=subject_column,
                    records=vault.records,
                    sessions=vault.database.session,
                    region=region,
                    batch_size=batch_size or settings.imports.batch_size,
                    dry_run=dry_run,
                    on_bytes=lambda n: progress.advance(task, n),
                    jobs=jobs or auto_jobs(size),
                    settings=settings,
                    audit=vault.audit,
                    actor=vault.actor,
                )
        finally:
            if not stdin:
                handle.close()
    for error in report.errors:
        err.print(f"line {error.line}: {error.reason}", markup=False, highlight=False)
    if report.rows_failed > len(report.errors):
        err.print(f"... and {report.rows_failed - len(report.errors)} more bad rows")
    verb = "valid" if dry_run else "imported"
    err.print(f"{report.rows_imported} rows {verb}, {report.rows_failed} rejected")
    if report.rows_failed:
        raise typer.Exit(1)


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def export(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", "-s", help="Customer id.")],
) -> None:
    """Print every record of a customer as JSON."""
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        _print_json(export_json(vault.export_subject(subject)))


@fake_app.command("customers")
def fake_customers_command(
    count: Annotated[int, typer.Option("--count", "-n", min=0, max=10_000_000)] = 100,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible output.")] = None,
) -> None:
    """Write synthetic customers as CSV to stdout.

    Columns: customer_id, email, name, phone, address, birth_date, card.
    """
    write_customers_csv(sys.stdout, count, seed=seed)


def register(app: typer.Typer) -> None:
    """Mount the vault's commands on the root CLI."""
    app.command("put")(put)
    app.command("get")(get)
    app.command("update")(update)
    app.command("delete")(delete)
    app.command("import")(import_)
    app.command("export")(export)
    app.add_typer(fake_app, name="fake")
