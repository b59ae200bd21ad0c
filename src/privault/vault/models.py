"""Tables of the vault: encrypted records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, PrimaryKeyConstraint, String, Text
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
    # JSON of the tokens that cannot be recomputed (card and deterministic kinds); random-kind
    # tokens are pointer tokens, computed from the record id (``vault.pointers``).
    tokens: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_records_subject_id", "subject_id"),
        # The retention sweep finds records by age within a collection (migration 0010).
        Index("ix_records_collection_created_at", "collection", "created_at"),
    )


class Lookup(Base):
    """A digest to find a record by without decrypting: a blind index, a token body.

    ``kind`` is ``search`` (HMAC of the normalised value of a searchable field), ``dtoken`` (the
    body of a deterministic token) or ``card`` (a card token). Rows go with their record.
    """

    __tablename__ = "lookups"

    record_id: Mapped[str] = mapped_column(String(40), ForeignKey("records.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(8))
    collection: Mapped[str] = mapped_column(String(63))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        PrimaryKeyConstraint("record_id", "field", "kind"),
        Index("ix_lookups_kind_digest", "kind", "digest"),
        {"sqlite_with_rowid": False},
    )
