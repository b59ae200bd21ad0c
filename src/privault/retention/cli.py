"""``privault retention run [--dry-run]`` and ``privault hold add|remove|list``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from privault.common.cli import err, operator_actor, out, settings_of
from privault.retention import holds
from privault.retention.lease import Lease, new_holder
from privault.retention.service import SweepReport, sweep
from privault.rights import retained_purger

if TYPE_CHECKING:
    from privault.vault import Vault

retention_app = typer.Typer(help="Delete data past its data-map retention (legal holds kept).")
hold_app = typer.Typer(help="Legal holds: keep a customer's data past its retention.")
T = TypeVar("T")

SubjectArg = Annotated[str, typer.Argument(help="The shop's customer id.")]


def _run(ctx: typer.Context, action: Callable[[Vault, Session, datetime], T]) -> T:
    """Run ``action(vault, db_session, now)`` in one transaction: the one commit point."""
    from privault.vault import Vault

    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.session() as db_session,
    ):
        return action(vault, db_session, vault.records.clock.now())


def _progress(every_s: float = 2.0) -> Callable[[SweepReport], None]:
    """Progress on stderr, at most every ``every_s`` seconds (short runs print none)."""
    last = time.monotonic()

    def show(report: SweepReport) -> None:
        nonlocal last
        if time.monotonic() - last >= every_s:
            last = time.monotonic()
            err.print(
                f"examined {report.examined} records, {len(report.purges)} due so far",
                markup=False,
                highlight=False,
            )

    return show


@retention_app.command("run")
def run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would go and why; change nothing.")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(help="Records per transaction (default: settings).", min=1, max=10_000),
    ] = None,
) -> None:
    """Delete what is past its retention; print one line per record.

    Each line is tab-separated: status (purge, held or changed), action (delete: the whole
    record; drop: the listed fields), collection, record id, fields, reason. The summary goes
    to stderr.
    """
    from privault.vault import Vault

    settings = settings_of(ctx)
    with Vault.open(settings, actor=operator_actor()) as vault:
        lease = None
        if not dry_run:
            lease = Lease(
                sessions=vault.database.session,
                holder=new_holder(vault.actor),
                ttl=timedelta(seconds=settings.retention.lease_s),
                clock=vault.records.clock,
            )
            lease.acquire()
        try:
            report = sweep(
                # A dry run only reads: on SQLite it leaves the write lock to the server.
                sessions=vault.database.read_session if dry_run else vault.database.session,
                datamap=vault.datamap,
                audit=vault.audit,
                now=vault.records.clock.now(),
                actor=vault.actor,
                dry_run=dry_run,
                lease=lease,
                batch_size=batch_size or settings.retention.batch_size,
                progress=_progress(),
                also=retained_purger(vault),
            )
        finally:
            if lease is not None:
                lease.release()
    for purge in report.purges:
        typer.echo(purge.line())  # plain text: Rich would expand the tabs
    err.print(report.summary(), markup=False, highlight=False)


@hold_app.command("add")
def add(
    ctx: typer.Context,
    subject_id: SubjectArg,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why, e.g. a case number (no personal data)."),
    ],
) -> None:
    """Keep every record of a customer past its retention until the hold is removed."""
    placed = _run(
        ctx,
        lambda vault, db_session, now: holds.place_hold(
            db_session=db_session,
            audit=vault.audit,
            subject_id=subject_id,
            reason=reason,
            at=now,
            actor=vault.actor,
        ),
    )
    err.print(
        "legal hold placed" if placed.created else "customer already held; reason updated",
        markup=False,
        highlight=False,
    )


@hold_app.command("remove")
def remove(ctx: typer.Context, subject_id: SubjectArg) -> None:
    """Remove a customer's legal hold; the next sweep deletes what is past its retention."""
    _run(
        ctx,
        lambda vault, db_session, _now: holds.release_hold(
            db_session=db_session, audit=vault.audit, subject_id=subject_id, actor=vault.actor
        ),
    )
    err.print("legal hold removed", markup=False, highlight=False)


@hold_app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=10_000)] = 1000,
) -> None:
    """List legal holds in force, oldest first."""
    found = _run(
        ctx,
        lambda _vault, db_session, _now: [
            (hold.subject_id, hold.placed_at, hold.placed_by, hold.reason)
            for hold in holds.list_holds(db_session=db_session, limit=limit)
        ],
    )
    table = Table()
    for heading in ("customer", "since", "by", "reason"):
        table.add_column(heading)
    for subject_id, since, by, reason in found:
        # Shop data and operators' notes: never read as Rich markup.
        table.add_row(Text(subject_id), f"{since:%Y-%m-%d %H:%M}", Text(by), Text(reason))
    out.print(table)
