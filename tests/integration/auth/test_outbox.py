"""The notification outbox: rows written with the change, delivered later by a sender."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from sqlalchemy import text

from privault.auth import (
    Authenticator,
    Notification,
    SmtpSender,
    deliver_pending,
    messages_for,
)
from privault.errors import Unavailable
from privault.vault import Vault

from .conftest import EMAIL, MovableClock
from .helpers import register


class RecordingSender:
    """A sender that keeps what it is given, failing the first ``fail`` calls."""

    def __init__(self, fail: int = 0) -> None:
        self.sent: list[Notification] = []
        self.fail = fail

    def send(self, message: Notification) -> None:
        """Keep the message, or fail."""
        if self.fail:
            self.fail -= 1
            raise Unavailable("mail server down", code="smtp_failed")
        self.sent.append(message)


def queue_one(auth: Authenticator, vault: Vault) -> str:
    """Make a registration-attempt notice for a new account; return the account id."""
    account_id = register(auth, vault)
    with vault.session() as db_session:
        auth.register(db_session=db_session, login=EMAIL, password="pewter lagoon 5530 ibex")
    return account_id


def test_pending_messages_are_delivered_once(
    auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """A delivered message is marked sent and not sent again."""
    account_id = queue_one(auth, vault)
    sender = RecordingSender()
    with vault.session() as db_session:
        assert deliver_pending(
            db_session=db_session, keys=auth.keys, sender=sender, at=clock.now()
        ) == (1, 0)
    with vault.session() as db_session:
        assert deliver_pending(
            db_session=db_session, keys=auth.keys, sender=sender, at=clock.now()
        ) == (0, 0)
        stored = messages_for(db_session=db_session, keys=auth.keys, account_id=account_id)
    assert [m.recipient for m in sender.sent] == [EMAIL]
    assert stored[0].sent_at == clock.now()


def test_failed_delivery_stays_pending(
    auth: Authenticator, vault: Vault, clock: MovableClock
) -> None:
    """A sender failure leaves the message for the next run."""
    queue_one(auth, vault)
    sender = RecordingSender(fail=1)
    with vault.session() as db_session:
        assert deliver_pending(
            db_session=db_session, keys=auth.keys, sender=sender, at=clock.now()
        ) == (0, 1)
    with vault.session() as db_session:
        assert deliver_pending(
            db_session=db_session, keys=auth.keys, sender=sender, at=clock.now()
        ) == (1, 0)


def test_recipient_is_stored_encrypted(auth: Authenticator, vault: Vault) -> None:
    """The outbox row holds no address in the clear."""
    queue_one(auth, vault)
    with vault.session() as db_session:
        rows = db_session.execute(text("SELECT * FROM auth_outbox")).all()
    assert EMAIL not in repr(rows)


class FakeSmtp:
    """Stands in for smtplib.SMTP."""

    instances: ClassVar[list[FakeSmtp]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port = host, port
        self.tls = False
        self.messages: list[EmailMessage] = []
        FakeSmtp.instances.append(self)

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def starttls(self, context: Any) -> None:
        self.tls = True

    def login(self, user: str, password: str) -> None:
        self.user = user

    def send_message(self, message: EmailMessage) -> None:
        if message["To"] == "down@example.com":
            raise OSError("connection reset by down@example.com")
        self.messages.append(message)


def test_smtp_sender_uses_starttls(monkeypatch: pytest.MonkeyPatch, clock: MovableClock) -> None:
    """Mail goes out over STARTTLS; an SMTP failure is Unavailable without the address."""
    monkeypatch.setattr("privault.auth.outbox.smtplib.SMTP", FakeSmtp)
    sender = SmtpSender(
        host="mail.example.com", port=587, mail_from="shop@example.com", username="u", password="p"
    )
    note = Notification(1, "password_changed", EMAIL, "Subject", "Body", clock.now(), None)
    sender.send(note)
    sent = FakeSmtp.instances[-1]
    assert sent.tls
    assert sent.messages[0]["To"] == EMAIL
    with pytest.raises(Unavailable) as caught:
        sender.send(Notification(2, "x", "down@example.com", "S", "B", clock.now(), None))
    assert "down@example.com" not in str(caught.value)
    assert caught.value.__cause__ is None
