"""``privault retained list|show|purge``: fields erasures kept for a legal obligation.

Names and dates only; ``show --reveal`` decrypts one value, and the audit log records it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from privault.audit import AuditRecord
from privault.common.cli import err, operator_actor, out, settings_of
from privault.rights.retained import service
from privault.rights.retained.schemas import RetainedFieldRead

if TYPE_CHECKING:
    from privault.vault import Vault

app = typer.Typer(
    help="Fields erasures kept for a legal obligation (e.g. invoices): list, show, purge, rewrap."
)
T = TypeVar("T")


def _run(ctx: typer.Context, action: Callable[[Vault, Session, datetime], T]) -> T:
    """Run ``action(vault, db_session, now)`` in one transaction: the one commit point."""
    from privault.vault import Vault

    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.session() as db_session,
    ):
        return action(vault, db_session, vault.records.clock.now())


def _table(rows: Sequence[RetainedFieldRead]) -> Table:
    table = Table()
    table.add_column("id", no_wrap=True, min_width=36)
    for heading in ("erasure", "collection.field", "record", "basis", "retain until"):
        table.add_column(heading)
    for row in rows:
        table.add_row(
            row.id,
            row.erasure_id,
            Text(f"{row.collection}.{row.field}"),
            row.record_id,
            row.legal_basis,
            row.retain_until.strftime("%Y-%m-%d %H:%M"),
        )
    return table


@app.command("list")
def list_(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only this customer (the shop's id).")
    ] = None,
    expired: Annotated[
        bool, typer.Option("--expired", help="Only those whose retention has ended.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=10_000)] = 1000,
) -> None:
    """List retained fields, soonest to expire first (names and dates, never values)."""

    def read(vault: Vault, db_session: Session, now: datetime) -> list[RetainedFieldRead]:
        return service.list_retained(
            db_session=db_session,
            subject_pseudonym=None if subject is None else vault.audit.pseudonym(subject),
            expired_at=now if expired else None,
            limit=limit,
        )

    found = _run(ctx, read)
    out.print(_table(found))
    err.print(f"{len(found)} retained field(s)")


@app.command("show")
def show(
    ctx: typer.Context,
    retained_id: Annotated[str, typer.Argument(help="Retained field id (ret_...).")],
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="Decrypt and print the value (written to the audit log)."),
    ] = False,
) -> None:
    """Print a retained field as JSON; its value only with --reveal, audited."""

    def read(vault: Vault, db_session: Session, now: datetime) -> dict[str, object]:
        found = service.get_retained(db_session=db_session, retained_id=retained_id)
        shown: dict[str, object] = found.model_dump(mode="json")
        if reveal:
            shown["value"] = service.reveal_retained(
                db_session=db_session,
                keys=vault.keys,
                audit=vault.audit,
                retained_id=retained_id,
                actor=vault.actor,
                at=now,
            )
        return shown

    out.print_json(json.dumps(_run(ctx, read)))


@app.command("purge")
def purge(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be purged.")
    ] = False,
) -> None:
    """Delete retained fields whose retention has ended; shred keys left with none."""

    def run(vault: Vault, db_session: Session, now: datetime) -> list[RetainedFieldRead]:
        purged = service.purge_expired_retained(
            db_session, now, dry_run=dry_run, ledger=vault.keys.ledger
        )
        if purged and not dry_run:
            vault.audit.record(
                db_session=db_session,
                event=AuditRecord(
                    actor=vault.actor, operation="retained.purge", detail={"fields": len(purged)}
                ),
            )
        return purged

    purged = _run(ctx, run)
    if purged:
        out.print(_table(purged))
    err.print(f"{len(purged)} retained field(s) {'would be ' if dry_run else ''}purged")


@app.command("rewrap")
def rewrap(
    ctx: typer.Context,
    region: Annotated[
        str | None, typer.Option("--region", help="Only this region (default: every region).")
    ] = None,
) -> None:
    """Rewrap retention keys under each region's primary master key version.

    Run after `privault keys rotate` and before `privault keys retire`: retiring a version
    that still wraps a retention key would make its retained fields unreadable.
    """

    def run(vault: Vault, db_session: Session, _now: datetime) -> int:
        regions = [region] if region is not None else list(vault.datamap.regions)
        return sum(
            service.rewrap_retention_keys(db_session=db_session, keys=vault.keys, region=name)
            for name in regions
        )

    err.print(f"{_run(ctx, run)} retention key(s) rewrapped")
