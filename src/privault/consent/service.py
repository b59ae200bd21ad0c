"""Use cases of the consent ledger: grant, withdraw, read consent; receipts; restrict; forget.

Every change appends an event and moves the current state in the same transaction. The state
is the latest event by time, so events recorded late (an import, a delayed queue) never undo a
newer decision. Each event keeps the purpose's legal basis at the time, the notice shown and a
keyed pseudonym of the request's origin, and has a signed receipt. Services flush and never
commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from privault.common.ids import new_id
from privault.consent import repository
from privault.consent.models import (
    REASON_LENGTH,
    ConsentAction,
    ConsentEvent,
    ConsentState,
    SubjectRestriction,
)
from privault.consent.notices import choose_notice
from privault.consent.receipt import consent_receipt, sign_receipt
from privault.consent.rules import (
    check_at,
    check_notice_version,
    check_origin,
    check_purpose,
    check_source,
    check_subject_id,
)
from privault.datamap import DataMap
from privault.dlp import analyze
from privault.errors import InvalidInput, NotFound

__all__ = [
    "DEFAULT_LANGUAGE",
    "RecordedConsent",
    "consent_history",
    "consented_purposes",
    "current_consent",
    "forget_subject",
    "get_restriction",
    "grant_consent",
    "has_objected",
    "is_restricted",
    "issue_receipt",
    "latest_receipt",
    "lift_restriction",
    "record_consent",
    "restrict_processing",
    "withdraw_consent",
]

DEFAULT_LANGUAGE = "en"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class RecordedConsent:
    """One recorded grant or withdrawal, the state after it and its notice's text hash."""

    event: ConsentEvent
    state: ConsentState
    notice_sha256: str | None


def record_consent(
    *,
    db_session: Session,
    datamap: DataMap,
    subject_id: str,
    purpose: str,
    action: ConsentAction,
    source: str,
    at: datetime,
    notice_version: str | None = None,
    notice_language: str | None = None,
    default_language: str = DEFAULT_LANGUAGE,
    origin: str | None = None,
) -> RecordedConsent:
    """Append one grant or withdrawal and move the current state; return both.

    ``origin`` is the keyed pseudonym of the request's network address (``origin_pseudonym``),
    None for the CLI and imports. When the purpose has published notices, a named
    ``notice_version`` must be one of them, in ``notice_language`` (default: the default
    language); without published notices any version the shop names is kept as given.
    """
    subject_id = check_subject_id(subject_id)
    purpose = check_purpose(datamap, purpose)
    checked_source = check_source(source)
    notice_version = check_notice_version(notice_version)
    origin = check_origin(origin)
    at = check_at(at)
    # Checked before anything is written. On SQLite a writing transaction holds the write lock
    # from BEGIN IMMEDIATE (privault.db.engine), so reading first cannot fail to upgrade a lock.
    notice = choose_notice(
        db_session=db_session,
        purpose=purpose,
        version=notice_version,
        language=notice_language,
        default_language=default_language,
    )
    event = ConsentEvent(
        id=new_id("cev"),
        subject_id=subject_id,
        purpose=purpose,
        action=ConsentAction(action).value,
        source=checked_source.value,
        notice_version=notice.version,
        notice_language=notice.language,
        legal_basis=datamap.purposes[purpose].basis.value,
        origin=origin,
        at=at,
    )
    repository.add_event(db_session=db_session, event=event)
    repository.upsert_state(
        db_session=db_session,
        subject_id=subject_id,
        purpose=purpose,
        granted=event.action == ConsentAction.GRANT.value,
        source=checked_source.value,
        notice_version=notice.version,
        at=at,
    )
    state = repository.get_state(db_session=db_session, subject_id=subject_id, purpose=purpose)
    if state is None:  # pragma: no cover - the upsert above guarantees a row
        raise RuntimeError("consent state vanished inside its own transaction")
    return RecordedConsent(event=event, state=state, notice_sha256=notice.sha256)


def grant_consent(
    *,
    db_session: Session,
    datamap: DataMap,
    subject_id: str,
    purpose: str,
    source: str,
    notice_version: str | None = None,
    at: datetime,
    notice_language: str | None = None,
    origin: str | None = None,
) -> ConsentState:
    """Record that the customer consents to ``purpose``; return the current state.

    Granting again records another event and leaves the state granted (with the newest source
    and notice version). The state returned is the latest by time: a grant dated before a
    recorded withdrawal is kept in the history but leaves the consent withdrawn.
    """
    return record_consent(
        db_session=db_session,
        datamap=datamap,
        subject_id=subject_id,
        purpose=purpose,
        action=ConsentAction.GRANT,
        source=source,
        at=at,
        notice_version=notice_version,
        notice_language=notice_language,
        origin=origin,
    ).state


def withdraw_consent(
    *,
    db_session: Session,
    datamap: DataMap,
    subject_id: str,
    purpose: str,
    source: str,
    notice_version: str | None = None,
    at: datetime,
    notice_language: str | None = None,
    origin: str | None = None,
) -> ConsentState:
    """Record that the customer withdraws consent to ``purpose``; return the current state.

    A withdrawal without an earlier grant is recorded too (a GPC signal may come first).
    """
    return record_consent(
        db_session=db_session,
        datamap=datamap,
        subject_id=subject_id,
        purpose=purpose,
        action=ConsentAction.WITHDRAW,
        source=source,
        at=at,
        notice_version=notice_version,
        notice_language=notice_language,
        origin=origin,
    ).state


def current_consent(*, db_session: Session, subject_id: str, purpose: str) -> ConsentState | None:
    """The customer's current consent state for ``purpose``, or None when never recorded."""
    return repository.get_state(
        db_session=db_session, subject_id=check_subject_id(subject_id), purpose=purpose
    )


def consented_purposes(
    *, db_session: Session, subject_id: str, purposes: Iterable[str]
) -> set[str]:
    """Those of ``purposes`` the customer currently consents to."""
    wanted = sorted({purpose for purpose in purposes if isinstance(purpose, str)})
    if not wanted:
        return set()
    return repository.granted_purposes(
        db_session=db_session, subject_id=check_subject_id(subject_id), purposes=wanted
    )


def consent_history(*, db_session: Session, subject_id: str) -> list[ConsentEvent]:
    """Every consent event of the customer, oldest first."""
    return repository.list_events(db_session=db_session, subject_id=check_subject_id(subject_id))


def has_objected(*, db_session: Session, subject_id: str, purpose: str) -> bool:
    """Whether the customer's latest decision on ``purpose`` is a withdrawal (an objection, for
    a purpose on legitimate interest); a later grant lifts it."""
    return repository.has_withdrawn(
        db_session=db_session, subject_id=check_subject_id(subject_id), purpose=purpose
    )


def issue_receipt(
    *,
    db_session: Session,
    event: ConsentEvent,
    signing_key: Ed25519PrivateKey,
    controller: str | None,
    notice_sha256: str | None = None,
) -> dict[str, Any]:
    """The signed receipt of a consent event (the notice's hash looked up unless given).

    Ed25519 signatures are deterministic: the same event gives the same receipt every time
    while the key and the controller's name stay the same.
    """
    if notice_sha256 is None and event.notice_language is not None:
        notice = repository.get_notice(
            db_session=db_session,
            purpose=event.purpose,
            version=event.notice_version or "",
            language=event.notice_language,
        )
        notice_sha256 = notice.sha256 if notice is not None else None
    receipt = consent_receipt(event, notice_sha256=notice_sha256, controller=controller)
    return sign_receipt(receipt, signing_key)


def latest_receipt(
    *,
    db_session: Session,
    subject_id: str,
    purpose: str,
    signing_key: Ed25519PrivateKey,
    controller: str | None,
) -> dict[str, Any]:
    """The signed receipt of the customer's latest decision on ``purpose``."""
    event = repository.latest_event(
        db_session=db_session, subject_id=check_subject_id(subject_id), purpose=purpose
    )
    if event is None:
        raise NotFound("no consent recorded for this customer and purpose", code="no_consent")
    return issue_receipt(
        db_session=db_session, event=event, signing_key=signing_key, controller=controller
    )


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
    subject_id = check_subject_id(subject_id)
    reason = _check_reason(reason)
    at = check_at(at)
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
        db_session=db_session, subject_id=check_subject_id(subject_id)
    )


def get_restriction(*, db_session: Session, subject_id: str) -> SubjectRestriction | None:
    """The customer's restriction, or None when processing is not restricted."""
    return repository.get_restriction(
        db_session=db_session, subject_id=check_subject_id(subject_id)
    )


def is_restricted(*, db_session: Session, subject_id: str) -> bool:
    """Whether processing of the customer's data is restricted."""
    return repository.is_restricted(db_session=db_session, subject_id=check_subject_id(subject_id))


def forget_subject(*, db_session: Session, subject_id: str) -> None:
    """Delete the customer's consent events, states and restriction (called by erasure)."""
    repository.delete_subject(db_session=db_session, subject_id=check_subject_id(subject_id))
