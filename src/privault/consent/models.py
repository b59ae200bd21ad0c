"""Tables of the consent ledger: every grant and withdrawal, the current state, restrictions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

# Purposes are data-map identifiers (at most 63 characters).
PURPOSE_LENGTH = 63
SOURCE_LENGTH = 16
NOTICE_VERSION_LENGTH = 64
REASON_LENGTH = 500
# BCP 47 tags fit in 35 characters for every practical use (RFC 5646, 4.4.1).
LANGUAGE_LENGTH = 35
# A keyed pseudonym (HMAC-SHA256, hex) of the request's network origin.
ORIGIN_LENGTH = 64
BASIS_LENGTH = 32


class ConsentAction(StrEnum):
    """What a consent event did."""

    GRANT = "grant"
    WITHDRAW = "withdraw"


class ConsentSource(StrEnum):
    """Where a consent decision came from."""

    WEB = "web"  # the shop's own pages (consent banner, account settings)
    API = "api"  # the shop's backend through the HTTP API
    IMPORT = "import"  # records brought over from another consent tool
    GPC = "gpc"  # a Global Privacy Control signal from the customer's browser
    CLI = "cli"  # an operator at the command line


def _one_of(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class ConsentEvent(Base):
    """One grant or withdrawal, as it happened; append-only (deleted only by erasure)."""

    __tablename__ = "consent_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(PURPOSE_LENGTH))
    action: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    notice_version: Mapped[str | None] = mapped_column(String(NOTICE_VERSION_LENGTH), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The language of the notice text shown, when the purpose has published notices.
    notice_language: Mapped[str | None] = mapped_column(String(LANGUAGE_LENGTH), nullable=True)
    # The purpose's legal basis when the event was recorded (the data map may change later).
    legal_basis: Mapped[str | None] = mapped_column(String(BASIS_LENGTH), nullable=True)
    # Keyed pseudonym of the request's network origin; never the address itself.
    origin: Mapped[str | None] = mapped_column(String(ORIGIN_LENGTH), nullable=True)

    __table_args__ = (
        CheckConstraint(_one_of("action", ConsentAction), name="action"),
        CheckConstraint(_one_of("source", ConsentSource), name="source"),
        Index("ix_consent_events_subject_id", "subject_id", "at"),
    )


class ConsentState(Base):
    """A customer's current consent for one purpose: the latest event by time."""

    __tablename__ = "consent_states"

    subject_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(PURPOSE_LENGTH), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    notice_version: Mapped[str | None] = mapped_column(String(NOTICE_VERSION_LENGTH), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint(_one_of("source", ConsentSource), name="source"),)


class ConsentNotice(Base):
    """The text of one version of a purpose's notice in one language; immutable once published.

    A change is a new version. ``sha256`` is the hex SHA-256 of the UTF-8 text, which consent
    receipts quote.
    """

    __tablename__ = "consent_notices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(PURPOSE_LENGTH))
    version: Mapped[str] = mapped_column(String(NOTICE_VERSION_LENGTH))
    language: Mapped[str] = mapped_column(String(LANGUAGE_LENGTH))
    text: Mapped[str] = mapped_column(Text())
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(255))

    __table_args__ = (UniqueConstraint("purpose", "version", "language"),)


class SubjectRestriction(Base):
    """A customer whose processing is restricted (GDPR Art. 18): only the rights workflow reads.

    ``reason`` is an operator's note and must name no customer data; the service refuses a
    reason in which the leak detectors find any.
    """

    __tablename__ = "subject_restrictions"

    subject_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
