"""Consent notices: per purpose, versioned, one text per language; immutable once published.

A change to a notice is a new version. Publishing the same text again is a no-op; a different
text under a version and language already published is refused. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privault.common.ids import new_id
from privault.consent import repository
from privault.consent.models import ConsentNotice
from privault.consent.rules import (
    check_language,
    check_notice_text,
    check_published_version,
    check_purpose,
    language_fallbacks,
    text_sha256,
)
from privault.datamap import DataMap
from privault.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "NoticeChoice",
    "PublishedNotice",
    "choose_notice",
    "find_notice",
    "list_notices",
    "publish_notice",
]


@dataclass(frozen=True)
class PublishedNotice:
    """The notice text stored, and whether this call stored it (False: already published)."""

    notice: ConsentNotice
    created: bool


@dataclass(frozen=True)
class NoticeChoice:
    """The notice a grant refers to: version, language and text hash (None when unpublished)."""

    version: str | None
    language: str | None
    sha256: str | None


def publish_notice(
    *,
    db_session: Session,
    datamap: DataMap,
    purpose: str,
    version: str,
    language: str,
    text: str,
    at: datetime,
    actor: str,
) -> PublishedNotice:
    """Publish the text of a purpose's notice version in one language.

    The same text again returns the stored notice (``created`` False); another text for a
    version and language already published raises Conflict: publish a new version instead.
    """
    purpose = check_purpose(datamap, purpose)
    version = check_published_version(version)
    language = check_language(language)
    text = check_notice_text(text)
    digest = text_sha256(text)
    existing = repository.get_notice(
        db_session=db_session, purpose=purpose, version=version, language=language
    )
    if existing is None:
        notice = ConsentNotice(
            id=new_id("cnt"),
            purpose=purpose,
            version=version,
            language=language,
            text=text,
            sha256=digest,
            published_at=at,
            published_by=actor[:255],
        )
        try:
            with db_session.begin_nested():
                repository.add_notice(db_session=db_session, notice=notice)
        except IntegrityError:
            # Published by a concurrent call since we looked: compare with what won.
            existing = repository.get_notice(
                db_session=db_session, purpose=purpose, version=version, language=language
            )
            if existing is None:  # pragma: no cover - the unique constraint names a row
                raise
        else:
            return PublishedNotice(notice=notice, created=True)
    if existing.sha256 != digest:
        raise Conflict(
            f"version {version} of the '{purpose}' notice is already published in {language} "
            "with another text; a published notice never changes: publish a new version",
            code="notice_published",
        )
    return PublishedNotice(notice=existing, created=False)


def list_notices(
    *, db_session: Session, datamap: DataMap, purpose: str | None = None
) -> list[ConsentNotice]:
    """Published notice texts, of one declared purpose or all, oldest first."""
    if purpose is not None:
        purpose = check_purpose(datamap, purpose)
    return repository.list_notices(db_session=db_session, purpose=purpose)


def find_notice(
    *,
    db_session: Session,
    datamap: DataMap,
    purpose: str,
    default_language: str,
    version: str | None = None,
    language: str | None = None,
) -> ConsentNotice:
    """A notice text: the latest version unless one is named, in ``language`` or its fallbacks.

    The language falls back to less specific tags (``de-AT`` -> ``de``), then to the default
    language. NotFound when the purpose has no such version or no text in any of them.
    """
    purpose = check_purpose(datamap, purpose)
    wanted = check_language(language) if language is not None else default_language
    if version is None:
        version = repository.latest_version(db_session=db_session, purpose=purpose)
        if version is None:
            raise NotFound("no notice is published for this purpose", code="notice_not_found")
    else:
        version = check_published_version(version)
    for candidate in language_fallbacks(wanted, default_language):
        notice = repository.get_notice(
            db_session=db_session, purpose=purpose, version=version, language=candidate
        )
        if notice is not None:
            return notice
    raise NotFound(
        "no text of this notice version in the language asked for or the default language",
        code="notice_not_found",
    )


def choose_notice(
    *,
    db_session: Session,
    purpose: str,
    version: str | None,
    language: str | None,
    default_language: str,
) -> NoticeChoice:
    """The notice a consent event names, checked against what is published.

    A purpose with published notices takes only a published version (in a published language
    of it, the default language when none is named); a purpose without published notices
    keeps any version the shop names, unchecked and without language or hash.
    """
    if version is None:
        if language is not None:
            raise InvalidInput(
                "a notice language needs a notice version", code="notice_version_required"
            )
        return NoticeChoice(None, None, None)
    if not repository.has_notices(db_session=db_session, purpose=purpose):
        if language is not None:
            raise InvalidInput(
                "no notice is published for this purpose, so no language can be named",
                code="notice_not_published",
            )
        return NoticeChoice(version, None, None)
    chosen_language = check_language(language) if language is not None else default_language
    notice = repository.get_notice(
        db_session=db_session, purpose=purpose, version=version, language=chosen_language
    )
    if notice is None:
        raise InvalidInput(
            "the notice version is not published for this purpose in this language",
            code="notice_not_published",
        )
    return NoticeChoice(notice.version, notice.language, notice.sha256)
