"""``privault apikey create|list|revoke``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from privault.apikeys import service
from privault.audit import AuditRecord
from privault.common.cli import err, operator_actor, out, settings_of
from privault.common.clock import utcnow
from privault.vault import Vault

app = typer.Typer(help="API keys for the shop's services: create, list, revoke.")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="Data-map role the key acts as.")],
    purpose: Annotated[
        list[str] | None,
        typer.Option("--purpose", help="Allow only this purpose (repeat); default: the role's."),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Allow only this region (repeat); default: every region."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A label for the key.")] = None,
) -> None:
    """Create an API key and print it once to stdout; only its hash is stored."""
    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.session() as db_session,
    ):
        created = service.create_api_key(
            db_session=db_session,
            datamap=vault.datamap,
            hash_key=vault.keys.derived.derive(service.HASH_KEY_LABEL),
            role=role,
            purposes=purpose,
            regions=region,
            name=name,
            at=utcnow(),
        )
        vault.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=vault.actor,
                operation="apikey.create",
                detail={"key": created.record.id, "role": created.record.role},
            ),
        )
    record = created.record
    err.print(
        f"created API key {record.id} for role '{record.role}' "
        f"(purposes: {', '.join(record.purposes or ['all of the role'])}; "
        f"regions: {', '.join(record.regions or ['all'])})",
        markup=False,
        highlight=False,
    )
    err.print(
        "[bold yellow]warning:[/] this is the only time the key is shown; store it in the "
        "service's secret store now. privault keeps only a hash and cannot show it again."
    )
    sys.stdout.write(created.key + "\n")
    sys.stdout.flush()


@app.command("list")
def list_(
    ctx: typer.Context,
    active: Annotated[bool, typer.Option("--active", help="Leave out revoked keys.")] = False,
) -> None:
    """List API keys: id, name, scope, created, last used, status. Never the keys themselves."""
    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.session() as db_session,
    ):
        keys = service.list_api_keys(db_session=db_session, include_revoked=not active)
    table = Table()
    table.add_column("id", no_wrap=True, min_width=12)  # an id must stay copyable
    for heading in ("name", "role", "purposes", "regions", "created", "last used", "status"):
        table.add_column(heading)
    for key in keys:
        table.add_row(
            key.id,
            Text(key.name or ""),  # operator text: never read as Rich markup
            Text(key.role),
            ", ".join(key.purposes) if key.purposes is not None else "(all of the role)",
            ", ".join(key.regions) if key.regions is not None else "(all)",
            _when(key.created_at),
            _when(key.last_used_at),
            f"revoked {_when(key.revoked_at)}" if key.revoked_at is not None else "active",
        )
    out.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="Key id: the 12 hex digits after 'pvk_'.")],
) -> None:
    """Revoke an API key; it stops authenticating at once."""
    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.session() as db_session,
    ):
        revoked = service.revoke_api_key(db_session=db_session, key_id=key_id, at=utcnow())
        vault.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=vault.actor, operation="apikey.revoke", detail={"key": revoked.id}
            ),
        )
    err.print(f"API key {revoked.id} revoked at {revoked.revoked_at}", markup=False)
