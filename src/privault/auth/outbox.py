"""Notifications through an outbox: written in the transaction of the change they report.

A message is a row of ``auth_outbox`` first, so it exists exactly when the change committed. A
sender delivers pending rows later (``deliver_pending``); with none configured they stay in the
database, where tests and operators read them (``messages_for``). Recipient and body are
sealed with AES-GCM: a password-reset message carries a single-use link, and a database copy
must not be enough to use it.
"""

from __future__ import annotations

import base64
import binascii
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.orm import Session

from privault.auth import repository
from privault.auth.keys import AuthKeys
from privault.auth.models import OutboxMessage
from privault.errors import IntegrityViolation, Unavailable


@dataclass(frozen=True)
class Notification:
    """A message to send, decrypted for the sender."""

    id: int
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


class Sender(Protocol):
    """Something that delivers a notification (SMTP, a test double)."""

    def send(self, message: Notification) -> None:
        """Deliver one message; raise Unavailable if it cannot be delivered now."""
        ...


class SmtpSender:
    """Delivers over SMTP with STARTTLS (certificate checked)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        mail_from: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._host, self._port, self._from = host, port, mail_from
        self._username, self._password, self._timeout = username, password, timeout_s

    def send(self, message: Notification) -> None:
        """Send one message."""
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = (
            self._from,
            message.recipient,
            message.subject,
        )
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.starttls(context=ssl.create_default_context())
                if self._username and self._password:
                    smtp.login(self._username, self._password)
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            # The exception text can echo the recipient; only its kind goes further.
            raise Unavailable(
                f"mail could not be sent ({type(exc).__name__})", code="smtp_failed"
            ) from None


def enqueue(
    *,
    db_session: Session,
    keys: AuthKeys,
    account_id: str,
    login_ciphertext: bytes,
    kind: str,
    subject: str,
    body: str,
    at: datetime,
) -> None:
    """Queue a notification to an account's address (re-sealed for the outbox row)."""
    enqueue_to(
        db_session=db_session,
        keys=keys,
        recipient=keys.open_login(account_id, login_ciphertext),
        kind=kind,
        subject=subject,
        body=body,
        at=at,
        account_id=account_id,
    )


def enqueue_to(
    *,
    db_session: Session,
    keys: AuthKeys,
    recipient: str,
    kind: str,
    subject: str,
    body: str,
    at: datetime,
    account_id: str | None = None,
) -> None:
    """Queue a notification to an address (a customer without an account, say), sealed."""
    message = OutboxMessage(
        account_id=account_id,
        kind=kind,
        recipient_ciphertext=keys.seal_outbox("recipient", recipient),
        subject=subject,
        body=base64.b64encode(keys.seal_outbox("body", body)).decode("ascii"),
        created_at=at,
        attempts=0,
    )
    db_session.add(message)
    db_session.flush()


def read(keys: AuthKeys, message: OutboxMessage) -> Notification:
    """Decrypt an outbox row for sending or inspection."""
    recipient = keys.open_outbox("recipient", message.recipient_ciphertext)
    try:
        sealed_body = base64.b64decode(message.body, validate=True)
    except (binascii.Error, ValueError):
        raise IntegrityViolation(
            "outbox message body is malformed", code="outbox_body_malformed"
        ) from None
    return Notification(
        id=message.id,
        kind=message.kind,
        recipient=recipient,
        subject=message.subject,
        body=keys.open_outbox("body", sealed_body),
        created_at=message.created_at,
        sent_at=message.sent_at,
    )


def messages_for(*, db_session: Session, keys: AuthKeys, account_id: str) -> list[Notification]:
    """Every notification queued for an account, oldest first."""
    rows = repository.messages_for(db_session=db_session, account_id=account_id)
    return [read(keys, row) for row in rows]


def deliver_pending(
    *, db_session: Session, keys: AuthKeys, sender: Sender, at: datetime, limit: int = 100
) -> tuple[int, int]:
    """Send pending messages; return (sent, failed). A failure stays pending for a retry."""
    sent = failed = 0
    for row in repository.pending_messages(db_session=db_session, limit=limit):
        row.attempts += 1
        try:
            sender.send(read(keys, row))
        except Unavailable:
            failed += 1
            continue
        row.sent_at = at
        sent += 1
    db_session.flush()
    return sent, failed
