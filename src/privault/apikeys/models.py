"""The ``api_keys`` table: one row per key, holding a keyed hash of its secret, never the secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

KEY_ID_LENGTH = 12
# Roles, purposes and regions are data-map identifiers (at most 63 characters).
ROLE_LENGTH = 63
NAME_LENGTH = 100
HASH_LENGTH = 32


class ApiKey(Base):
    """An API key: its scope (role, purposes, regions), the HMAC of its secret and its lifecycle."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    role: Mapped[str] = mapped_column(String(ROLE_LENGTH))
    # SQL NULL (not JSON null) means "all of the role's purposes" / "every region".
    purposes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    regions: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
