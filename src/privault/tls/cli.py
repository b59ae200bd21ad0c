"""``privault tls self-signed``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privault.common.cli import err, settings_of
from privault.tls.service import MAX_DAYS, write_self_signed

app = typer.Typer(help="TLS certificates for serving HTTPS.")

DEFAULT_HOSTS = ["localhost", "127.0.0.1", "::1"]


@app.command("self-signed")
def self_signed(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for cert.pem and key.pem.")
    ] = None,
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="Host name or IP the certificate is for (repeat)."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="Days of validity.")] = 30,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
) -> None:
    """Make a self-signed certificate for development HTTPS (default: <home>/tls)."""
    out_dir = out if out is not None else settings_of(ctx).home / "tls"
    hosts = host or DEFAULT_HOSTS
    cert_path, key_path = write_self_signed(out_dir, hosts=hosts, days=days, force=force)
    err.print(f"wrote {cert_path}", markup=False, highlight=False)
    err.print(f"wrote {key_path} (mode 0600)", markup=False, highlight=False)
    err.print(
        f"for {', '.join(hosts)}, valid {days} days. Development only: clients must trust this "
        f"certificate explicitly. Serve with: privault serve --tls-cert {cert_path} "
        f"--tls-key {key_path}",
        markup=False,
        highlight=False,
    )
