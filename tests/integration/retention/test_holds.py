"""Legal holds: placing, renewing, removing; bad input leaves nothing written."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from privault.audit.models import AuditEvent
from privault.errors import InvalidInput, NotFound
from privault.retention import (
    LegalHold,
    active_hold,
    list_holds,
    place_hold,
    release_hold,
    repository,
)
from privault.vault import Vault

from .conftest import T0


def _place(vault: Vault, subject_id: str, reason: str) -> bool:
    with vault.session() as db_session:
        return place_hold(
            db_session=db_session,
            audit=vault.audit,
            subject_id=subject_id,
            reason=reason,
            at=T0,
            actor="operator:alice",
        ).created


def _counts(vault: Vault) -> tuple[int, int]:
    with vault.session() as db_session:
        holds = db_session.scalar(select(func.count()).select_from(LegalHold)) or 0
        events = (
            db_session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.operation.like("retention.hold%"))
            )
            or 0
        )
    return holds, events


def test_place_renew_and_remove(vault: Vault) -> None:
    """A hold is found by active_hold; placing again keeps its start and takes the reason;
    removing it ends it. Each change is audited by pseudonym, without the reason."""
    vault.put("customers", "C-1", {"email": "c-1@example.com"})
    assert _place(vault, "C-1", "case 17") is True
    assert _place(vault, "C-1", "case 17 and 18") is False
    with vault.session() as db_session:
        found = active_hold(db_session=db_session, subject_id="C-1")
        assert found is not None
        assert (found.reason, found.placed_at, found.placed_by) == (
            "case 17 and 18",
            T0,
            "operator:alice",
        )
        assert [h.subject_id for h in list_holds(db_session=db_session)] == ["C-1"]
        assert active_hold(db_session=db_session, subject_id="C-2") is None
        release_hold(db_session=db_session, audit=vault.audit, subject_id="C-1", actor="op")
        assert active_hold(db_session=db_session, subject_id="C-1") is None
        events = list(
            db_session.scalars(
                select(AuditEvent).where(AuditEvent.operation.like("retention.hold%"))
            )
        )
    assert [e.operation for e in events] == [
        "retention.hold_add",
        "retention.hold_add",
        "retention.hold_remove",
    ]
    assert {e.subject for e in events} == {vault.audit.pseudonym("C-1")}
    assert all("case" not in (e.detail or "") for e in events)


BAD_REASONS = [
    ("", "invalid_reason"),
    ("   ", "invalid_reason"),
    ("x" * 501, "invalid_reason"),
    ("line one\nline two", "invalid_reason"),
    ("customer wrote from ada@example.com", "reason_contains_personal_data"),
    ("card 4111 1111 1111 1111 disputed", "reason_contains_personal_data"),
]


def test_bad_input_is_refused_and_nothing_is_written(vault: Vault) -> None:
    """An empty, long, multi-line or personal-data reason, an unknown customer or a malformed
    id: each is refused with a clear error naming no data; no hold, no event."""
    vault.put("customers", "C-1", {"email": "c-1@example.com"})
    for reason, code in BAD_REASONS:
        with pytest.raises(InvalidInput) as caught:
            _place(vault, "C-1", reason)
        assert caught.value.code == code, reason
        assert "ada@example.com" not in caught.value.message
    for subject_id in ["", "x" * 256, "bad\nid"]:
        with pytest.raises(InvalidInput) as caught:
            _place(vault, subject_id, "case 17")
        assert caught.value.code == "invalid_subject_id"
    with pytest.raises(NotFound) as missing:
        _place(vault, "C-404", "case 17")
    assert missing.value.code == "subject_not_found"
    assert _counts(vault) == (0, 0)


def test_removing_a_missing_hold_is_not_found(vault: Vault) -> None:
    """Removing a hold nobody placed says so and logs nothing."""
    with pytest.raises(NotFound) as caught, vault.session() as db_session:
        release_hold(db_session=db_session, audit=vault.audit, subject_id="C-1", actor="op")
    assert caught.value.code == "hold_not_found"
    assert _counts(vault) == (0, 0)


def test_a_hold_waits_for_a_sweep_page_of_the_same_customer(vault: Vault) -> None:
    """While a sweep page holds the customer's lock, placing a hold waits for its commit."""
    vault.put("customers", "C-1", {"email": "c-1@example.com"})
    placed = threading.Event()

    def place() -> None:
        _place(vault, "C-1", "case 17")
        placed.set()

    with vault.session() as db_session:
        assert repository.lock_subjects(db_session=db_session, subject_ids=["C-1"]) == {"C-1"}
        worker = threading.Thread(target=place)
        worker.start()
        assert not placed.wait(0.3)
    worker.join(timeout=10)
    assert placed.is_set()
