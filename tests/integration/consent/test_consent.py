"""The consent ledger and restrictions on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privault.consent import (
    ConsentChange,
    ConsentEvent,
    ConsentEventRead,
    ConsentRead,
    ConsentSource,
    ConsentState,
    SubjectRestriction,
    consent_history,
    consented_purposes,
    current_consent,
    forget_subject,
    get_restriction,
    grant_consent,
    is_restricted,
    lift_restriction,
    restrict_processing,
    withdraw_consent,
)
from privault.datamap import DataMap, parse_datamap, starter_datamap_text
from privault.db import Database, upgrade
from privault.errors import InvalidInput

DATAMAP: DataMap = parse_datamap(starter_datamap_text())
T0 = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
SUBJECT = "C-1001"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A database migrated to the current schema (consent tables from migration 0002)."""
    opened = Database(database_url)
    upgrade(opened.engine)
    try:
        yield opened
    finally:
        opened.dispose()


@pytest.fixture
def db_session(database: Database) -> Iterator[Session]:
    """A session committed at the end of the test, as the request scope would."""
    with database.session() as session:
        yield session


def grant(db_session: Session, purpose: str = "marketing", **kwargs: Any) -> ConsentState:
    """Grant with test defaults."""
    arguments: dict[str, Any] = {"subject_id": SUBJECT, "source": "web", "at": T0, **kwargs}
    return grant_consent(db_session=db_session, datamap=DATAMAP, purpose=purpose, **arguments)


def withdraw(db_session: Session, purpose: str = "marketing", **kwargs: Any) -> ConsentState:
    """Withdraw with test defaults."""
    arguments: dict[str, Any] = {"subject_id": SUBJECT, "source": "web", "at": T0, **kwargs}
    return withdraw_consent(db_session=db_session, datamap=DATAMAP, purpose=purpose, **arguments)


def count(db_session: Session, model: type[Any]) -> int:
    """Rows in a table."""
    return int(db_session.scalar(select(func.count()).select_from(model)) or 0)


class TestGrantAndWithdraw:
    """Grants and withdrawals move the current state and are kept in the history."""

    def test_grant_records_the_state(self, db_session: Session) -> None:
        """After a grant the state is granted, with its source, notice version and time."""
        state = grant(db_session, notice_version="2024-05")
        assert (state.subject_id, state.purpose, state.granted) == (SUBJECT, "marketing", True)
        assert (state.source, state.notice_version, state.updated_at) == ("web", "2024-05", T0)

    def test_withdraw_after_grant_withdraws(self, db_session: Session) -> None:
        """A later withdrawal makes the state not granted."""
        grant(db_session)
        state = withdraw(db_session, at=T0 + timedelta(days=1), source="gpc")
        assert state.granted is False
        assert state.source == "gpc"
        current = current_consent(db_session=db_session, subject_id=SUBJECT, purpose="marketing")
        assert current is not None
        assert current.granted is False

    def test_withdraw_without_grant_is_recorded(self, db_session: Session) -> None:
        """A withdrawal with no earlier grant still records a not-granted state and an event."""
        state = withdraw(db_session, source="gpc")
        assert state.granted is False
        assert [e.action for e in consent_history(db_session=db_session, subject_id=SUBJECT)] == [
            "withdraw"
        ]

    def test_no_consent_recorded_is_none(self, db_session: Session) -> None:
        """current_consent is None for a purpose never recorded."""
        grant(db_session, purpose="analytics")
        assert (
            current_consent(db_session=db_session, subject_id=SUBJECT, purpose="marketing") is None
        )
        assert current_consent(db_session=db_session, subject_id="C-2", purpose="analytics") is None

    def test_consents_are_per_subject_and_purpose(self, db_session: Session) -> None:
        """Granting marketing to one customer grants nothing else."""
        grant(db_session, purpose="marketing")
        withdraw(db_session, purpose="analytics")
        grant(db_session, purpose="analytics", subject_id="C-2")
        assert consented_purposes(
            db_session=db_session, subject_id=SUBJECT, purposes=["marketing", "analytics"]
        ) == {"marketing"}
        assert consented_purposes(
            db_session=db_session, subject_id="C-2", purposes=["marketing", "analytics"]
        ) == {"analytics"}

    def test_consented_purposes_ignores_purposes_not_asked(self, db_session: Session) -> None:
        """Only the purposes asked about are answered; none asked, none answered."""
        grant(db_session, purpose="marketing")
        grant(db_session, purpose="analytics")
        assert consented_purposes(
            db_session=db_session, subject_id=SUBJECT, purposes=["analytics", "unknown"]
        ) == {"analytics"}
        assert consented_purposes(db_session=db_session, subject_id=SUBJECT, purposes=[]) == set()

    def test_history_lists_every_event_oldest_first(self, db_session: Session) -> None:
        """The history keeps grants and withdrawals in time order, with their details."""
        grant(db_session, at=T0, notice_version="v1")
        withdraw(db_session, at=T0 + timedelta(hours=2), source="api")
        grant(db_session, at=T0 + timedelta(hours=1), source="import", notice_version="v2")
        history = consent_history(db_session=db_session, subject_id=SUBJECT)
        assert [(e.action, e.source, e.notice_version) for e in history] == [
            ("grant", "web", "v1"),
            ("grant", "import", "v2"),
            ("withdraw", "api", None),
        ]
        assert all(e.id.startswith("cev_") for e in history)

    def test_a_late_arriving_older_event_does_not_override_a_newer_state(
        self, db_session: Session
    ) -> None:
        """A grant dated before a recorded withdrawal is kept, but the state stays withdrawn."""
        withdraw(db_session, at=T0 + timedelta(days=1))
        state = grant(db_session, at=T0, source="import")
        assert state.granted is False
        assert len(consent_history(db_session=db_session, subject_id=SUBJECT)) == 2

    def test_times_in_other_zones_are_stored_as_utc(self, db_session: Session) -> None:
        """An aware time in another zone comes back as the same instant in UTC."""
        at = datetime(2024, 5, 17, 11, 30, tzinfo=timezone(timedelta(hours=2)))
        state = grant(db_session, at=at)
        db_session.commit()
        db_session.expire_all()
        current = current_consent(db_session=db_session, subject_id=SUBJECT, purpose="marketing")
        assert current is not None
        assert current.updated_at == T0
        assert current.updated_at.tzinfo == UTC
        assert state.updated_at == T0


class TestIdempotence:
    """Repeating a decision records it again and leaves the state as it is."""

    def test_granting_twice_keeps_granted_and_records_two_events(self, db_session: Session) -> None:
        """Two grants: two events, one granted state with the newest details."""
        grant(db_session, notice_version="v1")
        state = grant(db_session, at=T0 + timedelta(minutes=5), notice_version="v2")
        assert state.granted is True
        assert state.notice_version == "v2"
        assert len(consent_history(db_session=db_session, subject_id=SUBJECT)) == 2
        assert count(db_session, ConsentState) == 1

    def test_withdrawing_twice_keeps_withdrawn(self, db_session: Session) -> None:
        """Two withdrawals: still withdrawn, two events."""
        withdraw(db_session)
        state = withdraw(db_session, at=T0 + timedelta(minutes=5))
        assert state.granted is False
        assert count(db_session, ConsentEvent) == 2


class TestBadInput:
    """Malformed and hostile input is refused and leaves nothing written."""

    @pytest.mark.parametrize(
        "purpose", ["profiling", "Marketing", "marketing ", "", "x" * 10_000, "marketing\x00"]
    )
    def test_an_undeclared_purpose_is_refused(self, db_session: Session, purpose: str) -> None:
        """A purpose not in the data map is refused, not echoed, and nothing is stored."""
        with pytest.raises(InvalidInput) as caught:
            grant(db_session, purpose=purpose)
        assert caught.value.code == "unknown_purpose"
        assert purpose not in str(caught.value) or purpose == ""
        assert count(db_session, ConsentEvent) == 0
        assert count(db_session, ConsentState) == 0

    @pytest.mark.parametrize("source", ["email", "", "WEB", None, 3])
    def test_an_unknown_source_is_refused(self, db_session: Session, source: object) -> None:
        """Only web, api, import, gpc and cli are sources."""
        with pytest.raises(InvalidInput) as caught:
            grant(db_session, source=source)
        assert caught.value.code == "invalid_source"
        assert count(db_session, ConsentEvent) == 0

    @pytest.mark.parametrize("subject_id", ["", "x" * 256, "C-1\n", "C\x00", None])
    def test_a_bad_subject_id_is_refused(self, db_session: Session, subject_id: object) -> None:
        """Empty, over-long or control-character customer ids are refused."""
        with pytest.raises(InvalidInput) as caught:
            grant(db_session, subject_id=subject_id)
        assert caught.value.code == "invalid_subject_id"
        assert count(db_session, ConsentEvent) == 0

    def test_the_longest_subject_id_is_accepted(self, db_session: Session) -> None:
        """255 characters fit, including non-ASCII ones."""
        subject_id = "é" * 255
        assert grant(db_session, subject_id=subject_id).subject_id == subject_id

    @pytest.mark.parametrize("notice_version", ["", "v" * 65, "v1\nv2", 12])
    def test_a_bad_notice_version_is_refused(
        self, db_session: Session, notice_version: object
    ) -> None:
        """Notice versions are 1 to 64 characters on one line."""
        with pytest.raises(InvalidInput) as caught:
            grant(db_session, notice_version=notice_version)
        assert caught.value.code == "invalid_notice_version"

    @pytest.mark.parametrize("at", [datetime(2024, 5, 17, 9, 30), "2024-05-17T09:30:00Z", None])
    def test_a_naive_or_missing_time_is_refused(self, db_session: Session, at: object) -> None:
        """Times must be aware datetimes."""
        with pytest.raises(InvalidInput) as caught:
            grant(db_session, at=at)
        assert caught.value.code == "invalid_time"
        assert count(db_session, ConsentEvent) == 0


class TestRestriction:
    """Restricting processing of a customer, and lifting it."""

    def test_restriction_on_and_off(self, db_session: Session) -> None:
        """restrict_processing makes is_restricted true; lift_restriction makes it false."""
        assert is_restricted(db_session=db_session, subject_id=SUBJECT) is False
        restriction = restrict_processing(
            db_session=db_session,
            subject_id=SUBJECT,
            reason="accuracy contested (Art. 18(1)(a))",
            at=T0,
        )
        assert (restriction.subject_id, restriction.since) == (SUBJECT, T0)
        assert is_restricted(db_session=db_session, subject_id=SUBJECT) is True
        assert is_restricted(db_session=db_session, subject_id="C-2") is False
        assert lift_restriction(db_session=db_session, subject_id=SUBJECT) is True
        assert is_restricted(db_session=db_session, subject_id=SUBJECT) is False

    def test_lifting_an_absent_restriction_says_so(self, db_session: Session) -> None:
        """Lifting when nothing is restricted returns False and changes nothing."""
        assert lift_restriction(db_session=db_session, subject_id=SUBJECT) is False

    def test_restricting_again_keeps_the_start_and_takes_the_new_reason(
        self, db_session: Session
    ) -> None:
        """A second restriction updates the reason, not the date it began."""
        restrict_processing(db_session=db_session, subject_id=SUBJECT, reason="first", at=T0)
        restrict_processing(
            db_session=db_session, subject_id=SUBJECT, reason="second", at=T0 + timedelta(days=3)
        )
        restriction = get_restriction(db_session=db_session, subject_id=SUBJECT)
        assert restriction is not None
        assert (restriction.reason, restriction.since) == ("second", T0)
        assert count(db_session, SubjectRestriction) == 1

    @pytest.mark.parametrize(
        "reason",
        [
            "customer ada@example.com disputes data",
            "called from +44 20 7946 0958",
            "card 4111 1111 1111 1111 was stolen",
        ],
    )
    def test_a_reason_with_personal_data_is_refused(self, db_session: Session, reason: str) -> None:
        """The leak detectors refuse a reason holding an email, phone or card number."""
        with pytest.raises(InvalidInput) as caught:
            restrict_processing(db_session=db_session, subject_id=SUBJECT, reason=reason, at=T0)
        assert caught.value.code == "reason_contains_personal_data"
        assert reason not in str(caught.value)
        assert is_restricted(db_session=db_session, subject_id=SUBJECT) is False

    @pytest.mark.parametrize("reason", ["", "   ", "r" * 501, "two\nlines", None])
    def test_a_malformed_reason_is_refused(self, db_session: Session, reason: object) -> None:
        """Reasons are 1 to 500 characters on one line."""
        with pytest.raises(InvalidInput) as caught:
            restrict_processing(db_session=db_session, subject_id=SUBJECT, reason=reason, at=T0)  # type: ignore[arg-type]
        assert caught.value.code == "invalid_reason"


class TestForgetSubject:
    """Erasure removes the customer's consent records and nobody else's."""

    def test_forget_deletes_events_states_and_restriction(self, db_session: Session) -> None:
        """After forget_subject nothing of the customer is left in the consent tables."""
        grant(db_session)
        withdraw(db_session, purpose="analytics")
        restrict_processing(db_session=db_session, subject_id=SUBJECT, reason="objection", at=T0)
        grant(db_session, subject_id="C-2")
        restrict_processing(db_session=db_session, subject_id="C-2", reason="objection", at=T0)
        forget_subject(db_session=db_session, subject_id=SUBJECT)
        assert consent_history(db_session=db_session, subject_id=SUBJECT) == []
        assert (
            current_consent(db_session=db_session, subject_id=SUBJECT, purpose="marketing") is None
        )
        assert is_restricted(db_session=db_session, subject_id=SUBJECT) is False
        assert len(consent_history(db_session=db_session, subject_id="C-2")) == 1
        assert is_restricted(db_session=db_session, subject_id="C-2") is True

    def test_forgetting_an_unknown_subject_is_harmless(self, db_session: Session) -> None:
        """Erasure of a customer without consent records succeeds."""
        forget_subject(db_session=db_session, subject_id="C-unknown")
        assert count(db_session, ConsentEvent) == 0


class TestConcurrency:
    """Two sessions writing the same customer and purpose at once."""

    def _in_thread(self, database: Database, action: Any) -> threading.Thread:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with database.session() as other:
                    action(other)
            except BaseException as exc:  # reported by the caller's assertion
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.errors = errors  # type: ignore[attr-defined]
        thread.start()
        return thread

    def test_concurrent_first_grants_both_land(self, database: Database) -> None:
        """Two sessions granting a new customer at once: no key clash, two events, one state."""
        with database.session() as first:
            grant(first, at=T0)
            thread = self._in_thread(database, lambda s: grant(s, at=T0 + timedelta(seconds=1)))
            # Give the second session time to reach the database and wait on the first's lock.
            thread.join(timeout=0.3)
            # Still running: the second writer waits for the first's uncommitted state row.
            assert thread.is_alive()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert thread.errors == []  # type: ignore[attr-defined]
        with database.session() as check:
            state = current_consent(db_session=check, subject_id=SUBJECT, purpose="marketing")
            assert state is not None
            assert state.granted is True
            assert state.updated_at == T0 + timedelta(seconds=1)
            assert len(consent_history(db_session=check, subject_id=SUBJECT)) == 2
            assert count(check, ConsentState) == 1

    def test_the_latest_decision_wins_whatever_the_commit_order(self, database: Database) -> None:
        """A withdrawal committed first and an older grant committed second: still withdrawn."""
        with database.session() as first:
            withdraw(first, at=T0 + timedelta(seconds=5))
            thread = self._in_thread(database, lambda s: grant(s, at=T0))
            thread.join(timeout=0.3)
            # Still running: the second writer waits for the first's uncommitted state row.
            assert thread.is_alive()
        thread.join(timeout=30)
        assert thread.errors == []  # type: ignore[attr-defined]
        with database.session() as check:
            state = current_consent(db_session=check, subject_id=SUBJECT, purpose="marketing")
            assert state is not None
            assert state.granted is False
            assert len(consent_history(db_session=check, subject_id=SUBJECT)) == 2


class TestSchemas:
    """The pydantic models the HTTP layer uses."""

    def test_consent_change_defaults_to_the_api_source(self) -> None:
        """An empty body is a grant from the API without a notice version."""
        change = ConsentChange.model_validate({})
        assert (change.source, change.notice_version) == (ConsentSource.API, None)

    @pytest.mark.parametrize(
        "body",
        [
            {"source": "email"},
            {"notice_version": ""},
            {"notice_version": "v" * 65},
            {"notice_version": "v1\nv2"},
            {"source": "web", "granted": True},
            {"source": ["web"]},
        ],
    )
    def test_consent_change_refuses_bad_bodies(self, body: dict[str, Any]) -> None:
        """Unknown sources, bad notice versions and unknown keys are refused."""
        with pytest.raises(ValidationError):
            ConsentChange.model_validate(body)

    def test_consent_read_is_built_from_a_state(self, db_session: Session) -> None:
        """ConsentRead reads the stored state as it is."""
        state = grant(db_session, notice_version="2024-05")
        read = ConsentRead.model_validate(state)
        assert read.model_dump() == {
            "subject_id": SUBJECT,
            "purpose": "marketing",
            "granted": True,
            "source": ConsentSource.WEB,
            "notice_version": "2024-05",
            "updated_at": T0,
        }

    def test_consent_event_read_is_built_from_an_event(self, db_session: Session) -> None:
        """ConsentEventRead reads a history entry."""
        grant(db_session)
        (event,) = consent_history(db_session=db_session, subject_id=SUBJECT)
        read = ConsentEventRead.model_validate(event)
        assert (read.action, read.at, read.id) == ("grant", T0, event.id)

    def test_the_schemas_document_every_field(self) -> None:
        """Every field of ConsentRead and ConsentChange has a description and an example."""
        for model in (ConsentRead, ConsentChange, ConsentEventRead):
            for name, prop in model.model_json_schema()["properties"].items():
                assert prop.get("description"), f"{model.__name__}.{name}"
                assert prop.get("examples"), f"{model.__name__}.{name}"
