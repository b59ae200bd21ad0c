"""The ``idempotency_keys`` table: the first answer to each (API key, Idempotency-Key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime


class IdempotentResponse(Base):
    """The answer given to a request that carried an ``Idempotency-Key``.

    ``request_hash`` is SHA-256 of method, route and body, so a different request under the
    same key is told apart from a retry. ``body`` holds record ids and tokens, never values.
    """

    __tablename__ = "idempotency_keys"

    api_key_id: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("api_key_id", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )
