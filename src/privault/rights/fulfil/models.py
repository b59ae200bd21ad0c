"""Tables of request fulfilment: sealed access packages, download links, erasure certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privault.db.base import Base, UTCDateTime

ID_LENGTH = 40
TOKEN_HASH_LENGTH = 32


class AccessPackage(Base):
    """The access/portability package of a completed request, sealed (AES-GCM), never plaintext.

    ``sealed`` is nonce || ciphertext || tag under a key derived for this request id, with the
    request id as associated data: a package moved to another request does not open.
    """

    __tablename__ = "rights_packages"

    request_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("rights_requests.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class DownloadLink(Base):
    """A single-use, expiring link to a package: the SHA-256 of its token, never the token."""

    __tablename__ = "rights_download_links"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(TOKEN_HASH_LENGTH), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("rights_requests.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_rights_download_links_request_id", "request_id"),)


class ErasureCertificate(Base):
    """The signed erasure certificate of a completed erasure request (JSON text, as signed)."""

    __tablename__ = "rights_erasure_certificates"

    request_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("rights_requests.id", ondelete="CASCADE"), primary_key=True
    )
    audit_event_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[str] = mapped_column(Text)
