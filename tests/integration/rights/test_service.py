"""Data-subject requests on a real database (SQLite and PostgreSQL), with explicit times."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privault.audit.models import AuditEvent
from privault.config import RightsSettings
from privault.consent import current_consent, grant_consent
from privault.errors import Conflict, InvalidInput, NotFound, PrivaultError
from privault.rights import (
    CODE_HASH_LABEL,
    CodeCheck,
    RightsRequest,
    RightsRequestEvent,
    VerificationCode,
    apply_gpc,
    approve,
    callback_sender,
    check_code,
    complete,
    confirm_receipt,
    deny,
    extend,
    get_request,
    list_requests,
    open_request,
    overdue,
    request_history,
    send_code,
    verify_identity,
)
from privault.vault import Vault

T0 = datetime(2025, 1, 31, 14, 0, tzinfo=UTC)  # a Friday
SUBJECT = "C-1001"
ACTOR = "operator:test"


def opened(vault: Vault, **kwargs: Any) -> RightsRequest:
    """Open a request with test defaults in its own transaction."""
    arguments: dict[str, Any] = {
        "subject_id": SUBJECT,
        "request_type": "access",
        "regime": "gdpr",
        "at": T0,
        "actor": ACTOR,
        **kwargs,
    }
    with vault.session() as db_session:
        return open_request(db_session=db_session, audit=vault.audit, **arguments).request


def step(vault: Vault, action: Any, request_id: str, **kwargs: Any) -> RightsRequest:
    """Run one service step in its own transaction."""
    arguments: dict[str, Any] = {"at": T0 + timedelta(days=1), "actor": ACTOR, **kwargs}
    with vault.session() as db_session:
        result: RightsRequest = action(
            db_session=db_session, audit=vault.audit, request_id=request_id, **arguments
        )
        return result


def count(vault: Vault, model: type[Any]) -> int:
    """Rows in a table."""
    with vault.session() as db_session:
        return int(db_session.scalar(select(func.count()).select_from(model)) or 0)


def operations(vault: Vault) -> list[str]:
    """Audit operations of the rights workflow, in log order."""
    with vault.session() as db_session:
        rows = db_session.scalars(
            select(AuditEvent.operation)
            .where(AuditEvent.operation.like("rights.%"))
            .order_by(AuditEvent.leaf_index)
        )
        return list(rows)


class TestOpen:
    """Opening a request: deadlines, history, audit, deduplication."""

    def test_gdpr_request_is_due_one_calendar_month_later(self, vault: Vault) -> None:
        """Received 31 Jan -> due 28 Feb; no confirmation step under GDPR."""
        request = opened(vault)
        assert request.state == "received"
        assert request.due_at == datetime(2025, 2, 28, 14, 0, tzinfo=UTC)
        assert request.confirm_by is None

    def test_ccpa_request_has_45_days_and_a_confirmation_deadline(self, vault: Vault) -> None:
        """45 days to answer; receipt confirmed within 10 business days."""
        request = opened(vault, regime="ccpa")
        assert request.due_at == T0 + timedelta(days=45)
        assert request.confirm_by == datetime(2025, 2, 14, 14, 0, tzinfo=UTC)

    def test_history_and_audit_name_no_customer(self, vault: Vault) -> None:
        """A received event is recorded; the audit event carries a pseudonym, never the id."""
        request = opened(vault)
        with vault.session() as db_session:
            events = request_history(db_session=db_session, request_id=request.id)
            audited = db_session.scalars(
                select(AuditEvent).where(AuditEvent.operation == "rights.open")
            ).one()
        assert [(e.action, e.to_state, e.actor) for e in events] == [
            ("received", "received", ACTOR)
        ]
        assert audited.subject == vault.audit.pseudonym(SUBJECT)
        assert SUBJECT not in (audited.detail or "")
        assert SUBJECT not in audited.subject

    def test_same_customer_and_type_is_deduplicated(self, vault: Vault) -> None:
        """A second request while one is open returns the open one and writes no new request."""
        first = opened(vault)
        with vault.session() as db_session:
            again = open_request(
                db_session=db_session,
                audit=vault.audit,
                subject_id=SUBJECT,
                request_type="access",
                regime="gdpr",
                at=T0 + timedelta(days=3),
                actor=ACTOR,
            )
        assert not again.created
        assert again.request.id == first.id
        assert again.request.received_at == T0  # the first receipt's deadline stands
        assert count(vault, RightsRequest) == 1
        assert operations(vault) == ["rights.open", "rights.open"]

    def test_other_type_or_customer_is_a_new_request(self, vault: Vault) -> None:
        """Deduplication is per customer and type."""
        first = opened(vault)
        assert opened(vault, request_type="erasure").id != first.id
        assert opened(vault, subject_id="C-1002").id != first.id
        assert count(vault, RightsRequest) == 3

    def test_closed_request_does_not_block_a_new_one(self, vault: Vault) -> None:
        """After a denial, the customer may ask again."""
        first = opened(vault)
        step(vault, deny, first.id, reason="could not verify identity")
        second = opened(vault)
        assert second.id != first.id
        assert second.state == "received"

    def test_concurrent_opens_make_one_request(self, vault: Vault) -> None:
        """Eight writers racing on one customer and type leave exactly one open request."""
        results: list[str] = []
        failures: list[BaseException] = []
        barrier = threading.Barrier(8)

        def worker() -> None:
            try:
                barrier.wait()
                results.append(opened(vault).id)
            except BaseException as exc:  # collected and asserted on below
                failures.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(set(results)) == 1
        assert count(vault, RightsRequest) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("request_type", "delete_everything"),
            ("request_type", None),
            ("regime", "lgpd"),
            ("subject_id", ""),
            ("subject_id", "x" * 256),
            ("subject_id", "C-1\n001"),
            ("subject_id", 1001),
            ("at", datetime(2025, 1, 31, 14, 0)),
            ("at", "2025-01-31"),
        ],
    )
    def test_bad_input_is_refused_and_writes_nothing(
        self, vault: Vault, field: str, value: object
    ) -> None:
        """Unknown types and regimes, bad ids and naive times: InvalidInput, no rows."""
        with pytest.raises(InvalidInput):
            opened(vault, **{field: value})
        assert count(vault, RightsRequest) == 0
        assert count(vault, RightsRequestEvent) == 0


class TestLifecycle:
    """received -> identity_verified -> in_progress -> completed, or denied with a reason."""

    def test_full_lifecycle_is_recorded_and_audited(self, vault: Vault) -> None:
        """Each transition leaves one event (who, when, from, to) and one audit event."""
        request = opened(vault)
        step(vault, verify_identity, request.id, method="session")
        step(vault, approve, request.id, at=T0 + timedelta(days=2))
        done = step(vault, complete, request.id, at=T0 + timedelta(days=3))
        assert done.state == "completed"
        assert done.closed_at == T0 + timedelta(days=3)
        assert done.verified_by == "session"
        with vault.session() as db_session:
            events = request_history(db_session=db_session, request_id=request.id)
        assert [(e.from_state, e.to_state) for e in events] == [
            (None, "received"),
            ("received", "identity_verified"),
            ("identity_verified", "in_progress"),
            ("in_progress", "completed"),
        ]
        assert [e.at for e in events] == [T0, *(T0 + timedelta(days=d) for d in (1, 2, 3))]
        assert [e.seq for e in events] == [1, 2, 3, 4]
        assert operations(vault) == [
            "rights.open",
            "rights.identity_verified",
            "rights.in_progress",
            "rights.completed",
        ]

    def test_skipping_verification_is_a_conflict_and_changes_nothing(self, vault: Vault) -> None:
        """An access request cannot start before identity is verified."""
        request = opened(vault)
        with pytest.raises(Conflict):
            step(vault, approve, request.id)
        with vault.session() as db_session:
            assert get_request(db_session=db_session, request_id=request.id).state == "received"
        assert count(vault, RightsRequestEvent) == 1
        assert operations(vault) == ["rights.open"]

    def test_opt_out_needs_no_verification(self, vault: Vault) -> None:
        """An opt-out of sale/sharing goes straight to work."""
        request = opened(vault, request_type="opt_out", regime="ccpa")
        assert step(vault, approve, request.id).state == "in_progress"

    def test_closed_requests_never_move(self, vault: Vault) -> None:
        """A completed request cannot be denied, reopened or extended."""
        request = opened(vault, request_type="opt_out")
        step(vault, approve, request.id)
        step(vault, complete, request.id)
        for action, extra in ((deny, {"reason": "late"}), (approve, {}), (complete, {})):
            with pytest.raises(Conflict):
                step(vault, action, request.id, **extra)
        with pytest.raises(Conflict):
            step(vault, extend, request.id, reason="more time")

    def test_denial_keeps_its_reason(self, vault: Vault) -> None:
        """The reason is in the history; the audit event does not repeat it."""
        request = opened(vault)
        denied = step(vault, deny, request.id, reason="  manifestly unfounded  ")
        assert denied.state == "denied"
        assert denied.closed_at is not None
        with vault.session() as db_session:
            last = request_history(db_session=db_session, request_id=request.id)[-1]
            audited = db_session.scalars(
                select(AuditEvent).where(AuditEvent.operation == "rights.denied")
            ).one()
        assert last.reason == "manifestly unfounded"
        assert "unfounded" not in (audited.detail or "")

    @pytest.mark.parametrize("reason", ["", "   ", "a\nb", "x" * 501])
    def test_denial_without_reason_is_refused(self, vault: Vault, reason: str) -> None:
        """A denial needs a reason on one line."""
        request = opened(vault)
        with pytest.raises(InvalidInput):
            step(vault, deny, request.id, reason=reason)
        assert count(vault, RightsRequestEvent) == 1

    def test_reason_with_personal_data_is_refused(self, vault: Vault) -> None:
        """Reasons are stored in the history: an email address in one is refused."""
        request = opened(vault)
        with pytest.raises(InvalidInput) as caught:
            step(vault, deny, request.id, reason="asked by ada.lovelace@example.com twice")
        assert caught.value.code == "reason_contains_personal_data"
        assert "ada" not in caught.value.message

    def test_operator_verification_needs_a_reason(self, vault: Vault) -> None:
        """An operator's own check is recorded with how it was done."""
        request = opened(vault)
        with pytest.raises(InvalidInput):
            step(vault, verify_identity, request.id, method="operator")
        with pytest.raises(InvalidInput):
            step(vault, verify_identity, request.id, method="code")
        verified = step(
            vault, verify_identity, request.id, method="operator", reason="called back on file"
        )
        assert verified.verified_by == "operator"

    @pytest.mark.parametrize("request_id", ["dsr_nope", "", "x" * 500])
    def test_unknown_request_is_not_found(self, vault: Vault, request_id: str) -> None:
        """Steps and reads on a missing request are NotFound."""
        with pytest.raises(NotFound):
            step(vault, approve, request_id)
        with vault.session() as db_session, pytest.raises(NotFound):
            request_history(db_session=db_session, request_id=request_id)

    def test_earlier_events_are_never_rewritten(self, vault: Vault) -> None:
        """The history is append-only: later steps leave earlier rows exactly as they were."""
        request = opened(vault)
        step(vault, verify_identity, request.id, method="session")

        def snapshot() -> list[tuple[object, ...]]:
            with vault.session() as db_session:
                return [
                    (e.seq, e.at, e.actor, e.action, e.from_state, e.to_state, e.reason)
                    for e in request_history(db_session=db_session, request_id=request.id)
                ]

        before = snapshot()
        step(vault, approve, request.id)
        step(vault, extend, request.id, reason="complex request")
        step(vault, complete, request.id)
        assert snapshot()[: len(before)] == before

    def test_list_filters(self, vault: Vault) -> None:
        """List by state, type and customer; bad filters are refused."""
        a = opened(vault)
        b = opened(vault, request_type="erasure")
        step(vault, deny, b.id, reason="duplicate of another channel")
        with vault.session() as db_session:
            assert [r.id for r in list_requests(db_session=db_session)] == [a.id, b.id]
            assert [r.id for r in list_requests(db_session=db_session, state="denied")] == [b.id]
            assert [r.id for r in list_requests(db_session=db_session, request_type="access")] == [
                a.id
            ]
            assert list_requests(db_session=db_session, subject_id="C-9") == []
            assert [r.id for r in list_requests(db_session=db_session, after=a.id)] == [b.id]
            for bad in ({"state": "open"}, {"request_type": "x"}, {"limit": 0}):
                with pytest.raises(InvalidInput):
                    list_requests(db_session=db_session, **bad)


class TestExtension:
    """Once, with a reason, within the first period."""

    def test_gdpr_extension_moves_the_deadline_to_three_months(self, vault: Vault) -> None:
        """Received 31 Jan, extended in February: due 30 April; the reason is recorded."""
        request = opened(vault)
        extended = step(vault, extend, request.id, reason="many systems to search")
        assert extended.due_at == datetime(2025, 4, 30, 14, 0, tzinfo=UTC)
        assert extended.extended_at == T0 + timedelta(days=1)
        with vault.session() as db_session:
            last = request_history(db_session=db_session, request_id=request.id)[-1]
        assert (last.action, last.reason) == ("extended", "many systems to search")
        with pytest.raises(Conflict):
            step(vault, extend, request.id, reason="again")

    def test_gdpr_extension_after_the_first_month_is_refused(self, vault: Vault) -> None:
        """On 28 Feb at 14:00 the first month is over."""
        request = opened(vault)
        with pytest.raises(Conflict):
            step(vault, extend, request.id, reason="late", at=datetime(2025, 2, 28, 14, tzinfo=UTC))
        assert count(vault, RightsRequestEvent) == 1

    def test_ccpa_extension_is_45_more_days(self, vault: Vault) -> None:
        """CCPA: 90 days from receipt in all."""
        request = opened(vault, regime="ccpa")
        extended = step(vault, extend, request.id, reason="needs records from a vendor")
        assert extended.due_at == T0 + timedelta(days=90)

    def test_extension_without_reason_is_refused(self, vault: Vault) -> None:
        """No reason, no extension."""
        request = opened(vault)
        with pytest.raises(InvalidInput):
            step(vault, extend, request.id, reason=" ")


class TestOverdue:
    """Requests past or near their answer or confirmation deadline."""

    def test_lists_past_and_near_deadlines_only_for_open_requests(self, vault: Vault) -> None:
        """GDPR due 28 Feb: listed from 21 Feb with 7 days' look-ahead; closed ones never."""
        due_soon = opened(vault)
        closed = opened(vault, subject_id="C-2")
        step(vault, deny, closed.id, reason="not a customer of this shop")
        with vault.session() as db_session:
            early = overdue(
                db_session=db_session,
                now=datetime(2025, 2, 20, tzinfo=UTC),
                within=timedelta(days=7),
            )
            near = overdue(
                db_session=db_session,
                now=datetime(2025, 2, 22, tzinfo=UTC),
                within=timedelta(days=7),
            )
            late = overdue(db_session=db_session, now=datetime(2025, 3, 1, tzinfo=UTC))
        assert early == []
        assert [(i.request.id, i.deadline, i.overdue) for i in near] == [
            (due_soon.id, "response", False)
        ]
        assert [(i.request.id, i.overdue) for i in late] == [(due_soon.id, True)]

    def test_ccpa_confirmation_is_listed_until_confirmed(self, vault: Vault) -> None:
        """The 10-business-day confirmation shows up, and goes once receipt is confirmed."""
        request = opened(vault, regime="ccpa")
        now = datetime(2025, 2, 15, tzinfo=UTC)  # past the 14 Feb confirmation deadline
        with vault.session() as db_session:
            items = overdue(db_session=db_session, now=now)
        assert [(i.deadline, i.due_at, i.overdue) for i in items] == [
            ("confirmation", datetime(2025, 2, 14, 14, tzinfo=UTC), True)
        ]
        step(vault, confirm_receipt, request.id)
        step(vault, confirm_receipt, request.id)  # again: a no-op
        with vault.session() as db_session:
            assert overdue(db_session=db_session, now=now) == []
            events = request_history(db_session=db_session, request_id=request.id)
        assert [e.action for e in events].count("confirmed") == 1

    def test_extension_takes_a_request_off_the_list(self, vault: Vault) -> None:
        """After an extension the new deadline counts."""
        request = opened(vault)
        step(vault, extend, request.id, reason="complex")
        with vault.session() as db_session:
            assert overdue(db_session=db_session, now=datetime(2025, 3, 1, tzinfo=UTC)) == []

    def test_bad_arguments(self, vault: Vault) -> None:
        """A naive now or a negative look-ahead is refused."""
        with vault.session() as db_session:
            with pytest.raises(InvalidInput):
                overdue(db_session=db_session, now=datetime(2025, 3, 1))
            with pytest.raises(InvalidInput):
                overdue(db_session=db_session, now=T0, within=timedelta(days=-1))


class Outbox:
    """A capturing code sender: what the customer would receive."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, datetime]] = []

    def deliver(self, request_id: str, subject_id: str, code: str, expires_at: datetime) -> None:
        """Keep the message."""
        self.sent.append((request_id, subject_id, code, expires_at))

    @property
    def last_code(self) -> str:
        """The newest code sent."""
        return self.sent[-1][2]


class TestCodes:
    """One-time codes: only a hash stored, lifetime and attempts limited."""

    limits = RightsSettings(code_ttl_s=600, code_max_attempts=3, codes_per_request=2)

    def send(self, vault: Vault, outbox: Outbox, request_id: str, at: datetime = T0) -> datetime:
        """Send a code in its own transaction."""
        with vault.session() as db_session:
            return send_code(
                db_session=db_session,
                audit=vault.audit,
                sender=callback_sender(outbox.deliver),
                hash_key=vault.keys.derived.derive(CODE_HASH_LABEL),
                settings=self.limits,
                request_id=request_id,
                at=at,
                actor=ACTOR,
            )

    def check(self, vault: Vault, request_id: str, code: str, at: datetime = T0) -> CodeCheck:
        """Check a code in its own (committed) transaction."""
        with vault.session() as db_session:
            return check_code(
                db_session=db_session,
                audit=vault.audit,
                hash_key=vault.keys.derived.derive(CODE_HASH_LABEL),
                settings=self.limits,
                request_id=request_id,
                code=code,
                at=at,
                actor=ACTOR,
            )

    def stored(self, vault: Vault, request_id: str) -> VerificationCode | None:
        """The stored code row."""
        with vault.session() as db_session:
            return db_session.get(VerificationCode, request_id)

    def test_right_code_verifies_and_is_used_up(self, vault: Vault) -> None:
        """The code sent verifies the request; it cannot be used twice."""
        outbox = Outbox()
        request = opened(vault)
        expires = self.send(vault, outbox, request.id)
        assert expires == T0 + timedelta(seconds=600)
        assert outbox.sent[0][:2] == (request.id, SUBJECT)
        code = outbox.last_code
        assert len(code) == 6
        assert code.isdigit()
        stored = self.stored(vault, request.id)
        assert stored is not None
        assert code.encode() not in bytes(stored.code_hash)
        assert self.check(vault, request.id, f" {code} ") is CodeCheck.VERIFIED
        with vault.session() as db_session:
            verified = get_request(db_session=db_session, request_id=request.id)
        assert (verified.state, verified.verified_by) == ("identity_verified", "code")
        assert self.stored(vault, request.id) is None
        with pytest.raises(Conflict):
            self.check(vault, request.id, code)

    def test_wrong_codes_are_counted_and_burn_the_code(self, vault: Vault) -> None:
        """Three wrong attempts (committed each time) burn it: then even the right code fails."""
        outbox = Outbox()
        request = opened(vault)
        self.send(vault, outbox, request.id)
        wrong = "000000" if outbox.last_code != "000000" else "111111"
        assert self.check(vault, request.id, wrong) is CodeCheck.WRONG
        assert self.check(vault, request.id, "not digits") is CodeCheck.WRONG
        assert self.check(vault, request.id, wrong) is CodeCheck.EXHAUSTED
        assert self.check(vault, request.id, outbox.last_code) is CodeCheck.EXHAUSTED
        with vault.session() as db_session:
            actions = [
                e.action for e in request_history(db_session=db_session, request_id=request.id)
            ]
            assert get_request(db_session=db_session, request_id=request.id).state == "received"
        assert actions.count("code_failed") == 4

    def test_expired_code_fails(self, vault: Vault) -> None:
        """At the expiry time the code no longer works."""
        outbox = Outbox()
        request = opened(vault)
        self.send(vault, outbox, request.id)
        late = T0 + timedelta(seconds=600)
        assert self.check(vault, request.id, outbox.last_code, at=late) is CodeCheck.EXPIRED

    def test_a_new_code_replaces_the_old_and_sending_is_limited(self, vault: Vault) -> None:
        """The second code works and the first does not; a third may not be sent."""
        outbox = Outbox()
        request = opened(vault)
        self.send(vault, outbox, request.id)
        self.send(vault, outbox, request.id)
        first, second = outbox.sent[0][2], outbox.sent[1][2]
        with pytest.raises(Conflict):
            self.send(vault, outbox, request.id)
        if first != second:
            assert self.check(vault, request.id, first) is CodeCheck.WRONG
        assert self.check(vault, request.id, second) is CodeCheck.VERIFIED

    def test_a_code_works_only_for_its_own_request(self, vault: Vault) -> None:
        """Codes are bound to the request they were sent for."""
        outbox = Outbox()
        mine = opened(vault)
        other = opened(vault, subject_id="C-2")
        self.send(vault, outbox, mine.id)
        self.send(vault, outbox, other.id)
        code = outbox.sent[0][2]
        if code != outbox.sent[1][2]:
            assert self.check(vault, other.id, code) is CodeCheck.WRONG

    def test_no_code_sent_is_no_code(self, vault: Vault) -> None:
        """Checking before any code was sent is an answer, not a crash."""
        request = opened(vault)
        assert self.check(vault, request.id, "123456") is CodeCheck.NO_CODE

    def test_failing_delivery_stores_nothing(self, vault: Vault) -> None:
        """When the sender refuses, the transaction rolls back: no code row, no event."""

        def broken(request_id: str, subject_id: str, code: str, expires_at: datetime) -> None:
            raise Conflict("outbox full", code="outbox_full")

        request = opened(vault)
        with pytest.raises(PrivaultError), vault.session() as db_session:
            send_code(
                db_session=db_session,
                audit=vault.audit,
                sender=callback_sender(broken),
                hash_key=b"k" * 32,
                settings=self.limits,
                request_id=request.id,
                at=T0,
                actor=ACTOR,
            )
        assert self.stored(vault, request.id) is None
        assert count(vault, RightsRequestEvent) == 1

    @pytest.mark.parametrize("code", [None, 123456, "9" * 33])
    def test_malformed_code_is_invalid_input(self, vault: Vault, code: Any) -> None:
        """A code must be a short string."""
        request = opened(vault)
        with pytest.raises(InvalidInput):
            self.check(vault, request.id, code)

    def test_codes_only_for_received_requests(self, vault: Vault) -> None:
        """Once verified, no more codes are sent."""
        outbox = Outbox()
        request = opened(vault)
        step(vault, verify_identity, request.id, method="session")
        with pytest.raises(Conflict):
            self.send(vault, outbox, request.id)
        assert outbox.sent == []


class TestGpc:
    """``Sec-GPC: 1`` withdraws consent to sale-or-share purposes, with source gpc."""

    def apply(self, vault: Vault, headers: Any) -> list[str]:
        """apply_gpc in its own transaction."""
        with vault.session() as db_session:
            return apply_gpc(
                db_session=db_session,
                audit=vault.audit,
                datamap=vault.datamap,
                subject_id=SUBJECT,
                headers=headers,
                at=T0,
                actor=ACTOR,
            )

    def test_signal_opts_out_of_every_sale_or_share_purpose(self, vault: Vault) -> None:
        """The starter map marks marketing; analytics (consent, not shared) is untouched."""
        with vault.session() as db_session:
            for purpose in ("marketing", "analytics"):
                grant_consent(
                    db_session=db_session,
                    datamap=vault.datamap,
                    subject_id=SUBJECT,
                    purpose=purpose,
                    source="web",
                    at=T0 - timedelta(days=1),
                )
        assert self.apply(vault, {"Sec-GPC": "1"}) == ["marketing"]
        with vault.session() as db_session:
            marketing = current_consent(
                db_session=db_session, subject_id=SUBJECT, purpose="marketing"
            )
            analytics = current_consent(
                db_session=db_session, subject_id=SUBJECT, purpose="analytics"
            )
            audited = db_session.scalars(
                select(AuditEvent).where(AuditEvent.operation == "consent.withdraw")
            ).one()
        assert marketing is not None
        assert (marketing.granted, marketing.source) == (False, "gpc")
        assert analytics is not None
        assert analytics.granted
        assert audited.subject == vault.audit.pseudonym(SUBJECT)

    @pytest.mark.parametrize("headers", [{}, {"Sec-GPC": "0"}, {"Sec-GPC": "true"}])
    def test_no_signal_changes_nothing(self, vault: Vault, headers: dict[str, str]) -> None:
        """Without exactly ``Sec-GPC: 1`` no consent is touched."""
        assert self.apply(vault, headers) == []
        with vault.session() as db_session:
            assert (
                current_consent(db_session=db_session, subject_id=SUBJECT, purpose="marketing")
                is None
            )


def test_session_is_usable_after_a_deduplicated_open(vault: Vault) -> None:
    """The savepoint keeps the caller's transaction alive after the unique index refuses."""
    opened(vault)
    with vault.session() as db_session:
        again = open_request(
            db_session=db_session,
            audit=vault.audit,
            subject_id=SUBJECT,
            request_type="access",
            regime="gdpr",
            at=T0,
            actor=ACTOR,
        )
        other = open_request(
            db_session=db_session,
            audit=vault.audit,
            subject_id=SUBJECT,
            request_type="erasure",
            regime="gdpr",
            at=T0,
            actor=ACTOR,
        )
        assert not again.created
        assert other.created
        _assert_session_alive(db_session)
    assert count(vault, RightsRequest) == 2


def _assert_session_alive(db_session: Session) -> None:
    assert db_session.scalar(select(func.count()).select_from(RightsRequest)) == 2
