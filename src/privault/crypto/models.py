"""Tables of the key hierarchy: one wrapped data key per customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime


class SubjectKey(Base):
    """A customer's data key, wrapped by the master key of the customer's region.

    Deleting this row (and recording its ``key_id`` in the erasure ledger) crypto-shreds every
    ciphertext of the customer, wherever copies of it went.
    """

    __tablename__ = "subject_keys"

    subject_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    region: Mapped[str] = mapped_column(String(63))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    master_key_id: Mapped[int] = mapped_column(BigInteger)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
