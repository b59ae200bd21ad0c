"""``privault consent notice publish|list|show`` and ``privault consent receipt verify``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from privault.audit import AuditRecord, load_public_key_pem
from privault.common.cli import err, operator_actor, out, settings_of
from privault.consent.notices import find_notice, list_notices, publish_notice
from privault.consent.receipt import verify_receipt
from privault.consent.rules import MAX_NOTICE_BYTES
from privault.errors import IntegrityViolation, InvalidInput, NotFound

if TYPE_CHECKING:
    from privault.vault import Vault

app = typer.Typer(help="Consent: publish the notices customers consent to; check receipts.")
notice_app = typer.Typer(help="Notices per purpose, versioned, one text per language.")
receipt_app = typer.Typer(help="Signed consent receipts.")
app.add_typer(notice_app, name="notice")
app.add_typer(receipt_app, name="receipt")

PurposeOpt = Annotated[str, typer.Option("--purpose", help="A purpose of the data map.")]
LanguageOpt = Annotated[
    str | None, typer.Option("--language", help="BCP 47 language (default: the default one).")
]


def _open(ctx: typer.Context) -> Vault:
    from privault.vault import Vault

    return Vault.open(settings_of(ctx), actor=operator_actor())


def _read_text(path: Path) -> str:
    """The notice file as UTF-8 text; refused when missing, too large or not UTF-8."""
    try:
        if path.stat().st_size > MAX_NOTICE_BYTES:
            raise InvalidInput(
                f"the notice file is larger than {MAX_NOTICE_BYTES // 1024} KiB",
                code="notice_too_large",
            )
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}", code="file_not_found") from None
    except UnicodeDecodeError:
        raise InvalidInput(
            "the notice file is not UTF-8 text", code="invalid_notice_text"
        ) from None


@notice_app.command("publish")
def publish(
    ctx: typer.Context,
    purpose: PurposeOpt,
    version: Annotated[str, typer.Option("--version", help="New version, e.g. 2024-05.")],
    language: Annotated[str, typer.Option("--language", help="BCP 47 language of the text.")],
    file: Annotated[Path, typer.Option("--file", help="The notice text (UTF-8, e.g. Markdown).")],
) -> None:
    """Publish a notice text; published texts never change (a change is a new version)."""
    text = _read_text(file)
    with _open(ctx) as vault, vault.session() as db_session:
        published = publish_notice(
            db_session=db_session,
            datamap=vault.datamap,
            purpose=purpose,
            version=version,
            language=language,
            text=text,
            at=vault.records.clock.now(),
            actor=vault.actor,
        )
        notice = published.notice
        if published.created:
            vault.audit.record(
                db_session=db_session,
                event=AuditRecord(
                    actor=vault.actor,
                    operation="consent.notice_publish",
                    purpose=notice.purpose,
                    detail={
                        "version": notice.version,
                        "language": notice.language,
                        "sha256": notice.sha256,
                    },
                ),
            )
        summary = f"{notice.purpose} {notice.version} {notice.language} sha256:{notice.sha256}"
    err.print(
        f"published {summary}" if published.created else f"already published: {summary}",
        markup=False,
        highlight=False,
    )


@notice_app.command("list")
def list_(
    ctx: typer.Context,
    purpose: Annotated[str | None, typer.Option("--purpose", help="Only this purpose.")] = None,
) -> None:
    """List published notices: purpose, version, language, hash, time."""
    with _open(ctx) as vault, vault.session() as db_session:
        notices = list_notices(db_session=db_session, datamap=vault.datamap, purpose=purpose)
        rows = [
            (n.purpose, n.version, n.language, n.sha256[:16], n.published_at.isoformat())
            for n in notices
        ]
    table = Table("purpose", "version", "language", "sha256", "published (UTC)")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@notice_app.command("show")
def show(
    ctx: typer.Context,
    purpose: PurposeOpt,
    version: Annotated[
        str | None, typer.Option("--version", help="A version (default: the latest).")
    ] = None,
    language: LanguageOpt = None,
) -> None:
    """Print a notice as JSON (latest version unless one is named; language with fallback)."""
    with _open(ctx) as vault, vault.session() as db_session:
        notice = find_notice(
            db_session=db_session,
            datamap=vault.datamap,
            purpose=purpose,
            default_language=vault.settings.consent.default_language,
            version=version,
            language=language,
        )
        shown = {
            "purpose": notice.purpose,
            "version": notice.version,
            "language": notice.language,
            "sha256": notice.sha256,
            "published_at": notice.published_at.isoformat(),
            "text": notice.text,
        }
    sys.stdout.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")


@receipt_app.command("verify")
def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The receipt (JSON) to check.")],
    public_key: Annotated[
        Path | None,
        typer.Option(help="The audit public key PEM (default: <home>/audit-public.pem)."),
    ] = None,
) -> None:
    """Check a consent receipt's signature; exits 5 when it does not verify."""
    key_path = public_key or settings_of(ctx).home / "audit-public.pem"
    try:
        key = load_public_key_pem(key_path.read_bytes())
    except FileNotFoundError:
        raise NotFound(f"no such file: {key_path}", code="file_not_found") from None
    try:
        document = json.loads(file.read_bytes())
    except FileNotFoundError:
        raise NotFound(f"no such file: {file}", code="file_not_found") from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the receipt is not JSON", code="invalid_receipt") from None
    if not verify_receipt(document, key):
        raise IntegrityViolation(
            "the receipt's signature does not verify: altered, or signed by another key",
            code="bad_receipt",
        )
    receipt = document["receipt"]
    err.print(
        f"receipt {receipt['receipt_id']} verifies: {receipt['action']} "
        f"{receipt['purpose']} at {receipt['at']}",
        markup=False,
        highlight=False,
    )
