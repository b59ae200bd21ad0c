"""Erasure keeps legal-obligation fields under a retention key: readable only by the operator
path, bound to their row, all or nothing with the erasure, purged when retention ends
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from privault.audit.models import AuditEvent
from privault.crypto import subject_keys
from privault.errors import IntegrityViolation, NotFound
from privault.rights.retained import (
    RetainedValue,
    RetentionKey,
    purge_expired_retained,
    retention_key_versions,
    rewrap_retention_keys,
)
from privault.rights.retained import repository as retained_repository
from privault.vault import Vault
from privault.vault.models import Lookup, Record

from .fulfilment import EMAIL, SUBJECT, T1, finish, rows, started, state
from .retained import BILLING, IBAN, KEPT, NAME, erase, kept_of, reveal, stored


class TestKept:
    """What an erasure keeps, and that only the operator path reads it."""

    def test_erasure_keeps_exactly_the_legal_obligation_fields(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Fields serving invoicing are kept with reason and date, and the signed certificate
        lists each as kept; the rest is gone."""
        person = vault.get("customers", customer["person"])
        order = vault.get("orders", customer["order"])
        done = finish(vault, started(vault, "erasure"))
        kept = kept_of(vault)
        assert set(kept) == KEPT  # phone serves no legal obligation
        iban = kept["orders", "iban"]
        assert iban.legal_basis == "legal_obligation"
        assert "tax authority" in iban.reason
        assert iban.retain_until == order.created_at + timedelta(days=730)
        assert kept["orders", "billing_address"].retain_until == order.created_at + timedelta(
            days=3650
        )
        assert kept["customers", "name"].retain_until == person.created_at + timedelta(days=1095)
        assert ("customers", "email") not in kept  # e-mail is not declared for invoicing
        assert {row.record_id for row in kept.values()} == {customer["person"], customer["order"]}
        assert done.certificate is not None
        listed = {
            (i["collection"], i["field"]): i
            for i in done.certificate["certificate"]["legal_obligation_fields"]
        }
        assert set(listed) == KEPT
        assert all(item["kept"] is True for item in listed.values())
        assert listed["orders", "iban"]["retain_until"] == iban.retain_until.isoformat()
        assert listed["orders", "iban"]["reason"] == iban.reason
        assert listed["orders", "iban"]["legal_basis"] == "legal_obligation"
        assert done.done["legal_obligation_fields"] == 3

    def test_operator_path_decrypts_to_the_original_values(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Each kept field decrypts to what was stored, and each reveal is audited; the rows
        hold ciphertext only and name the customer by the audit pseudonym."""
        kept = erase(vault)
        for row in kept.values():
            raw = stored(vault, row.id)
            assert raw.subject_pseudonym == vault.audit.pseudonym(SUBJECT) != SUBJECT
            for secret in (EMAIL, IBAN, NAME, BILLING, SUBJECT):
                assert secret.encode() not in bytes(raw.ciphertext)
                assert secret not in raw.reason
        expected = {
            ("customers", "name"): NAME,
            ("orders", "billing_address"): BILLING,
            ("orders", "iban"): IBAN,
        }
        assert {where: reveal(vault, row.id) for where, row in kept.items()} == expected
        with vault.session() as s:
            reveals = s.scalars(
                select(AuditEvent).where(AuditEvent.operation == "retained.reveal")
            ).all()
        assert len(reveals) == 3
        assert all(EMAIL not in (event.detail or "") for event in reveals)

    def test_customer_key_records_tokens_and_lookups_are_gone(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """The shred happened as before: nothing of the customer but the retained rows."""
        token = vault.put("customers", SUBJECT, {"email": "x@example.com"}).tokens["email"]
        with vault.session() as s:
            key = subject_keys.get(db_session=s, subject_id=SUBJECT)
            assert key is not None
            key_id = key.key_id
        erase(vault)
        assert vault.keys.ledger.is_erased(key_id)
        with vault.session() as s:
            assert subject_keys.get(db_session=s, subject_id=SUBJECT) is None
            assert s.scalar(select(func.count()).where(Record.subject_id == SUBJECT)) == 0
            ids = [customer["person"], customer["order"]]
            assert s.scalar(select(func.count()).where(Lookup.record_id.in_(ids))) == 0
        for read in (
            lambda: vault.export_subject(SUBJECT),
            lambda: vault.get("orders", customer["order"]),
            lambda: vault.detokenize(token),
        ):
            with pytest.raises(NotFound):
                read()
        assert vault.search("customers", "email", EMAIL) == []

    def test_one_retention_key_per_erased_customer(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Two erasures: two keys, neither wrapped like a customer key."""
        erase(vault)
        erase(vault, "C-2002")
        with vault.session() as s:
            keys = s.scalars(select(RetentionKey)).all()
            assert len(keys) == 2
            assert len({bytes(k.wrapped_key) for k in keys}) == 2
        assert set(kept_of(vault, "C-2002")) == {("customers", "name")}


def _alter(vault: Vault, retained_id: str, **values: Any) -> None:
    with vault.session() as s:
        s.execute(update(RetainedValue).where(RetainedValue.id == retained_id).values(**values))


class TestTampering:
    """A retained value opens only in its own row, with its own dates and reason."""

    def test_altered_row_fails(self, vault: Vault, customer: dict[str, str]) -> None:
        """Changing any bound column makes decryption fail, never a wrong value."""
        iban = erase(vault)["orders", "iban"]
        changes: list[dict[str, Any]] = [
            {"retain_until": iban.retain_until + timedelta(days=365)},
            {"retained_at": iban.retained_at - timedelta(days=1)},
            {"reason": "invoicing: changed"},
            {"field": "name"},
            {"record_id": "rec_other"},
            {"subject_pseudonym": "0" * 64},
            {"legal_basis": "contract"},
        ]
        original = {name: getattr(iban, name) for change in changes for name in change}
        for change in changes:
            _alter(vault, iban.id, **change)
            with pytest.raises(IntegrityViolation):
                reveal(vault, iban.id)
            _alter(vault, iban.id, **original)
        assert reveal(vault, iban.id) == IBAN

    def test_ciphertext_moved_to_another_row_fails(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """The billing address's ciphertext put into the IBAN's row does not open."""
        kept = erase(vault)
        moved = stored(vault, kept["orders", "billing_address"].id).ciphertext
        _alter(vault, kept["orders", "iban"].id, ciphertext=moved)
        with pytest.raises(IntegrityViolation):
            reveal(vault, kept["orders", "iban"].id)

    def test_value_or_key_moved_to_another_erasure_fails(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """A value moved under another customer's erasure, or wrapped keys swapped between
        erasures, does not open: each key's wrapping is bound to its erasure."""
        kept = erase(vault)
        other = erase(vault, "C-2002")["customers", "name"]
        row = stored(vault, kept["customers", "name"].id)
        _alter(vault, other.id, ciphertext=row.ciphertext)
        with pytest.raises(IntegrityViolation):
            reveal(vault, other.id)
        with vault.session() as s:
            first, second = s.scalars(select(RetentionKey)).all()
            first.wrapped_key, second.wrapped_key = second.wrapped_key, first.wrapped_key
        with pytest.raises(IntegrityViolation):
            reveal(vault, kept["orders", "iban"].id)


class TestAllOrNothing:
    """A failure mid-erasure leaves the customer whole and nothing retained."""

    def _untouched(self, vault: Vault, request_id: str) -> None:
        assert state(vault, request_id) == "in_progress"
        assert vault.export_subject(SUBJECT).records
        assert rows(vault, RetainedValue) == rows(vault, RetentionKey) == 0

    def test_failure_while_keeping_fields(
        self, vault: Vault, customer: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Storing the retained values fails: no shred, no key, no half-kept fields."""

        def boom(**_: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(retained_repository, "add_values", boom)
        request_id = started(vault, "erasure")
        with pytest.raises(RuntimeError):
            finish(vault, request_id)
        self._untouched(vault, request_id)

    def test_failure_at_the_shred(
        self, vault: Vault, customer: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The erasure ledger cannot be written: the kept fields roll back with the rest."""

        def boom(*_: object, **__: object) -> None:
            raise OSError("ledger unwritable")

        monkeypatch.setattr(vault.keys.ledger, "record", boom)
        request_id = started(vault, "erasure")
        with pytest.raises(OSError, match="ledger"):
            finish(vault, request_id)
        self._untouched(vault, request_id)
        monkeypatch.undo()
        finish(vault, request_id)
        assert set(kept_of(vault)) == KEPT  # the retry keeps them


class TestPurge:
    """Purging removes exactly the expired fields, and shreds keys left empty."""

    def test_purge_removes_exactly_the_expired(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """At the IBAN's end only it goes; dry run changes nothing; at the last, the key goes."""
        kept = erase(vault)
        other = erase(vault, "C-2002")
        iban = kept["orders", "iban"]
        with vault.session() as s:
            early = purge_expired_retained(s, iban.retain_until - timedelta(seconds=1))
            dry = purge_expired_retained(s, iban.retain_until, dry_run=True)
        assert early == []
        assert [row.id for row in dry] == [iban.id]
        assert rows(vault, RetainedValue) == 4
        with vault.session() as s:
            purged = purge_expired_retained(s, iban.retain_until, ledger=vault.keys.ledger)
        assert [row.id for row in purged] == [iban.id]
        assert set(kept_of(vault)) == KEPT - {("orders", "iban")}
        assert rows(vault, RetentionKey) == 2
        with pytest.raises(NotFound):
            reveal(vault, iban.id)
        billing = kept["orders", "billing_address"]
        assert reveal(vault, billing.id) == BILLING
        with pytest.raises(NotFound, match="retention"):  # ended, though not yet purged
            reveal(vault, billing.id, at=billing.retain_until)
        with vault.session() as s:
            key_ids = [k.key_id for k in s.scalars(select(RetentionKey))]
        last = max(row.retain_until for row in [*kept.values(), *other.values()])
        with vault.session() as s:
            rest = purge_expired_retained(s, last, ledger=vault.keys.ledger)
        assert len(rest) == 3
        assert rows(vault, RetainedValue) == rows(vault, RetentionKey) == 0
        assert all(vault.keys.ledger.is_erased(key_id) for key_id in key_ids)

    def test_purge_without_anything_expired(self, vault: Vault, customer: dict[str, str]) -> None:
        """Nothing expired at the erasure itself: nothing purged."""
        erase(vault)
        with vault.session() as s:
            assert purge_expired_retained(s, T1) == []
        assert rows(vault, RetainedValue) == 3


class TestRotation:
    """Retention keys follow a master key rotation."""

    def test_rewrap_under_the_new_primary(self, vault: Vault, customer: dict[str, str]) -> None:
        """Rewrapped, the old master version can be retired and the value still opens."""
        kept = erase(vault)
        old = vault.keys.masters.primary_version("eu")
        new = vault.keys.masters.add_version("eu")
        with vault.session() as s:
            assert retention_key_versions(db_session=s, region="eu") == {old: 1}
            assert rewrap_retention_keys(db_session=s, keys=vault.keys, region="eu") == 1
            assert retention_key_versions(db_session=s, region="eu") == {new: 1}
        vault.keys.masters.remove_version("eu", old)
        assert reveal(vault, kept["orders", "iban"].id) == IBAN
