"""``privault audit tail|show|proof|checkpoint|verify``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from privault.audit import repository
from privault.audit.models import AuditEvent
from privault.common.cli import count_progress, err, operator_actor, out, settings_of
from privault.errors import NotFound
from privault.vault import Vault

app = typer.Typer(help="The tamper-evident audit log: read it, prove it, verify it.")


def _event_json(event: AuditEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "leaf_index": event.leaf_index,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "operation": event.operation,
        "collection": event.collection,
        "fields_requested": json.loads(event.fields_requested or "null"),
        "fields_returned": json.loads(event.fields_returned or "null"),
        "purpose": event.purpose,
        "subject": event.subject,
        "outcome": event.outcome,
        "request_id": event.request_id,
        "detail": json.loads(event.detail or "null"),
        "leaf_hash": bytes(event.leaf_hash).hex(),
    }


def _open(ctx: typer.Context) -> Vault:
    return Vault.open(settings_of(ctx), actor=operator_actor())


@app.command("tail")
def tail(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=10_000)] = 20,
    subject: Annotated[str | None, typer.Option(help="Only events about this customer id.")] = None,
) -> None:
    """Show the newest events."""
    with _open(ctx) as vault, vault.session() as db_session:
        size = repository.head_tree(db_session=db_session).size
        events = repository.list_events(
            db_session=db_session,
            subject=vault.audit.pseudonym(subject) if subject else None,
            after_index=max(size - count, 0) - 1 if subject is None else -1,
            limit=count if subject is None else 10_000,
        )[-count:]
    table = Table("index", "time", "actor", "operation", "collection", "outcome", "subject")
    for event in events:
        table.add_row(
            str(event.leaf_index),
            event.at.strftime("%Y-%m-%d %H:%M:%S"),
            event.actor,
            event.operation,
            event.collection or "",
            event.outcome,
            (event.subject or "")[:12],
        )
    out.print(table)


@app.command("show")
def show(ctx: typer.Context, event_id: Annotated[str, typer.Argument(help="evt_...")]) -> None:
    """Print one event as JSON."""
    with _open(ctx) as vault, vault.session() as db_session:
        event = repository.get_event(db_session=db_session, event_id=event_id)
        if event is None:
            raise NotFound(f"audit event {event_id} not found", code="event_not_found")
        sys.stdout.write(json.dumps(_event_json(event), indent=2) + "\n")


@app.command("proof")
def proof(
    ctx: typer.Context,
    event_id: Annotated[str | None, typer.Argument(help="Inclusion proof of this event.")] = None,
    old_size: Annotated[
        int | None, typer.Option("--from", help="Consistency proof from this size...")
    ] = None,
    new_size: Annotated[int | None, typer.Option("--to", help="... to this size.")] = None,
    tree_size: Annotated[
        int | None, typer.Option(help="Tree size for an inclusion proof (default: latest).")
    ] = None,
) -> None:
    """Print an inclusion proof (EVENT_ID) or a consistency proof (--from N --to M) as JSON."""
    with _open(ctx) as vault, vault.session() as db_session:
        if event_id is not None:
            result: object = vault.audit.inclusion(
                db_session=db_session, event_id=event_id, tree_size=tree_size
            )
        elif old_size is not None and new_size is not None:
            nodes = vault.audit.consistency(
                db_session=db_session, old_size=old_size, new_size=new_size
            )
            result = {
                "old_size": old_size,
                "new_size": new_size,
                "proof": [node.hex() for node in nodes],
            }
        else:
            raise typer.BadParameter("give an EVENT_ID, or --from N --to M")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign a checkpoint of the log now (stored in the database and in the checkpoint folder)."""
    with _open(ctx) as vault:
        signed = vault.audit.checkpoint(sessions=vault.database.session)
    if signed is None:
        err.print("nothing new to checkpoint")
        return
    sys.stdout.write(signed.to_text())


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Recompute the tree from every event and check it against every checkpoint.

    Exits 5 and names the first bad entry on any mismatch.
    """
    with _open(ctx) as vault, vault.session() as db_session:
        total = repository.head_tree(db_session=db_session).size
        with count_progress() as progress:
            task = progress.add_task("verifying", total=total)
            report = vault.audit.verify(
                db_session=db_session, progress=lambda n: progress.advance(task, n)
            )
    for problem in report.problems:
        err.print(problem, markup=False, highlight=False)
    err.print(
        f"{report.events} events, {report.checkpoints} checkpoints in the database, "
        f"{report.external} outside it: " + ("OK" if report.ok else "TAMPERED")
    )
    if not report.ok:
        raise typer.Exit(5)
