"""Consent notices, notice-checked grants, stored origins and receipts on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privault.consent import (
    ConsentAction,
    ConsentEvent,
    ConsentNotice,
    current_consent,
    find_notice,
    grant_consent,
    has_objected,
    issue_receipt,
    latest_receipt,
    list_notices,
    origin_pseudonym,
    publish_notice,
    record_consent,
    verify_receipt,
    withdraw_consent,
)
from privault.consent.rules import text_sha256
from privault.datamap import DataMap, parse_datamap, starter_datamap_text
from privault.db import Database, upgrade
from privault.errors import Conflict, InvalidInput, NotFound

DATAMAP: DataMap = parse_datamap(starter_datamap_text())
T0 = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
EN = "# Marketing\n\nWe send offers by e-mail.\n"
DE = "# Marketing\n\nWir senden Angebote per E-Mail.\n"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A database migrated to the current schema."""
    opened = Database(database_url)
    upgrade(opened.engine)
    try:
        yield opened
    finally:
        opened.dispose()


@pytest.fixture
def db_session(database: Database) -> Iterator[Session]:
    """A session committed at the end of the test."""
    with database.session() as session:
        yield session


def publish(db_session: Session, **kwargs: Any) -> ConsentNotice:
    """Publish with test defaults."""
    arguments: dict[str, Any] = {
        "purpose": "marketing", "version": "2024-05", "language": "en", "text": EN, "at": T0,
        "actor": "operator:test", **kwargs,
    }  # fmt: skip
    return publish_notice(db_session=db_session, datamap=DATAMAP, **arguments).notice


def find(db_session: Session, **kwargs: Any) -> ConsentNotice:
    """Find with the default language en."""
    return find_notice(
        db_session=db_session, datamap=DATAMAP, purpose="marketing", default_language="en", **kwargs
    )


class TestPublish:
    """Notices are published per purpose, version and language, and never change."""

    def test_published_notice_keeps_text_and_hash(self, db_session: Session) -> None:
        """The stored text is the one given, with its SHA-256 and publisher."""
        notice = publish(db_session)
        assert (notice.purpose, notice.version, notice.language) == ("marketing", "2024-05", "en")
        assert (notice.text, notice.sha256) == (EN, text_sha256(EN))
        assert notice.published_by == "operator:test"

    def test_same_text_again_is_a_no_op(self, db_session: Session) -> None:
        """Publishing the identical text twice stores one row and says it was not created."""
        publish(db_session)
        again = publish_notice(
            db_session=db_session, datamap=DATAMAP, purpose="marketing", version="2024-05",
            language="EN", text=EN, at=T0 + timedelta(days=1), actor="operator:other",
        )  # fmt: skip
        assert again.created is False
        assert again.notice.published_at == T0
        assert db_session.scalar(select(func.count()).select_from(ConsentNotice)) == 1

    def test_changed_text_under_a_published_version_is_refused(self, db_session: Session) -> None:
        """A published notice is immutable: a change must be a new version."""
        publish(db_session)
        with pytest.raises(Conflict) as caught:
            publish(db_session, text=EN + "And by post.\n")
        assert caught.value.code == "notice_published"
        assert find(db_session).text == EN

    def test_new_version_and_translation_are_accepted(self, db_session: Session) -> None:
        """A new version, and another language of a version, are new texts."""
        publish(db_session)
        publish(db_session, language="de", text=DE)
        publish(db_session, version="2024-09", text=EN + "v2\n", at=T0 + timedelta(days=90))
        assert [(n.version, n.language) for n in list_notices(db_session=db_session,
                datamap=DATAMAP, purpose="marketing")] == [
            ("2024-05", "en"), ("2024-05", "de"), ("2024-09", "en"),
        ]  # fmt: skip

    def test_bad_input_is_refused_and_nothing_is_stored(self, db_session: Session) -> None:
        """Unknown purpose, bad version, language or text: InvalidInput, no row."""
        cases: list[tuple[dict[str, Any], str]] = [
            ({"purpose": "telepathy"}, "unknown_purpose"),
            ({"version": "a/b"}, "invalid_notice_version"),
            ({"language": "english_US"}, "invalid_language"),
            ({"text": ""}, "invalid_notice_text"),
            ({"text": "x\x00y"}, "invalid_notice_text"),
        ]
        for change, code in cases:
            with pytest.raises(InvalidInput) as caught:
                publish(db_session, **change)
            assert caught.value.code == code
        assert db_session.scalar(select(func.count()).select_from(ConsentNotice)) == 0


class TestFind:
    """The latest version, or a named one, in the language asked for or a fallback."""

    def test_latest_is_the_version_published_last(self, db_session: Session) -> None:
        """A translation of an old version added later does not make that version the latest."""
        publish(db_session)
        publish(db_session, version="2024-09", text="v2", at=T0 + timedelta(days=90))
        publish(db_session, language="de", text=DE, at=T0 + timedelta(days=120))
        assert find(db_session).version == "2024-09"
        assert find(db_session, version="2024-05", language="de").text == DE

    def test_language_falls_back_to_less_specific_then_default(self, db_session: Session) -> None:
        """de-AT finds de; fr falls back to the default en."""
        publish(db_session)
        publish(db_session, language="de", text=DE)
        assert find(db_session, language="de-at").language == "de"
        assert find(db_session, language="fr").language == "en"
        assert find(db_session).language == "en"

    def test_nothing_published_is_not_found(self, db_session: Session) -> None:
        """No notice, an unknown version, or no text in any fallback: NotFound."""
        with pytest.raises(NotFound):
            find(db_session)
        publish(db_session, language="de", text=DE)
        with pytest.raises(NotFound):
            find(db_session, version="1999")
        with pytest.raises(NotFound):
            find(db_session, language="fr")

    def test_unknown_purpose_is_refused(self, db_session: Session) -> None:
        """A purpose not in the data map is InvalidInput, not NotFound."""
        with pytest.raises(InvalidInput):
            find_notice(
                db_session=db_session, datamap=DATAMAP, purpose="telepathy", default_language="en"
            )


def record(db_session: Session, **kwargs: Any) -> Any:
    """record_consent with test defaults (a grant of marketing)."""
    arguments: dict[str, Any] = {
        "subject_id": "C-1", "purpose": "marketing", "action": ConsentAction.GRANT,
        "source": "web", "at": T0, **kwargs,
    }  # fmt: skip
    return record_consent(db_session=db_session, datamap=DATAMAP, **arguments)


class TestGrantNamesAPublishedNotice:
    """When a purpose has published notices, a grant names one of them."""

    def test_without_published_notices_any_version_is_kept(self, db_session: Session) -> None:
        """The minimal ledger's behaviour stays: the version is kept as given."""
        recorded = record(db_session, notice_version="shop's own v7")
        assert recorded.event.notice_version == "shop's own v7"
        assert recorded.event.notice_language is None
        assert recorded.notice_sha256 is None

    def test_published_version_is_recorded_with_language_and_hash(
        self, db_session: Session
    ) -> None:
        """A published version is kept with its language (default en) and text hash."""
        publish(db_session)
        publish(db_session, language="de", text=DE)
        english = record(db_session, notice_version="2024-05")
        assert (english.event.notice_language, english.notice_sha256) == ("en", text_sha256(EN))
        german = record(db_session, notice_version="2024-05", notice_language="de")
        assert (german.event.notice_language, german.notice_sha256) == ("de", text_sha256(DE))

    def test_unpublished_version_or_language_is_refused(self, db_session: Session) -> None:
        """A version or language not published for the purpose is refused; nothing recorded."""
        publish(db_session)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"notice_version": "2099-01"}, "notice_not_published"),
            ({"notice_version": "2024-05", "notice_language": "fr"}, "notice_not_published"),
            ({"notice_version": "2024-05", "notice_language": "??"}, "invalid_language"),
            ({"notice_language": "en"}, "notice_version_required"),
        ]
        for change, code in cases:
            with pytest.raises(InvalidInput) as caught:
                record(db_session, **change)
            assert caught.value.code == code
        assert db_session.scalar(select(func.count()).select_from(ConsentEvent)) == 0

    def test_notices_of_another_purpose_do_not_count(self, db_session: Session) -> None:
        """Analytics has no notices: any version is still kept for it."""
        publish(db_session)
        assert record(db_session, purpose="analytics", notice_version="x").event.notice_version

    def test_grant_without_a_version_is_still_allowed(self, db_session: Session) -> None:
        """Naming a notice stays optional (documented in docs/consent.md)."""
        publish(db_session)
        assert record(db_session).event.notice_version is None


class TestStoredFacts:
    """Events keep the legal basis at the time and only a pseudonym of the origin."""

    def test_event_keeps_legal_basis_and_origin_pseudonym(self, db_session: Session) -> None:
        """The basis comes from the data map; the origin is the keyed pseudonym given."""
        origin = origin_pseudonym(bytes(32), "203.0.113.9")
        recorded = record(db_session, purpose="fraud_prevention", origin=origin)
        stored = db_session.get(ConsentEvent, recorded.event.id)
        assert stored is not None
        assert (stored.legal_basis, stored.origin) == ("legitimate_interest", origin)

    def test_raw_address_is_refused_by_the_ledger(self, db_session: Session) -> None:
        """A caller handing the address itself gets InvalidInput; nothing is recorded."""
        with pytest.raises(InvalidInput):
            grant_consent(
                db_session=db_session, datamap=DATAMAP, subject_id="C-1", purpose="marketing",
                source="web", at=T0, origin="203.0.113.9",
            )  # fmt: skip
        assert db_session.scalar(select(func.count()).select_from(ConsentEvent)) == 0

    def test_objection_is_the_latest_withdrawal(self, db_session: Session) -> None:
        """has_objected follows the latest decision: withdraw, then grant again."""
        assert not has_objected(db_session=db_session, subject_id="C-1", purpose="fraud_prevention")
        withdraw_consent(
            db_session=db_session, datamap=DATAMAP, subject_id="C-1", purpose="fraud_prevention",
            source="api", at=T0,
        )  # fmt: skip
        assert has_objected(db_session=db_session, subject_id="C-1", purpose="fraud_prevention")
        assert not has_objected(db_session=db_session, subject_id="C-2", purpose="fraud_prevention")
        grant_consent(
            db_session=db_session, datamap=DATAMAP, subject_id="C-1", purpose="fraud_prevention",
            source="api", at=T0 + timedelta(hours=1),
        )  # fmt: skip
        assert not has_objected(db_session=db_session, subject_id="C-1", purpose="fraud_prevention")


class TestReceipts:
    """Every event has a signed receipt; the latest one is the state's."""

    def test_receipt_of_the_latest_event_verifies(self, db_session: Session) -> None:
        """The latest receipt states the latest decision with its notice hash."""
        publish(db_session)
        record(db_session, notice_version="2024-05")
        record(db_session, action=ConsentAction.WITHDRAW, at=T0 + timedelta(days=1))
        document = latest_receipt(
            db_session=db_session, subject_id="C-1", purpose="marketing", signing_key=KEY,
            controller=None,
        )  # fmt: skip
        assert verify_receipt(document, KEY.public_key())
        assert document["receipt"]["action"] == "withdraw"
        state = current_consent(db_session=db_session, subject_id="C-1", purpose="marketing")
        assert state is not None
        assert state.granted is False

    def test_reissued_receipt_is_identical_and_looks_up_the_hash(self, db_session: Session) -> None:
        """Fetched later, the receipt is byte-identical and quotes the notice's hash."""
        publish(db_session)
        recorded = record(db_session, notice_version="2024-05")
        first = issue_receipt(
            db_session=db_session, event=recorded.event, signing_key=KEY, controller="Shop",
            notice_sha256=recorded.notice_sha256,
        )  # fmt: skip
        again = latest_receipt(
            db_session=db_session, subject_id="C-1", purpose="marketing", signing_key=KEY,
            controller="Shop",
        )  # fmt: skip
        assert first == again
        assert again["receipt"]["notice"]["sha256"] == text_sha256(EN)

    def test_late_import_does_not_become_the_latest_receipt(self, db_session: Session) -> None:
        """An event dated earlier than the newest one is not the latest."""
        record(db_session, at=T0 + timedelta(days=2))
        record(db_session, action=ConsentAction.WITHDRAW, source="import", at=T0)
        document = latest_receipt(
            db_session=db_session, subject_id="C-1", purpose="marketing", signing_key=KEY,
            controller=None,
        )  # fmt: skip
        assert document["receipt"]["action"] == "grant"

    def test_no_decision_no_receipt(self, db_session: Session) -> None:
        """NotFound for a customer who never decided."""
        with pytest.raises(NotFound):
            latest_receipt(
                db_session=db_session, subject_id="C-9", purpose="marketing", signing_key=KEY,
                controller=None,
            )  # fmt: skip


class TestConcurrentPublishing:
    """Two operators publishing at once end with one text per version and language."""

    def test_racing_publications_store_one_text(self, database: Database) -> None:
        """Same text twice at once: one row; different texts: one wins, the other Conflict."""
        texts = [EN, EN, EN + "other\n", EN + "third\n"]
        barrier = threading.Barrier(len(texts))
        outcomes: list[str] = []

        def publish_one(text: str) -> None:
            barrier.wait()
            try:
                with database.session() as db_session:
                    published = publish_notice(
                        db_session=db_session, datamap=DATAMAP, purpose="marketing",
                        version="2024-05", language="en", text=text, at=T0, actor="op",
                    )  # fmt: skip
                    outcomes.append("created" if published.created else "same")
            except Conflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=publish_one, args=(text,)) for text in texts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with database.session() as db_session:
            stored = list_notices(db_session=db_session, datamap=DATAMAP)
        assert len(stored) == 1
        assert outcomes.count("created") == 1
        winner = stored[0].text
        assert outcomes.count("same") == texts.count(winner) - 1
        assert outcomes.count("conflict") == len(texts) - texts.count(winner)

    def test_failed_grant_leaves_the_transaction_usable(self, database: Database) -> None:
        """A refused grant writes nothing; the same transaction goes on and commits."""
        with database.session() as db_session:
            publish(db_session)
            with pytest.raises(InvalidInput):
                record(db_session, notice_version="9.9")
            record(db_session, notice_version="2024-05")
        with database.session() as db_session:
            events = db_session.scalars(select(ConsentEvent)).all()
        assert [event.notice_version for event in events] == ["2024-05"]
