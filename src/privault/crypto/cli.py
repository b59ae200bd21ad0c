"""``privault keys status|rotate|retire``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import TaskID
from rich.table import Table

from privault.audit import AuditRecord
from privault.common.cli import count_progress, err, operator_actor, out, settings_of
from privault.crypto import repository, service
from privault.rights import retention_key_versions, rewrap_retention_keys
from privault.vault import Vault

app = typer.Typer(help="Master keys: status, rotation, retirement of old versions.")


def _age(created: datetime) -> str:
    days = (datetime.now(UTC) - created).days
    return f"{days} d" if days else "today"


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show every master key version per region, its age and the customer keys it wraps."""
    with (
        Vault.open(settings_of(ctx), actor=operator_actor()) as vault,
        vault.database.session() as db_session,
    ):
        rows = service.status(
            db_session=db_session, keys=vault.keys, regions=list(vault.datamap.regions)
        )
    table = Table("region", "version", "created", "age", "primary", "customer keys")
    for row in rows:
        table.add_row(
            row.region,
            str(row.key_id),
            row.created_at.strftime("%Y-%m-%d %H:%M"),
            _age(row.created_at),
            "yes" if row.primary else "",
            str(row.customer_keys),
        )
    out.print(table)


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Region(s); default: all.")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Do not add a version; finish rewrapping under the primary."),
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Keys per transaction.")] = 500,
) -> None:
    """Add a new master key version and rewrap every customer key, while the server serves."""
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        regions = region or list(vault.datamap.regions)
        for name in regions:
            vault.datamap.region_or_default(name)
        for name in regions:
            with vault.database.session() as db_session:
                counts = repository.count_by_master_version(db_session=db_session, region=name)
            total = sum(counts.values())
            with count_progress() as progress:
                task = progress.add_task(f"rewrapping {name}", total=total)

                def advance(count: int, task: TaskID = task) -> None:
                    progress.advance(task, count)

                if resume:
                    done, skipped = service.rewrap_region(
                        sessions=vault.database.session,
                        keys=vault.keys,
                        region=name,
                        batch=batch,
                        progress=advance,
                    )
                    version = vault.keys.masters.primary_version(name)
                else:
                    report = service.rotate(
                        sessions=vault.database.session,
                        keys=vault.keys,
                        region=name,
                        batch=batch,
                        progress=advance,
                    )
                    done, skipped, version = report.rewrapped, report.skipped, report.new_version
                progress.update(task, completed=total)
            with vault.database.session() as db_session:
                # Fields kept by law past an erasure have keys of their own under the master.
                kept = rewrap_retention_keys(db_session=db_session, keys=vault.keys, region=name)
                vault.audit.record(
                    db_session=db_session,
                    event=AuditRecord(
                        actor=vault.actor,
                        operation="keys.rewrap" if resume else "keys.rotate",
                        detail={
                            "region": name,
                            "version": version,
                            "rewrapped": done,
                            "retention_keys": kept,
                        },
                    ),
                )
            err.print(
                f"{name}: primary version {version}; {done} customer keys rewrapped"
                + (f", and {kept} retention keys of fields kept by law" if kept else "")
                + (f", {skipped} skipped (changed meanwhile)" if skipped else "")
            )


@app.command("retire")
def retire(
    ctx: typer.Context,
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Region(s); default: all.")
    ] = None,
) -> None:
    """Destroy old master key versions once no customer key uses them."""
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        regions = region or list(vault.datamap.regions)
        for name in regions:
            with vault.database.session() as db_session:
                retired = service.retire(
                    db_session=db_session,
                    keys=vault.keys,
                    region=name,
                    other_keys=retention_key_versions(db_session=db_session, region=name),
                )
                vault.audit.record(
                    db_session=db_session,
                    event=AuditRecord(
                        actor=vault.actor,
                        operation="keys.retire",
                        detail={"region": name, "versions": len(retired)},
                    ),
                )
            err.print(
                f"{name}: retired version(s) {', '.join(map(str, retired))}"
                if retired
                else f"{name}: nothing to retire"
            )
