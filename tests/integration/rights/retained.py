"""Helpers of the retained-field tests: an erased customer, rows, reveals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from privault.rights.retained import (
    RetainedFieldRead,
    RetainedValue,
    list_retained,
    reveal_retained,
)
from privault.vault import Vault

from .fulfilment import ACTOR, SUBJECT, T1, finish, started

NAME = "Ada <b>Lovelace</b>"
BILLING = '=HYPERLINK("http://x")'
IBAN = "DE89370400440532013000"
# The starter map's e-mail serves no legal obligation (not invoicing); the name, declared for
# every purpose, does.
KEPT = {
    ("customers", "name"),
    ("orders", "billing_address"),
    ("orders", "iban"),
}


def erase(vault: Vault, subject: str = SUBJECT) -> dict[tuple[str, str], RetainedFieldRead]:
    """Complete an erasure of ``subject``; what it kept, by (collection, field)."""
    finish(vault, started(vault, "erasure", subject))
    return kept_of(vault, subject)


def kept_of(vault: Vault, subject: str = SUBJECT) -> dict[tuple[str, str], RetainedFieldRead]:
    """The retained fields of a customer, by (collection, field)."""
    with vault.session() as s:
        found = list_retained(db_session=s, subject_pseudonym=vault.audit.pseudonym(subject))
    return {(row.collection, row.field): row for row in found}


def reveal(vault: Vault, retained_id: str, at: datetime = T1) -> str:
    """The operator path: decrypt one retained value (audited), in its own transaction."""
    with vault.session() as s:
        return reveal_retained(
            db_session=s,
            keys=vault.keys,
            audit=vault.audit,
            retained_id=retained_id,
            actor=ACTOR,
            at=at,
        )


def stored(vault: Vault, retained_id: str) -> RetainedValue:
    """The stored row of a retained field (detached)."""
    with vault.session() as s:
        row = s.scalars(select(RetainedValue).where(RetainedValue.id == retained_id)).one()
        s.expunge(row)
        return row
