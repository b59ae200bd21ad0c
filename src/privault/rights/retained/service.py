"""Use cases of retained fields: keep them at erasure, list, reveal (audited), purge, rewrap.

An erasure keeps the fields a legal obligation requires under a retention key of its own, in
the erasure's transaction and before the customer's key is shredded. Nothing but
:func:`reveal_retained` (the operator's ``privault retained show --reveal``) decrypts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.common.ids import new_id
from privault.crypto import ErasureLedger, FieldCipher, KeyStore
from privault.errors import NotFound
from privault.rights.retained import repository
from privault.rights.retained.models import RetainedValue, RetentionKey
from privault.rights.retained.rules import new_retention_key_id, value_context, wrap_context
from privault.rights.retained.schemas import RetainedFieldRead

if TYPE_CHECKING:
    from privault.vault import Vault

MAX_LIST = 10_000


class FieldFacts(Protocol):
    """What is kept of a field besides its value (``rights.fulfil.RetainedField`` has it)."""

    @property
    def collection(self) -> str: ...
    @property
    def record_id(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def legal_basis(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def retain_until(self) -> datetime: ...


def _context(row: RetainedValue) -> bytes:
    return value_context(
        retained_id=row.id,
        erasure_id=row.erasure_id,
        subject_pseudonym=row.subject_pseudonym,
        collection=row.collection,
        record_id=row.record_id,
        field=row.field,
        legal_basis=row.legal_basis,
        reason=row.reason,
        retained_at=row.retained_at,
        retain_until=row.retain_until,
    )


def retain_fields(
    *,
    db_session: Session,
    keys: KeyStore,
    erasure_id: str,
    region: str,
    subject_pseudonym: str,
    fields: Sequence[tuple[FieldFacts, str]],
    at: datetime,
) -> list[RetainedFieldRead]:
    """Encrypt ``fields`` (facts, plaintext value) under a fresh retention key of this erasure
    and store them.

    Call it before the customer's key is shredded, in the same transaction: a failure here
    fails the erasure, and nothing is kept or shredded.
    """
    if not fields:
        return []
    key_id = new_retention_key_id()
    data_key = AESGCM.generate_key(bit_length=256)
    wrapped, master_key_id = keys.masters.wrap(
        region, data_key, wrap_context(region=region, erasure_id=erasure_id, key_id=key_id)
    )
    repository.add_key(
        db_session=db_session,
        row=RetentionKey(
            erasure_id=erasure_id,
            region=region,
            key_id=key_id,
            master_key_id=master_key_id,
            wrapped_key=wrapped,
            subject_pseudonym=subject_pseudonym,
            created_at=at,
        ),
    )
    cipher = FieldCipher(data_key, key_id)
    rows: list[RetainedValue] = []
    for item, value in fields:
        row = RetainedValue(
            id=new_id("ret"),
            erasure_id=erasure_id,
            subject_pseudonym=subject_pseudonym,
            collection=item.collection,
            record_id=item.record_id,
            field=item.field,
            legal_basis=item.legal_basis,
            reason=item.reason,
            retained_at=at,
            retain_until=item.retain_until,
            ciphertext=b"",
        )
        row.ciphertext = cipher.encrypt(value.encode(), _context(row))
        rows.append(row)
    repository.add_values(db_session=db_session, rows=rows)
    return [RetainedFieldRead.model_validate(row) for row in rows]


def list_retained(
    *,
    db_session: Session,
    subject_pseudonym: str | None = None,
    expired_at: datetime | None = None,
    limit: int = 1000,
) -> list[RetainedFieldRead]:
    """Retained fields (names and dates), soonest to expire first."""
    rows = repository.list_values(
        db_session=db_session,
        subject_pseudonym=subject_pseudonym,
        expired_at=expired_at,
        limit=max(1, min(limit, MAX_LIST)),
    )
    return [RetainedFieldRead.model_validate(row) for row in rows]


def _get_or_raise(db_session: Session, retained_id: str) -> RetainedValue:
    row = repository.get_value(db_session=db_session, retained_id=retained_id)
    if row is None:
        raise NotFound("no such retained field", code="retained_not_found")
    return row


def get_retained(*, db_session: Session, retained_id: str) -> RetainedFieldRead:
    """One retained field (name and dates, no value)."""
    return RetainedFieldRead.model_validate(_get_or_raise(db_session, retained_id))


def reveal_retained(
    *,
    db_session: Session,
    keys: KeyStore,
    audit: AuditLog,
    retained_id: str,
    actor: str,
    at: datetime,
) -> str:
    """Decrypt one retained value for an operator; audited in the caller's transaction.

    ``IntegrityViolation`` when the row or its key was altered or moved; ``NotFound`` when
    the field or its key is gone (purged), or its retention has ended (the law no longer
    covers reading it; purge it).
    """
    row = _get_or_raise(db_session, retained_id)
    if row.retain_until <= at:
        raise NotFound("the retention of this field has ended; purge it", code="retention_ended")
    key = repository.get_key(db_session=db_session, erasure_id=row.erasure_id)
    if key is None or keys.ledger.is_erased(key.key_id):
        raise NotFound("the retention key of this field was destroyed", code="retained_purged")
    data_key = keys.masters.unwrap(
        key.region,
        bytes(key.wrapped_key),
        wrap_context(region=key.region, erasure_id=key.erasure_id, key_id=key.key_id),
    )
    value = FieldCipher(data_key, key.key_id).decrypt(bytes(row.ciphertext), _context(row))
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="retained.reveal",
            collection=row.collection,
            fields_returned=[row.field],
            detail={
                "retained": row.id,
                "erasure": row.erasure_id,
                "subject_pseudonym": row.subject_pseudonym,
            },
        ),
    )
    return value.decode()


def purge_expired_retained(
    db_session: Session,
    now: datetime,
    *,
    dry_run: bool = False,
    ledger: ErasureLedger | None = None,
) -> list[RetainedFieldRead]:
    """Delete every retained field whose ``retain_until`` has come; return them.

    A retention key left with no field is deleted too and, with ``ledger``, its id is written
    to the erasure ledger first, so a database copy restored later cannot open it either (pass
    ``KeyStore.ledger``). ``dry_run`` only lists what would go.
    """
    rows = repository.list_values(db_session=db_session, expired_at=now)
    purged = [RetainedFieldRead.model_validate(row) for row in rows]
    if dry_run or not rows:
        return purged
    repository.delete_values(db_session=db_session, ids=[row.id for row in rows])
    emptied = repository.keys_left_empty(
        db_session=db_session, erasure_ids=sorted({row.erasure_id for row in rows})
    )
    if emptied and ledger is not None:
        # The ledger's subject reference stays empty: a retention key names no customer.
        ledger.record([(key.key_id, "") for key in emptied], erased_at=now)
    repository.delete_keys(db_session=db_session, erasure_ids=[k.erasure_id for k in emptied])
    return purged


def retained_purger(vault: Vault) -> Callable[[Session, datetime, bool], int]:
    """The retention sweep's step for fields kept by law: purge those whose time has come
    (shredding emptied retention keys through the vault's erasure ledger); returns how many."""

    def purge(db_session: Session, now: datetime, dry_run: bool) -> int:
        return len(
            purge_expired_retained(db_session, now, dry_run=dry_run, ledger=vault.keys.ledger)
        )

    return purge


def retention_key_versions(*, db_session: Session, region: str) -> dict[int, int]:
    """How many retention keys of a region each master key version wraps."""
    return repository.count_by_master_version(db_session=db_session, region=region)


def rewrap_retention_keys(*, db_session: Session, keys: KeyStore, region: str) -> int:
    """Rewrap a region's retention keys under its primary master key version; return how many.

    Run it with a master key rotation, before the old version is retired.
    """
    primary = keys.masters.primary_version(region)
    stale = repository.not_under(db_session=db_session, region=region, master_key_id=primary)
    for key in stale:
        context = wrap_context(region=region, erasure_id=key.erasure_id, key_id=key.key_id)
        data_key = keys.masters.unwrap(region, bytes(key.wrapped_key), context)
        key.wrapped_key, key.master_key_id = keys.masters.wrap(region, data_key, context)
    db_session.flush()
    return len(stale)
