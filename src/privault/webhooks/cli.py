"""``privault webhooks list|deliver|retry``: outgoing webhook deliveries and their state."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from privault.common.cli import err, operator_actor, out, settings_of
from privault.webhooks.models import DeliveryState
from privault.webhooks.sender import HttpSender
from privault.webhooks.service import deliver_due, list_deliveries, retry

if TYPE_CHECKING:
    from privault.vault import Vault

app = typer.Typer(help="Outgoing webhooks: delivery state, delivering now, retrying by hand.")


def _open(ctx: typer.Context) -> Vault:
    from privault.vault import Vault

    return Vault.open(settings_of(ctx), actor=operator_actor())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


@app.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[DeliveryState | None, typer.Option("--state", help="Only this state.")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=1000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List deliveries, newest first: state, attempts, next attempt, last answer."""
    with _open(ctx) as vault, vault.session() as db_session:
        rows = list_deliveries(
            db_session=db_session,
            state=None if state is None else state.value,
            endpoint=endpoint,
            limit=limit,
        )
        items = [
            {
                "id": delivery.id,
                "event_id": event.id,
                "type": event.type,
                "endpoint": delivery.endpoint,
                "state": delivery.state,
                "attempts": delivery.attempts,
                "next_attempt_at": _when(delivery.next_attempt_at),
                "delivered_at": _when(delivery.delivered_at),
                "last_status": delivery.last_status,
                "last_error": delivery.last_error,
            }
            for delivery, event in rows
        ]
    if as_json:
        for item in items:
            out.print(json.dumps(item), markup=False, highlight=False)
        return
    table = Table()
    for heading in ("id", "type", "endpoint", "state", "attempts", "next attempt", "last"):
        table.add_column(heading, no_wrap=heading == "id")
    for item in items:
        last = item["last_error"] or ("" if item["last_status"] is None else item["last_status"])
        table.add_row(
            str(item["id"]),
            str(item["type"]),
            str(item["endpoint"]),
            str(item["state"]),
            str(item["attempts"]),
            str(item["next_attempt_at"] if item["state"] in ("pending", "failed") else ""),
            Text(str(last)),
        )
    out.print(table)


@app.command("deliver")
def deliver(ctx: typer.Context) -> None:
    """Deliver what is due now, once (the server does this in the background)."""
    settings = settings_of(ctx).webhooks
    sender = HttpSender(timeout_s=settings.timeout_s)
    try:
        with _open(ctx) as vault:
            report = deliver_due(
                sessions=vault.session, settings=settings, sender=sender, clock=vault.records.clock
            )
    finally:
        sender.close()
    err.print(
        f"delivered {report.delivered}, failed {report.failed} (retried later), "
        f"dead {report.dead}; {report.fanned_out} new deliveries queued"
    )


@app.command("retry")
def retry_(
    ctx: typer.Context,
    delivery_id: Annotated[str, typer.Argument(help="Delivery id (whd_...).")],
) -> None:
    """Send a failed or dead delivery again at the next round, with fresh attempts."""
    with _open(ctx) as vault, vault.session() as db_session:
        delivery = retry(
            db_session=db_session,
            audit=vault.audit,
            delivery_id=delivery_id,
            at=vault.records.clock.now(),
            actor=vault.actor,
        )
        err.print(f"delivery {delivery.id} is pending again", markup=False, highlight=False)
