"""Helpers of the fulfilment tests: requests in progress, completion, a customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from privault.consent import grant_consent
from privault.rights import approve, get_request, open_request, verify_identity
from privault.rights.fulfil import Completion, Fulfiller, complete_request, download_package
from privault.vault import Vault

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "access-package.schema.json"
T0 = datetime(2025, 1, 31, 14, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
SUBJECT = "C-1001"
ACTOR = "operator:test"
EMAIL = "ada@example.com"


def started(vault: Vault, kind: str, subject: str = SUBJECT) -> str:
    """A request of ``kind`` opened, verified and in progress; its id."""
    with vault.session() as s:
        request = open_request(
            db_session=s,
            audit=vault.audit,
            subject_id=subject,
            request_type=kind,
            regime="gdpr",
            at=T0,
            actor=ACTOR,
        ).request
        verify_identity(
            db_session=s,
            audit=vault.audit,
            request_id=request.id,
            method="operator",
            reason="ID checked at the counter",
            at=T0,
            actor=ACTOR,
        )
        approve(db_session=s, audit=vault.audit, request_id=request.id, at=T0, actor=ACTOR)
        return request.id


def finish(vault: Vault, request_id: str, **kwargs: Any) -> Completion:
    """Complete a request in its own transaction."""
    with vault.session() as s:
        return complete_request(
            db_session=s,
            fulfiller=Fulfiller.of(vault),
            request_id=request_id,
            at=T1,
            actor=ACTOR,
            **kwargs,
        )


def state(vault: Vault, request_id: str) -> str:
    """Where the request stands."""
    with vault.session() as s:
        return get_request(db_session=s, request_id=request_id).state


def rows(vault: Vault, model: type[Any]) -> int:
    """Rows in a table."""
    with vault.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def make_customer(vault: Vault) -> dict[str, str]:
    """A customer with two records, a consent and one read of their data; record ids."""
    person = vault.put(
        "customers",
        SUBJECT,
        {"email": EMAIL, "name": "Ada <b>Lovelace</b>", "phone": "+44 20 7946 0958"},
    )
    order = vault.put(
        "orders",
        SUBJECT,
        {"billing_address": '=HYPERLINK("http://x")', "iban": "DE89370400440532013000"},
    )
    other = vault.put("customers", "C-2002", {"email": "bob@example.com", "name": "Bob"})
    with vault.session() as s:
        grant_consent(
            db_session=s,
            datamap=vault.datamap,
            subject_id=SUBJECT,
            purpose="marketing",
            source="web",
            notice_version="v3",
            at=T0,
        )
    vault.get("customers", person.id)
    return {"person": person.id, "order": order.id, "other": other.id}


def download(
    vault: Vault, request_id: str, token: str, fmt: str = "json", at: datetime = T1
) -> str:
    """Spend a link, in its own transaction."""
    with vault.session() as s:
        return download_package(
            db_session=s,
            audit=vault.audit,
            package_key=Fulfiller.of(vault).package_key,
            request_id=request_id,
            token=token,
            fmt=fmt,
            at=at,
        ).content
