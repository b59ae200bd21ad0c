"""``privault requests open|list|show|verify|approve|deny|extend|confirm|complete|link|...``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from privault.common.cli import err, operator_actor, out, settings_of
from privault.errors import InvalidInput, PermissionDenied
from privault.rights import service
from privault.rights.fulfil import (
    FieldChange,
    Fulfiller,
    IssuedLink,
    RecordChange,
    certificate_of,
    complete_request,
    erase_directly,
    issue_link,
)
from privault.rights.models import RightsRequest
from privault.rights.rules import Regime, RequestState, RequestType
from privault.rights.schemas import RequestEventRead, RightsRequestRead

if TYPE_CHECKING:
    from privault.vault import Vault

app = typer.Typer(help="Data-subject requests: open, list, verify, decide, close; deadlines.")
T = TypeVar("T")

RequestIdArg = Annotated[str, typer.Argument(help="Request id (dsr_...).")]
ReasonOpt = Annotated[
    str, typer.Option("--reason", help="Why (kept in the history; no personal data).")
]


def _run(ctx: typer.Context, action: Callable[[Vault, Session, datetime], T]) -> T:
    """Run ``action(vault, db_session, now)`` in one transaction: the one commit point."""
    from privault.vault import Vault

    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.session() as db_session,
    ):
        return action(vault, db_session, vault.records.clock.now())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _summary(request: RightsRequest, verb: str) -> None:
    err.print(
        f"request {request.id} {verb}: {request.state}, due {_when(request.due_at)} UTC",
        markup=False,
        highlight=False,
    )


@app.command("open")
def open_(
    ctx: typer.Context,
    subject_id: Annotated[str, typer.Argument(help="The shop's customer id.")],
    request_type: Annotated[RequestType, typer.Option("--type", help="What is asked for.")],
    regime: Annotated[
        Regime | None, typer.Option("--regime", help="Whose deadlines (default: settings).")
    ] = None,
) -> None:
    """Open a request received by mail or phone; an open one of the same type is reused."""
    settings = settings_of(ctx)
    opened = _run(
        ctx,
        lambda vault, db_session, now: service.open_request(
            db_session=db_session,
            audit=vault.audit,
            subject_id=subject_id,
            request_type=request_type,
            regime=regime or settings.rights.default_regime,
            at=now,
            actor=vault.actor,
        ),
    )
    _summary(opened.request, "opened" if opened.created else "already open")
    out.print(opened.request.id, markup=False, highlight=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[RequestState | None, typer.Option("--state", help="Only this state.")] = None,
    request_type: Annotated[
        RequestType | None, typer.Option("--type", help="Only this type.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=1000)] = 100,
) -> None:
    """List requests, oldest first."""
    found = _run(
        ctx,
        lambda _vault, db_session, _now: service.list_requests(
            db_session=db_session, state=state, request_type=request_type, limit=limit
        ),
    )
    table = Table()
    table.add_column("id", no_wrap=True, min_width=36)
    for heading in ("customer", "type", "regime", "state", "received", "due"):
        table.add_column(heading)
    for request in found:
        table.add_row(
            request.id,
            Text(request.subject_id),  # shop data: never read as Rich markup
            request.type,
            request.regime,
            request.state,
            _when(request.received_at),
            _when(request.due_at),
        )
    out.print(table)


@app.command("show")
def show(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """Print a request and its history as JSON."""

    def read(_vault: Vault, db_session: Session, _now: datetime) -> dict[str, object]:
        request = service.get_request(db_session=db_session, request_id=request_id)
        events = service.request_history(db_session=db_session, request_id=request_id)
        shown: dict[str, object] = RightsRequestRead.model_validate(request).model_dump(mode="json")
        shown["events"] = [
            RequestEventRead.model_validate(event).model_dump(mode="json") for event in events
        ]
        return shown

    out.print_json(json.dumps(_run(ctx, read)))


@app.command("verify")
def verify(
    ctx: typer.Context,
    request_id: RequestIdArg,
    code: Annotated[
        str | None, typer.Option("--code", help="The one-time code the customer received.")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Without --code: how you verified identity yourself."),
    ] = None,
) -> None:
    """Verify the customer's identity by their one-time code, or by your own check (--reason)."""
    if (code is None) == (reason is None):
        raise InvalidInput("give either --code or --reason", code="one_proof")
    settings = settings_of(ctx)
    if code is not None:
        result = _run(
            ctx,
            lambda vault, db_session, now: service.check_code(
                db_session=db_session,
                audit=vault.audit,
                hash_key=vault.keys.derived.derive(service.CODE_HASH_LABEL),
                settings=settings.rights,
                request_id=request_id,
                code=code,
                at=now,
                actor=vault.actor,
            ),
        )
        # Refused after the commit above, so the spent attempt is kept.
        if result is not service.CodeCheck.VERIFIED:
            raise PermissionDenied(f"the code was not accepted ({result.value})", code="code")
        err.print(f"request {request_id} identity verified by code", markup=False)
        return
    verified = _run(
        ctx,
        lambda vault, db_session, now: service.verify_identity(
            db_session=db_session,
            audit=vault.audit,
            request_id=request_id,
            method="operator",
            reason=reason,
            at=now,
            actor=vault.actor,
        ),
    )
    _summary(verified, "identity verified")


def _step(ctx: typer.Context, step: Callable[..., RightsRequest], verb: str, **extra: str) -> None:
    request_id = extra.pop("request_id")
    moved = _run(
        ctx,
        lambda vault, db_session, now: step(
            db_session=db_session,
            audit=vault.audit,
            request_id=request_id,
            at=now,
            actor=vault.actor,
            **extra,
        ),
    )
    _summary(moved, verb)


@app.command("approve")
def approve(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """Start work on a verified request (an opt-out needs no verification)."""
    _step(ctx, service.approve, "approved", request_id=request_id)


@app.command("deny")
def deny(ctx: typer.Context, request_id: RequestIdArg, reason: ReasonOpt) -> None:
    """Deny a request; the reason is mandatory."""
    _step(ctx, service.deny, "denied", request_id=request_id, reason=reason)


@app.command("extend")
def extend(ctx: typer.Context, request_id: RequestIdArg, reason: ReasonOpt) -> None:
    """Extend the deadline once (GDPR +2 months, CCPA +45 days), within the first period."""
    _step(ctx, service.extend, "extended", request_id=request_id, reason=reason)


@app.command("confirm")
def confirm(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """Record that receipt was confirmed to the customer (CCPA: within 10 business days)."""
    _step(ctx, service.confirm_receipt, "receipt confirmed", request_id=request_id)


def _changes(path: Path | None) -> list[FieldChange] | None:
    """Rectifications from a JSON file: [{"collection", "record_id", "values": {...}}]."""
    if path is None:
        return None
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
        return [FieldChange(**RecordChange.model_validate(item).model_dump()) for item in listed]
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
        # ValueError covers bad JSON and pydantic's ValidationError; no value is echoed.
        raise InvalidInput(
            "--changes must be a JSON list of {collection, record_id, values}",
            code="invalid_changes",
        ) from exc


@app.command("complete")
def complete(
    ctx: typer.Context,
    request_id: RequestIdArg,
    changes: Annotated[
        Path | None,
        typer.Option(
            "--changes",
            help="Rectification: JSON file of corrected values.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    purposes: Annotated[
        list[str] | None,
        typer.Option("--purpose", help="Objection/opt-out: a purpose to withdraw (repeatable)."),
    ] = None,
) -> None:
    """Complete a request and do what it asks (package, erasure, correction, restriction,
    withdrawal) in one transaction; prints the download link or the erasure certificate."""
    done = _run(
        ctx,
        lambda vault, db_session, now: complete_request(
            db_session=db_session,
            fulfiller=Fulfiller.of(vault),
            request_id=request_id,
            at=now,
            actor=vault.actor,
            changes=_changes(changes),
            purposes=purposes or None,
            source="cli",
        ),
    )
    _summary(done.request, "completed")
    err.print(json.dumps(done.done, sort_keys=True), markup=False, highlight=False)
    if done.link is not None:
        _print_link(done.link)
    if done.certificate is not None:
        out.print_json(json.dumps(done.certificate))


def _print_link(link: IssuedLink) -> None:
    err.print(f"single-use link, expires {_when(link.expires_at)} UTC:", markup=False)
    out.print(link.path, markup=False, highlight=False, soft_wrap=True)


@app.command("link")
def link(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """Issue another single-use download link to a completed access request's package."""
    issued = _run(
        ctx,
        lambda vault, db_session, now: issue_link(
            db_session=db_session,
            audit=vault.audit,
            request_id=request_id,
            at=now,
            actor=vault.actor,
        ),
    )
    _print_link(issued)


@app.command("certificate")
def certificate(ctx: typer.Context, request_id: RequestIdArg) -> None:
    """Print the signed erasure certificate (with its audit proof once checkpointed)."""
    document = _run(
        ctx,
        lambda vault, db_session, _now: certificate_of(
            db_session=db_session, audit=vault.audit, request_id=request_id
        ),
    )
    out.print_json(json.dumps(document))


@app.command("overdue")
def overdue(
    ctx: typer.Context,
    within_days: Annotated[
        int | None,
        typer.Option("--within-days", help="Also list those due within N days.", min=0, max=365),
    ] = None,
) -> None:
    """List open requests past or near their deadline (answer or receipt confirmation)."""
    days = settings_of(ctx).rights.near_deadline_days if within_days is None else within_days
    items = _run(
        ctx,
        lambda _vault, db_session, now: service.overdue(
            db_session=db_session, now=now, within=timedelta(days=days)
        ),
    )
    table = Table()
    table.add_column("id", no_wrap=True, min_width=36)
    for heading in ("customer", "type", "state", "deadline", "due", "status"):
        table.add_column(heading)
    for item in items:
        table.add_row(
            item.request.id,
            Text(item.request.subject_id),
            item.request.type,
            item.request.state,
            item.deadline,
            _when(item.due_at),
            "OVERDUE" if item.overdue else "due soon",
        )
    out.print(table)
    err.print(f"{len(items)} deadline(s) past or within {days} day(s)")


def erase_command(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", "-s", help="Customer id.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why the operator erases (kept; no personal data)."),
    ] = "erased by an operator at the command line",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer now: an erasure request the operator vouches for, completed at once.

    Like a customer's own request it refuses a customer under a legal hold, keeps the fields a
    legal obligation requires (re-encrypted under a retention key), crypto-shreds the rest and
    prints the signed erasure certificate. Irreversible.
    """
    if not yes:
        typer.confirm(
            f"Erase every record of customer {subject}? This cannot be undone", abort=True
        )
    done = _run(
        ctx,
        lambda vault, db_session, now: erase_directly(
            db_session=db_session,
            fulfiller=Fulfiller.of(vault),
            subject_id=subject,
            regime=vault.settings.rights.default_regime,
            at=now,
            actor=vault.actor,
            reason=reason,
        ),
    )
    out.print_json(
        json.dumps(
            {
                "subject_id": subject,
                "request_id": done.request.id,
                "records_deleted": done.done["records"],
                "erased_at": done.done["erased_at"],
                "retained_fields": done.done["legal_obligation_fields"],
                "certificate": done.certificate,
            }
        )
    )
