"""Use cases of the consent ledger: grant, withdraw, read consent; restrict processing; forget.

Every change appends an event and moves the current state in the same transaction. The state
is the latest event by time, so events recorded late (an import, a delayed queue) never undo a
newer decision. Services flush and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from privault.common.ids import new_id
from privault.consent import repository
from privault.consent.models import (
    NOTICE_VERSION_LENGTH,
    REASON_LENGTH,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    SubjectRestriction,
)
from privault.datamap import DataMap
from privault.dlp import analyze
from privault.errors import InvalidInput

__all__ = [
    "consent_history",
    "consented_purposes",
    "current_consent",
    "forget_subject",
    "get_restriction",
    "grant_consent",
    "is_restricted",
    "lift_restriction",
    "restrict_processing",
    "withdraw_consent",
]

_SOURCES = tuple(member.value for member in ConsentSource)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _check_subject_id(subject_id: object) -> str:
    if (
        not isinstance(subject_id, str)
        or not 1 <= len(subject_id) <= 255
        or _CONTROL.search(subject_id)
    ):
        raise InvalidInput(
            "customer id must be 1 to 255 characters without control characters",
            code="invalid_subject_id",
        )
    return subject_id


def _check_purpose(datamap: DataMap, purpose: object) -> str:
    if not isinstance(purpose, str) or purpose not in datamap.purposes:
        # The purpose is caller input: named only when it is a declared one.
        raise InvalidInput("the purpose is not declared in the data map", code="unknown_purpose")
    return purpose


def _check_source(source: object) -> ConsentSource:
    if isinstance(source, str) and source in _SOURCES:
        return ConsentSource(source)
    raise InvalidInput(f"source must be one of: {', '.join(_SOURCES)}", code="invalid_source")


def _check_notice_version(notice_version: object) -> str | None:
    if notice_version is None:
        return None
    if (
        not isinstance(notice_version, str)
        or not 1 <= len(notice_version) <= NOTICE_VERSION_LENGTH
        or _CONTROL.search(notice_version)
    ):
        raise InvalidInput(
            f"notice version must be 1 to {NOTICE_VERSION_LENGTH} characters without control "
            "characters",
            code="invalid_notice_version",
        )
    return notice_version


def _check_at(at: object) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("time must be an aware datetime", code="invalid_time")
    return at


def _record(
    *,
    db_session: Session,
    datamap: DataMap,
    subject_id: str,
    purpose: str,
    action: ConsentAction,
    source: str,
    notice_version: str | None,
    at: datetime,
) -> ConsentState:
    subject_id = _check_subject_id(subject_id)
    purpose = _check_purpose(datamap, purpose)
    checked_source = _check_source(source)
    notice_version = _check_notice_version(notice_version)
    at = _check_at(at)
    # The event goes in first so that the transaction's first statement is a write: on SQLite
    # it then waits for a concurrent writer instead of failing to upgrade a read lock.
    repository.add_event(
        db_session=db_session,
        event=ConsentEvent(
            id=new_id("cev"),
            subject_id=subject_id,
            purpose=purpose,
            action=action.value,
            source=checked_source.value,
            notice_version=notice_version,
            at=at,
        ),
    )
    repository.upsert_state(
        db_session=db_session,
        subject_id=subject_id,
        purpose=purpose,
        granted=action is ConsentAction.GRANT,
        source=checked_source.value,
        notice_version=notice_version,
        at=at,
    )
    state = repository.get_state(db_session=db_session, subject_id=subject_id, purpose=purpose)
    if state is None:  # pragma: no cover - the upsert above guarantees a row
        raise RuntimeError("consent state vanished inside its own transaction")
    return state


def grant_consent(
    *,
    db_session: Session,
    datamap: DataMap,
    subject_id: str,
    purpose: str,
    source: str,
    notice_version: str | None = None,
    at: datetime,
) -> ConsentState:
    """Record that the customer consents to ``purpose``; return the current state.

    Granting again records another event and leaves the state granted (with the newest source
    and notice version). The state returned is the latest by time: a grant dated before a
    recorded withdrawal is kept in the history but leaves the consent withdrawn.
    """
    return _record(
        db_session=db_session,
        datamap=datamap,
        subject_id=subject_id,
        purpose=purpose,
        action=ConsentAction.GRANT,
        source=source,
        notice_version=notice_version,
        at=at,
    )


def withdraw_consent(
    *,
    db_session: Session,
    datamap: DataMap,
    subject_id: str,
    purpose: str,
    source: str,
    notice_version: str | None = None,
    at: datetime,
) -> ConsentState:
    """Record that the customer withdraws consent to ``purpose``; return the current state.

    A withdrawal without an earlier grant is recorded too (a GPC signal may come first).
    """
    return _record(
        db_session=db_session,
        datamap=datamap,
        subject_id=subject_id,
        purpose=purpose,
        action=ConsentAction.WITHDRAW,
        source=source,
        notice_version=notice_version,
        at=at,
    )


def current_consent(*, db_session: Session, subject_id: str, purpose: str) -> ConsentState | None:
    """The customer's current consent state for ``purpose``, or None when never recorded."""
    return repository.get_state(
        db_session=db_session, subject_id=_check_subject_id(subject_id), purpose=purpose
    )


def consented_purposes(
    *, db_session: Session, subject_id: str, purposes: Iterable[str]
) -> set[str]:
    """Those of ``purposes`` the customer currently consents to."""
    wanted = sorted({purpose for purpose in purposes if isinstance(purpose, str)})
    if not wanted:
        return set()
    return repository.granted_purposes(
        db_session=db_session, subject_id=_check_subject_id(subject_id), purposes=wanted
    )


def consent_history(*, db_session: Session, subject_id: str) -> list[ConsentEvent]:
    """Every consent event of the customer, oldest first."""
    return repository.list_events(db_session=db_session, subject_id=_check_subject_id(subject_id))


def _check_reason(reason: object) -> str:
    if (
        not isinstance(reason, str)
        or not reason.strip()
        or len(reason) > REASON_LENGTH
        or _CONTROL.search(reason)
    ):
        raise InvalidInput(
            f"reason must be 1 to {REASON_LENGTH} characters on one line",
            code="invalid_reason",
        )
    found = sorted({finding.type for finding in analyze(reason)})
    if found:
        raise InvalidInput(
            "the reason seems to contain personal data; describe the case without it",
            code="reason_contains_personal_data",
            types=found,
        )
    return reason


def restrict_processing(
    *, db_session: Session, subject_id: str, reason: str, at: datetime
) -> SubjectRestriction:
    """Restrict processing of the customer's data (GDPR Art. 18); return the restriction.

    Restricting again keeps the original start and takes the new reason. ``reason`` is an
    operator's note: one refused when the leak detectors find personal data in it.
    """
    subject_id = _check_subject_id(subject_id)
    reason = _check_reason(reason)
    at = _check_at(at)
    repository.upsert_restriction(
        db_session=db_session, subject_id=subject_id, reason=reason, at=at
    )
    restriction = repository.get_restriction(db_session=db_session, subject_id=subject_id)
    if restriction is None:  # pragma: no cover - the upsert above guarantees a row
        raise RuntimeError("restriction vanished inside its own transaction")
    return restriction


def lift_restriction(*, db_session: Session, subject_id: str) -> bool:
    """Lift the customer's restriction; True when there was one, False when there was none."""
    return repository.delete_restriction(
        db_session=db_session, subject_id=_check_subject_id(subject_id)
    )


def get_restriction(*, db_session: Session, subject_id: str) -> SubjectRestriction | None:
    """The customer's restriction, or None when processing is not restricted."""
    return repository.get_restriction(
        db_session=db_session, subject_id=_check_subject_id(subject_id)
    )


def is_restricted(*, db_session: Session, subject_id: str) -> bool:
    """Whether processing of the customer's data is restricted."""
    return repository.is_restricted(db_session=db_session, subject_id=_check_subject_id(subject_id))


def forget_subject(*, db_session: Session, subject_id: str) -> None:
    """Delete the customer's consent events, states and restriction (called by erasure)."""
    repository.delete_subject(db_session=db_session, subject_id=_check_subject_id(subject_id))
