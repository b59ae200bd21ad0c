"""Tables of data-subject requests: the requests, their append-only events, one-time codes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime
from privault.rights.rules import OPEN_STATES, REASON_LENGTH, Regime, RequestState, RequestType

ID_LENGTH = 40
SUBJECT_LENGTH = 255
ACTOR_LENGTH = 128
HASH_LENGTH = 32


class RequestAction(StrEnum):
    """What a request event records."""

    RECEIVED = "received"  # the request was opened
    TRANSITION = "transition"  # the state moved (from_state -> to_state)
    EXTENDED = "extended"  # the deadline was extended, with the reason
    CONFIRMED = "confirmed"  # receipt was confirmed to the customer
    CODE_SENT = "code_sent"  # a one-time code was sent
    CODE_FAILED = "code_failed"  # a wrong, expired or exhausted code was presented


class VerificationMethod(StrEnum):
    """How the customer's identity was verified."""

    CODE = "code"  # a one-time code sent to the customer
    SESSION = "session"  # the customer was signed in to the shop when asking
    OPERATOR = "operator"  # an operator checked it by other means (recorded with a reason)


def _one_of(column: str, values: Iterable[str]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


# The states in which a request still waits for an answer, as an SQL condition.
OPEN_CONDITION = _one_of("state", sorted(state.value for state in OPEN_STATES))


class RightsRequest(Base):
    """One data-subject request, its deadlines and where it stands."""

    __tablename__ = "rights_requests"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    type: Mapped[str] = mapped_column(String(16))
    regime: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(24))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        CheckConstraint(_one_of("type", RequestType), name="type"),
        CheckConstraint(_one_of("regime", Regime), name="regime"),
        CheckConstraint(_one_of("state", RequestState), name="state"),
        CheckConstraint(
            "verified_by IS NULL OR " + _one_of("verified_by", VerificationMethod),
            name="verified_by",
        ),
        # One open request per customer and type: a second one is the same request again.
        Index(
            "uq_rights_requests_open",
            "subject_id",
            "type",
            unique=True,
            sqlite_where=text(OPEN_CONDITION),
            postgresql_where=text(OPEN_CONDITION),
        ),
        Index("ix_rights_requests_state_due_at", "state", "due_at"),
    )


class RightsRequestEvent(Base):
    """One thing that happened to a request: who, when, what, why. Append-only.

    ``seq`` numbers a request's events 1, 2, 3 ... in the order they were written (taken under
    the request's row lock), so the history keeps its order even when two steps share a time.
    """

    __tablename__ = "rights_request_events"

    request_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("rights_requests.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH), nullable=True)

    __table_args__ = (CheckConstraint(_one_of("action", RequestAction), name="action"),)


class VerificationCode(Base):
    """The one live one-time code of a request: its keyed hash, never the code."""

    __tablename__ = "rights_verification_codes"

    request_id: Mapped[str] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("rights_requests.id", ondelete="CASCADE"),
        primary_key=True,
    )
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer)
    codes_sent: Mapped[int] = mapped_column(Integer)
