"""The ``privault`` command: a root with ``--home``, and each domain's commands mounted on it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from privault import __version__, errors
from privault.apikeys import cli as apikeys_cli
from privault.audit import cli as audit_cli
from privault.auth import cli as auth_cli
from privault.common.cli import err, operator_actor, out, settings_of
from privault.config import Settings
from privault.consent import cli as consent_cli
from privault.crypto import cli as keys_cli
from privault.datamap import load_datamap
from privault.dlp import cli as dlp_cli
from privault.retention import cli as retention_cli
from privault.rights import cli as rights_cli
from privault.rights.retained import cli as retained_cli
from privault.tls import cli as tls_cli
from privault.vault import cli as vault_cli
from privault.webhooks import cli as webhooks_cli

app = typer.Typer(
    name="privault",
    help="Customer-data vault and privacy operations for online shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_CODES: dict[type[errors.PrivaultError], int] = {
    errors.InvalidInput: 2,
    errors.NotFound: 3,
    errors.Conflict: 4,
    errors.IntegrityViolation: 5,
    errors.Unavailable: 6,
    errors.PermissionDenied: 7,
    errors.Unauthenticated: 7,
}


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="PRIVAULT_HOME", help="Home directory (default ./.privault)."
        ),
    ] = None,
) -> None:
    """privault: customer data encrypted per field, per customer, with keys you hold."""
    ctx.obj = Settings(home=home) if home is not None else Settings()
    # Third-party loggers (alembic, uvicorn's startup) stay at WARNING; privault's own follows
    # the settings. privault never logs customer values at any level.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("privault").setLevel(ctx.obj.log_level)


@app.command("version")
def version() -> None:
    """Print the privault version."""
    out.print(__version__)


@app.command("init")
def init(
    ctx: typer.Context,
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="An initialised home is not an error.")
    ] = False,
    sample_customers: Annotated[
        int,
        typer.Option(
            help="Import this many synthetic customers when the keys are created (first run).",
            min=0,
            max=1_000_000,
        ),
    ] = 0,
) -> None:
    """Create the home: starter data map, keys, database. Never overwrites existing keys."""
    from privault.home import init_home

    settings = settings_of(ctx)
    result = init_home(settings, exist_ok=exist_ok)
    if result.wrote_datamap:
        err.print(f"wrote starter data map {settings.datamap_path}")
    if result.created_keys:
        err.print(f"created keys in {settings.keys_dir}")
    else:
        err.print(f"{settings.home} already initialised; keys untouched")
    if result.migrated_from != result.migrated_to:
        err.print(f"database at {result.migrated_to}")
    if result.created_keys and sample_customers:
        _load_sample(settings, sample_customers)


def _load_sample(settings: Settings, count: int) -> None:
    import io

    from privault.vault import Vault
    from privault.vault.fake import write_customers_csv
    from privault.vault.importer import import_stream

    buffer = io.StringIO()
    write_customers_csv(buffer, count, seed=2026)
    with Vault.open(settings, actor=operator_actor()) as vault:
        report = import_stream(
            io.BytesIO(buffer.getvalue().encode()),
            fmt="csv",
            collection="customers",
            subject_column="customer_id",
            records=vault.records,
            sessions=vault.database.session,
            audit=vault.audit,
            actor=vault.actor,
        )
    err.print(f"imported {report.rows_imported} synthetic customers")


@app.command("check")
def check(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="Data map file (default: the home's privault.yaml).")
    ] = None,
) -> None:
    """Validate the data map; every problem is shown with its path."""
    target = path or settings_of(ctx).datamap_path
    try:
        datamap = load_datamap(target)
    except errors.InvalidInput as exc:
        issues = getattr(exc, "issues", None)
        for issue in issues or [exc.message]:
            err.print(str(issue), markup=False, highlight=False)
        err.print(f"{target}: {len(issues or [1])} problem(s)")
        raise typer.Exit(2) from None
    fields = sum(len(c.fields) for c in datamap.collections.values())
    err.print(
        f"{target}: ok ({len(datamap.regions)} regions, {len(datamap.purposes)} purposes, "
        f"{len(datamap.collections)} collections, {fields} fields, {len(datamap.roles)} roles)"
    )


@app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Upgrade the database schema to this version of privault."""
    from privault.db import Database, current_revision, head_revision, upgrade

    settings = settings_of(ctx)
    database = Database(settings.database_url)
    try:
        before = current_revision(database.engine)
        upgrade(database.engine)
    finally:
        database.dispose()
    head = head_revision()
    err.print(
        f"database already at {head}"
        if before == head
        else f"migrated {before or 'empty'} -> {head}"
    )


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.", min=1, max=65535)] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: serve HTTPS (see `privault tls`).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs); HTTPS with --tls-cert and --tls-key."""
    import uvicorn

    from privault.api import create_app
    from privault.vault import Vault

    settings = settings_of(ctx)
    if (tls_cert is None) != (tls_key is None):
        raise errors.InvalidInput("--tls-cert and --tls-key go together", code="tls_pair")
    if tls_cert is not None:
        for path in (tls_cert, tls_key):
            if path is None or not path.is_file():
                raise errors.InvalidInput(f"no such file: {path}", code="tls_file")
        server = settings.server.model_copy(update={"tls_cert": tls_cert, "tls_key": tls_key})
        settings = settings.model_copy(update={"server": server})
    Vault.open(settings).close()  # fail fast with a clear message before binding the port
    target: Any = create_app(settings)
    if workers > 1:
        # Each worker process builds its own app from the environment: hand it the home and
        # the TLS files chosen here.
        os.environ["PRIVAULT_HOME"] = str(settings.home)
        if settings.server.tls_cert is not None and settings.server.tls_key is not None:
            os.environ["PRIVAULT_SERVER__TLS_CERT"] = str(settings.server.tls_cert)
            os.environ["PRIVAULT_SERVER__TLS_KEY"] = str(settings.server.tls_key)
        target = "privault.api.app:app_from_environment"
    uvicorn.run(
        target,
        factory=workers > 1,
        host=host or settings.server.host,
        port=port or settings.server.port,
        workers=workers if workers > 1 else None,
        log_level=settings.log_level.lower(),
        access_log=False,
        ssl_certfile=str(settings.server.tls_cert) if settings.server.tls_cert else None,
        ssl_keyfile=str(settings.server.tls_key) if settings.server.tls_key else None,
    )


app.add_typer(keys_cli.app, name="keys")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(apikeys_cli.app, name="apikey")
app.add_typer(auth_cli.app, name="operator")
app.add_typer(tls_cli.app, name="tls")
app.add_typer(rights_cli.app, name="requests")
app.add_typer(webhooks_cli.app, name="webhooks")
app.add_typer(consent_cli.app, name="consent")
app.add_typer(retained_cli.app, name="retained")
app.add_typer(retention_cli.retention_app, name="retention")
app.add_typer(retention_cli.hold_app, name="hold")
app.command("scan")(dlp_cli.scan_command)
app.command("erase")(rights_cli.erase_command)
vault_cli.register(app)


def exit_code_for(exc: errors.PrivaultError) -> int:
    """The process exit status of an error kind."""
    for kind in type(exc).__mro__:
        if kind in EXIT_CODES:
            return EXIT_CODES[kind]
    return 1


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit status (errors printed, never raised)."""
    try:
        result = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except errors.PrivaultError as exc:
        err.print(f"error: {exc.message}", markup=False, highlight=False)
        return exit_code_for(exc)
    except typer.Abort:
        err.print("aborted")
        return 1
    except typer.TyperException as exc:  # usage errors: a missing option, a bad choice
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc.format_message()}", markup=False, highlight=False)
        return exc.exit_code
    return result if isinstance(result, int) else 0


def main() -> None:
    """Entry point of the ``privault`` console script."""
    sys.exit(run())
