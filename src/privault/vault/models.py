"""Tables of the vault: encrypted records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime


class Record(Base):
    """One record of a collection for one customer; every field value is encrypted on its own.

    ``fields`` packs each field's ciphertext with its name (``vault.rules.pack_fields``). Each
    ciphertext's associated data binds collection, field, record id and subject, so a
    ciphertext moved to another field or record fails to decrypt.
    """

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    collection: Mapped[str] = mapped_column(String(63))
    subject_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("subject_keys.subject_id", ondelete="CASCADE")
    )
    region: Mapped[str] = mapped_column(String(63))
    fields: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_records_subject_id", "subject_id"),)
