"""Queries on the consent ledger and restrictions. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from privault.consent.models import ConsentEvent, ConsentNotice, ConsentState, SubjectRestriction
from privault.db.bulk import PreparedSelect

_CHUNK = 500


def _dialect_insert(db_session: Session, model: type[Any]) -> Any:
    """An INSERT that can take ON CONFLICT, on the session's engine."""
    if db_session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def add_event(*, db_session: Session, event: ConsentEvent) -> None:
    """Append one consent event."""
    db_session.add(event)
    db_session.flush()


def upsert_state(
    *,
    db_session: Session,
    subject_id: str,
    purpose: str,
    granted: bool,
    source: str,
    notice_version: str | None,
    at: datetime,
) -> None:
    """Set the state of a subject and purpose, unless a later event already set it.

    One statement, so two writers racing on a new subject cannot both insert; the guard on
    ``updated_at`` keeps the state equal to the latest event whatever order they commit in.
    """
    values = {
        "subject_id": subject_id,
        "purpose": purpose,
        "granted": granted,
        "source": source,
        "notice_version": notice_version,
        "updated_at": at,
    }
    insert = _dialect_insert(db_session, ConsentState).values(**values)
    table = ConsentState.__table__.c
    statement = insert.on_conflict_do_update(
        index_elements=[table.subject_id, table.purpose],
        set_={
            name: insert.excluded[name] for name in values if name not in ("subject_id", "purpose")
        },
        where=insert.excluded.updated_at >= table.updated_at,
    )
    db_session.execute(statement)


def get_state(*, db_session: Session, subject_id: str, purpose: str) -> ConsentState | None:
    """The current state of one subject and purpose, read fresh from the database."""
    return db_session.scalars(
        select(ConsentState)
        .where(ConsentState.subject_id == subject_id, ConsentState.purpose == purpose)
        .execution_options(populate_existing=True)
    ).one_or_none()


def granted_purposes(*, db_session: Session, subject_id: str, purposes: Sequence[str]) -> set[str]:
    """Those of ``purposes`` the subject currently consents to."""
    found: set[str] = set()
    for start in range(0, len(purposes), _CHUNK):
        chunk = purposes[start : start + _CHUNK]
        found.update(
            db_session.scalars(
                select(ConsentState.purpose).where(
                    ConsentState.subject_id == subject_id,
                    ConsentState.purpose.in_(chunk),
                    ConsentState.granted.is_(True),
                )
            )
        )
    return found


def list_events(*, db_session: Session, subject_id: str) -> list[ConsentEvent]:
    """Every consent event of a subject, oldest first."""
    return list(
        db_session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.subject_id == subject_id)
            .order_by(ConsentEvent.at, ConsentEvent.id)
        )
    )


def latest_event(*, db_session: Session, subject_id: str, purpose: str) -> ConsentEvent | None:
    """The subject's latest event for a purpose, by time (the one the state reflects)."""
    return db_session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.subject_id == subject_id, ConsentEvent.purpose == purpose)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        .limit(1)
    ).first()


def get_event(*, db_session: Session, event_id: str) -> ConsentEvent | None:
    """One consent event by id."""
    return db_session.get(ConsentEvent, event_id)


_states = ConsentState.__table__
_HAS_WITHDRAWN = PreparedSelect(
    select(_states.c.purpose).where(
        _states.c.subject_id == bindparam("subject"),
        _states.c.purpose == bindparam("purpose"),
        _states.c.granted.is_(False),
    )
)


def has_withdrawn(*, db_session: Session, subject_id: str, purpose: str) -> bool:
    """Whether the subject's current state for the purpose is a withdrawal (a prepared select)."""
    return _HAS_WITHDRAWN.first(db_session, subject=subject_id, purpose=purpose) is not None


def add_notice(*, db_session: Session, notice: ConsentNotice) -> None:
    """Insert one notice text."""
    db_session.add(notice)
    db_session.flush()


def get_notice(
    *, db_session: Session, purpose: str, version: str, language: str
) -> ConsentNotice | None:
    """The text of one version of a purpose's notice in one language."""
    return db_session.scalars(
        select(ConsentNotice).where(
            ConsentNotice.purpose == purpose,
            ConsentNotice.version == version,
            ConsentNotice.language == language,
        )
    ).one_or_none()


def list_notices(*, db_session: Session, purpose: str | None = None) -> list[ConsentNotice]:
    """Published notice texts (of one purpose, or all), oldest first."""
    query = select(ConsentNotice).order_by(
        ConsentNotice.purpose, ConsentNotice.published_at, ConsentNotice.id
    )
    if purpose is not None:
        query = query.where(ConsentNotice.purpose == purpose)
    return list(db_session.scalars(query))


def has_notices(*, db_session: Session, purpose: str) -> bool:
    """Whether any notice of the purpose is published."""
    found = db_session.scalars(
        select(ConsentNotice.id).where(ConsentNotice.purpose == purpose).limit(1)
    ).first()
    return found is not None


def latest_version(*, db_session: Session, purpose: str) -> str | None:
    """The version of the purpose's notice first published most recently."""
    first = func.min(ConsentNotice.published_at)
    return db_session.scalars(
        select(ConsentNotice.version)
        .where(ConsentNotice.purpose == purpose)
        .group_by(ConsentNotice.version)
        .order_by(first.desc(), func.min(ConsentNotice.id).desc())
        .limit(1)
    ).first()


_restrictions = SubjectRestriction.__table__
_IS_RESTRICTED = PreparedSelect(
    select(_restrictions.c.subject_id).where(_restrictions.c.subject_id == bindparam("subject"))
)


def is_restricted(*, db_session: Session, subject_id: str) -> bool:
    """Whether a restriction row exists (a prepared select: every read asks)."""
    return _IS_RESTRICTED.first(db_session, subject=subject_id) is not None


def get_restriction(*, db_session: Session, subject_id: str) -> SubjectRestriction | None:
    """The restriction on a subject, if any, read fresh from the database."""
    return db_session.get(SubjectRestriction, subject_id, populate_existing=True)


def upsert_restriction(*, db_session: Session, subject_id: str, reason: str, at: datetime) -> None:
    """Restrict a subject; a subject already restricted keeps its start and takes the new reason."""
    insert = _dialect_insert(db_session, SubjectRestriction).values(
        subject_id=subject_id, reason=reason, since=at
    )
    db_session.execute(
        insert.on_conflict_do_update(
            index_elements=[SubjectRestriction.__table__.c.subject_id],
            set_={"reason": insert.excluded.reason},
        )
    )


def delete_restriction(*, db_session: Session, subject_id: str) -> bool:
    """Lift a subject's restriction; True when there was one."""
    result = db_session.execute(
        delete(SubjectRestriction).where(SubjectRestriction.subject_id == subject_id)
    )
    return bool(getattr(result, "rowcount", 0))


def delete_subject(*, db_session: Session, subject_id: str) -> None:
    """Delete every consent event, state and restriction of a subject."""
    for model in (ConsentEvent, ConsentState, SubjectRestriction):
        db_session.execute(delete(model).where(model.subject_id == subject_id))
