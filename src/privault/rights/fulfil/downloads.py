"""Single-use, expiring download links to access packages; erasure certificates with proofs."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord, checkpointed_size
from privault.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from privault.rights import rules as r
from privault.rights.fulfil import repository
from privault.rights.fulfil.certificate import with_proof
from privault.rights.fulfil.models import DownloadLink
from privault.rights.fulfil.package import open_package
from privault.rights.fulfil.render import package_csv, package_html
from privault.rights.service import get_request

LINK_LIFETIME = timedelta(days=7)
MAX_LINK_LIFETIME = timedelta(days=30)
TOKEN_PREFIX = "pkg_"  # noqa: S105 - names the kind of token, not a secret
_TOKEN_BYTES = 32
_MAX_TOKEN = 64
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_PACKAGED = frozenset({r.RequestType.ACCESS, r.RequestType.PORTABILITY})


@dataclass(frozen=True)
class IssuedLink:
    """A new download link: the token is shown once; the database keeps only its hash."""

    request_id: str
    token: str
    expires_at: datetime

    @property
    def path(self) -> str:
        """Where the package is fetched with this link."""
        return f"/v1/requests/{self.request_id}/package?token={self.token}"


@dataclass(frozen=True)
class Download:
    """A package rendered in one format."""

    content: str
    media_type: str
    filename: str


def token_hash(token: str) -> bytes:
    """SHA-256 of a link token (256 random bits: a plain hash is enough, no key needed)."""
    return hashlib.sha256(token.encode()).digest()


def issue_link(
    *,
    db_session: Session,
    audit: AuditLog,
    request_id: str,
    at: datetime,
    actor: str,
    lifetime: timedelta = LINK_LIFETIME,
) -> IssuedLink:
    """A new single-use link to the package of a completed access or portability request."""
    at = r.check_moment(at)
    if not timedelta(minutes=1) <= lifetime <= MAX_LINK_LIFETIME:
        raise InvalidInput("a link lives from one minute to 30 days", code="invalid_lifetime")
    request = get_request(db_session=db_session, request_id=request_id)
    if r.RequestType(request.type) not in _PACKAGED:
        raise Conflict("only access and portability requests have a package", code="no_package")
    if repository.get_package(db_session=db_session, request_id=request.id) is None:
        raise Conflict("the request has no package; complete it first", code="no_package")
    token = TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    expires_at = at + lifetime
    repository.add(
        db_session=db_session,
        row=DownloadLink(
            token_hash=token_hash(token),
            request_id=request.id,
            created_at=at,
            expires_at=expires_at,
            used_at=None,
        ),
    )
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor=actor,
            operation="rights.link",
            subject_id=request.subject_id,
            detail={"request": request.id, "expires_at": expires_at.isoformat()},
        ),
    )
    return IssuedLink(request_id=request.id, token=token, expires_at=expires_at)


def download_package(
    *,
    db_session: Session,
    audit: AuditLog,
    package_key: bytes,
    request_id: str,
    token: str,
    fmt: str,
    at: datetime,
) -> Download:
    """The package in ``fmt`` (json, csv, html), spending the link: it works once, until it
    expires. Unknown tokens and another request's tokens are the same NotFound."""
    at = r.check_moment(at)
    if fmt not in MEDIA_TYPES:
        raise InvalidInput("format must be one of: json, csv, html", code="invalid_format")
    link = None
    if isinstance(token, str) and token.startswith(TOKEN_PREFIX) and len(token) <= _MAX_TOKEN:
        link = repository.get_link(db_session=db_session, token_hash=token_hash(token))
    if link is None or link.request_id != request_id:
        raise NotFound("no such download link", code="link_not_found")
    if link.used_at is not None:
        raise PermissionDenied("this download link was already used", code="link_used")
    if link.expires_at <= at:
        raise PermissionDenied("this download link has expired", code="link_expired")
    if not repository.spend_link(db_session=db_session, token_hash=link.token_hash, at=at):
        raise PermissionDenied("this download link was already used", code="link_used")
    stored = repository.get_package(db_session=db_session, request_id=request_id)
    if stored is None:  # pragma: no cover - a link is only issued for a stored package
        raise NotFound("no such download link", code="link_not_found")
    package = open_package(stored.sealed, package_key=package_key, request_id=request_id)
    request = get_request(db_session=db_session, request_id=request_id)
    audit.record(
        db_session=db_session,
        event=AuditRecord(
            actor="download-link",
            operation="rights.download",
            subject_id=request.subject_id,
            detail={"request": request_id, "format": fmt},
        ),
    )
    if fmt == "csv":
        content = package_csv(package)
    elif fmt == "html":
        content = package_html(package)
    else:
        content = json.dumps(package, ensure_ascii=False, indent=2)
    return Download(content, MEDIA_TYPES[fmt], f"privault-{request_id}.{fmt}")


def certificate_of(*, db_session: Session, audit: AuditLog, request_id: str) -> dict[str, Any]:
    """The signed erasure certificate of a request, with the inclusion proof of its audit
    event once a signed checkpoint covers it (until then, without ``audit_proof``)."""
    request = get_request(db_session=db_session, request_id=request_id)
    stored = repository.get_certificate(db_session=db_session, request_id=request.id)
    if stored is None:
        raise NotFound("the request has no erasure certificate", code="certificate_not_found")
    document: dict[str, Any] = json.loads(stored.document)
    size = checkpointed_size(db_session=db_session)
    index = int(stored.audit_event_id.removeprefix("evt_"), 16)
    if size <= index:
        return document
    checkpoint = next(
        (cp for _, cp in audit.external_checkpoints() if cp is not None and cp.tree_size == size),
        None,
    )
    if checkpoint is None:
        return document
    inclusion = audit.inclusion(
        db_session=db_session, event_id=stored.audit_event_id, tree_size=size
    )
    return with_proof(document, inclusion=inclusion, checkpoint=checkpoint)
