"""Tables of retained fields: what an erasure kept for a legal obligation, under its own key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

ID_LENGTH = 40
PSEUDONYM_LENGTH = 64


class RetentionKey(Base):
    """The retention key of one erasure: a fresh AES-256-GCM key wrapped by the region's master
    keyset, with associated data binding region, "retention", the erasure id and the key id.

    Deleted (and its id written to the erasure ledger) when its last field is purged, which
    shreds every copy of the fields it encrypted.
    """

    __tablename__ = "retention_keys"

    erasure_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    region: Mapped[str] = mapped_column(String(63))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    master_key_id: Mapped[int] = mapped_column(BigInteger)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    subject_pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RetainedValue(Base):
    """One field kept past an erasure, encrypted under its erasure's retention key.

    The customer is named only by the audit log's keyed pseudonym. The ciphertext's associated
    data binds every other column, so a value moved to another row, or a row whose dates or
    reason were altered, fails to decrypt.
    """

    __tablename__ = "retained_fields"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    erasure_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("retention_keys.erasure_id", ondelete="RESTRICT")
    )
    subject_pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH))
    collection: Mapped[str] = mapped_column(String(63))
    record_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    field: Mapped[str] = mapped_column(String(63))
    legal_basis: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    retained_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime())
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_retained_fields_retain_until", "retain_until"),
        Index("ix_retained_fields_erasure_id", "erasure_id"),
        Index("ix_retained_fields_subject_pseudonym", "subject_pseudonym"),
    )
