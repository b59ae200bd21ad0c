"""Queries of fulfilment tables (flush, never commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from privault.rights.fulfil.models import AccessPackage, DownloadLink, ErasureCertificate
from privault.rights.models import RightsRequest


def add(*, db_session: Session, row: AccessPackage | DownloadLink | ErasureCertificate) -> None:
    """Insert a row."""
    db_session.add(row)
    db_session.flush()


def get_package(*, db_session: Session, request_id: str) -> AccessPackage | None:
    """The sealed package of a request."""
    return db_session.get(AccessPackage, request_id)


def get_link(*, db_session: Session, token_hash: bytes) -> DownloadLink | None:
    """A download link by the hash of its token."""
    return db_session.get(DownloadLink, token_hash)


def spend_link(*, db_session: Session, token_hash: bytes, at: datetime) -> bool:
    """Mark a link used; False when another download used it first (one winner under races)."""
    result = db_session.execute(
        update(DownloadLink)
        .where(DownloadLink.token_hash == token_hash, DownloadLink.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def get_certificate(*, db_session: Session, request_id: str) -> ErasureCertificate | None:
    """The erasure certificate of a request."""
    return db_session.get(ErasureCertificate, request_id)


def delete_packages_of(*, db_session: Session, subject_id: str) -> int:
    """Delete every package of the customer's requests, and their links; how many packages."""
    requests = select(RightsRequest.id).where(RightsRequest.subject_id == subject_id)
    db_session.execute(
        delete(DownloadLink)
        .where(DownloadLink.request_id.in_(requests))
        .execution_options(synchronize_session=False)
    )
    result = db_session.execute(
        delete(AccessPackage)
        .where(AccessPackage.request_id.in_(requests))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
