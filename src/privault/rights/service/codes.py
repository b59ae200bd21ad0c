"""Identity verification by one-time code: send (through a CodeSender), check, limits.

Only a keyed hash of each code is stored, bound to its request. A wrong code is an answer
(``CodeCheck``), not an exception, so the caller commits the spent attempt before refusing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session

from privault.audit import AuditLog
from privault.config import RightsSettings
from privault.errors import Conflict, InvalidInput
from privault.rights import repository
from privault.rights import rules as r
from privault.rights.models import RequestAction, VerificationCode, VerificationMethod
from privault.rights.service._common import add_event, locked, log
from privault.rights.service.requests import move

CODE_HASH_LABEL = "rights-verification-code/v1"


class CodeSender(Protocol):
    """Delivers a one-time code to the customer (an outbox writes it in the same transaction)."""

    def __call__(
        self,
        *,
        db_session: Session,
        request_id: str,
        subject_id: str,
        code: str,
        expires_at: datetime,
    ) -> None:
        """Hand the code over for delivery; raise a PrivaultError when it cannot be."""
        ...


class CodeCheck(StrEnum):
    """The answer to a presented one-time code."""

    VERIFIED = "verified"
    WRONG = "wrong"  # an attempt is spent
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong attempts: the code is burned
    NO_CODE = "no_code"  # none was sent (or the last one was used)


def code_hash(*, hash_key: bytes, request_id: str, code: str) -> bytes:
    """The keyed hash stored for a code, bound to its request (a dump cannot be brute-forced)."""
    message = f"{request_id}:{code}".encode()
    return hmac.new(hash_key, message, hashlib.sha256).digest()


def send_code(
    *,
    db_session: Session,
    audit: AuditLog,
    sender: CodeSender,
    hash_key: bytes,
    settings: RightsSettings,
    request_id: str,
    at: datetime,
    actor: str,
) -> datetime:
    """Send a new one-time code (replacing any earlier one); return when it expires."""
    at = r.check_moment(at)
    request = locked(db_session, request_id)
    if request.state != r.RequestState.RECEIVED.value:
        raise Conflict("identity is verified only on a received request", code="not_awaiting_code")
    stored = repository.get_code(db_session=db_session, request_id=request.id)
    sent = stored.codes_sent if stored is not None else 0
    if sent >= settings.codes_per_request:
        raise Conflict("no more codes may be sent for this request", code="too_many_codes")
    code = f"{secrets.randbelow(10**settings.code_digits):0{settings.code_digits}d}"
    expires_at = at + timedelta(seconds=settings.code_ttl_s)
    repository.put_code(
        db_session=db_session,
        code=VerificationCode(
            request_id=request.id,
            code_hash=code_hash(hash_key=hash_key, request_id=request.id, code=code),
            expires_at=expires_at,
            attempts=0,
            codes_sent=sent + 1,
        ),
    )
    sender(
        db_session=db_session,
        request_id=request.id,
        subject_id=request.subject_id,
        code=code,
        expires_at=expires_at,
    )
    add_event(
        db_session=db_session, request=request, action=RequestAction.CODE_SENT, at=at, actor=actor
    )
    log(db_session=db_session, audit=audit, request=request, actor=actor, operation="code_sent")
    return expires_at


def check_code(
    *,
    db_session: Session,
    audit: AuditLog,
    hash_key: bytes,
    settings: RightsSettings,
    request_id: str,
    code: str,
    at: datetime,
    actor: str,
) -> CodeCheck:
    """Check a presented code; on success the request becomes identity-verified.

    A wrong code spends an attempt and is recorded; commit before refusing the caller.
    """
    at = r.check_moment(at)
    if not isinstance(code, str) or len(code) > 32:
        raise InvalidInput("a code is a short string of digits", code="invalid_code")
    request = locked(db_session, request_id)
    if request.state != r.RequestState.RECEIVED.value:
        raise Conflict("identity is verified only on a received request", code="not_awaiting_code")
    stored = repository.get_code(db_session=db_session, request_id=request.id)
    if stored is None:
        result = CodeCheck.NO_CODE
    elif stored.attempts >= settings.code_max_attempts:
        result = CodeCheck.EXHAUSTED
    elif at >= stored.expires_at:
        result = CodeCheck.EXPIRED
    else:
        presented = code_hash(hash_key=hash_key, request_id=request.id, code=code.strip())
        if hmac.compare_digest(presented, bytes(stored.code_hash)):
            repository.delete_code(db_session=db_session, code=stored)
            move(
                db_session=db_session,
                audit=audit,
                request_id=request.id,
                target=r.RequestState.IDENTITY_VERIFIED,
                at=at,
                actor=actor,
                method=VerificationMethod.CODE,
            )
            return CodeCheck.VERIFIED
        stored.attempts += 1
        result = (
            CodeCheck.EXHAUSTED
            if stored.attempts >= settings.code_max_attempts
            else CodeCheck.WRONG
        )
    add_event(
        db_session=db_session,
        request=request,
        action=RequestAction.CODE_FAILED,
        at=at,
        actor=actor,
        reason=result.value,
    )
    log(
        db_session=db_session,
        audit=audit,
        request=request,
        actor=actor,
        operation="code_check",
        outcome="denied",
        result=result.value,
    )
    db_session.flush()
    return result


def callback_sender(
    deliver: Callable[[str, str, str, datetime], None],
) -> CodeSender:
    """A CodeSender from a plain callable ``deliver(request_id, subject_id, code, expires_at)``."""

    def send(
        *,
        db_session: Session,
        request_id: str,
        subject_id: str,
        code: str,
        expires_at: datetime,
    ) -> None:
        del db_session  # the callable delivers outside the database
        deliver(request_id, subject_id, code, expires_at)

    return send
