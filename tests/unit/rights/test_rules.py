"""Request rules: the transition table, deadlines per regime, extensions, GPC. No database."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.errors import Conflict, InvalidInput
from privault.rights import rules
from privault.rights.rules import Regime, RequestState, RequestType

S = RequestState
OPEN = [S.RECEIVED, S.IDENTITY_VERIFIED, S.IN_PROGRESS]
# The oracle for the transition table, written out pair by pair rather than derived.
ALLOWED = {
    (S.RECEIVED, S.IDENTITY_VERIFIED),
    (S.RECEIVED, S.DENIED),
    (S.IDENTITY_VERIFIED, S.IN_PROGRESS),
    (S.IDENTITY_VERIFIED, S.DENIED),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.DENIED),
}

aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)


def at(text: str) -> datetime:
    """An aware UTC datetime from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestTransitions:
    """A request moves only along the table; a denial needs a reason."""

    @pytest.mark.parametrize("current", list(S))
    @pytest.mark.parametrize("target", list(S))
    @pytest.mark.parametrize("kind", [RequestType.ACCESS, RequestType.ERASURE])
    def test_every_pair_follows_the_table(
        self, current: RequestState, target: RequestState, kind: RequestType
    ) -> None:
        """Exactly the listed pairs are allowed; everything else is a Conflict."""
        reason = "customer withdrew the request" if target is S.DENIED else None
        if (current, target) in ALLOWED:
            rules.check_transition(request_type=kind, current=current, target=target, reason=reason)
        else:
            with pytest.raises(Conflict) as caught:
                rules.check_transition(
                    request_type=kind, current=current, target=target, reason=reason
                )
            assert caught.value.code == "invalid_transition"

    def test_opt_out_may_skip_identity_verification(self) -> None:
        """An opt-out of sale/sharing goes from received to in progress (CCPA Regs 7026(d))."""
        rules.check_transition(
            request_type=RequestType.OPT_OUT, current=S.RECEIVED, target=S.IN_PROGRESS
        )

    @pytest.mark.parametrize("kind", [k for k in RequestType if k is not RequestType.OPT_OUT])
    def test_other_types_may_not_skip_verification(self, kind: RequestType) -> None:
        """Every other type needs identity verified before work starts."""
        with pytest.raises(Conflict):
            rules.check_transition(request_type=kind, current=S.RECEIVED, target=S.IN_PROGRESS)

    @pytest.mark.parametrize("state", [S.COMPLETED, S.DENIED])
    def test_closed_states_never_move(self, state: RequestState) -> None:
        """Completed and denied requests are final."""
        assert rules.TRANSITIONS[state] == frozenset()
        assert not rules.is_open(state)

    @pytest.mark.parametrize("state", OPEN)
    @pytest.mark.parametrize("reason", [None, "", "   ", 42, "a\nb", "x" * 501, "tab\there"])
    def test_denial_without_a_proper_reason_is_refused(
        self, state: RequestState, reason: Any
    ) -> None:
        """No reason, a blank one, a multi-line one or an overlong one is refused."""
        with pytest.raises(InvalidInput):
            rules.check_transition(
                request_type=RequestType.ACCESS, current=state, target=S.DENIED, reason=reason
            )

    def test_denial_reason_is_returned_stripped(self) -> None:
        """The reason to record is the one given, without surrounding blanks."""
        recorded = rules.check_transition(
            request_type=RequestType.ACCESS,
            current=S.RECEIVED,
            target=S.DENIED,
            reason="  manifestly unfounded  ",
        )
        assert recorded == "manifestly unfounded"

    def test_open_states_are_those_that_can_move(self) -> None:
        """OPEN_STATES is exactly the three states before an answer."""
        assert frozenset(OPEN) == rules.OPEN_STATES


class TestAddMonths:
    """Calendar months: same day of month, or the month's last day when it is shorter."""

    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            ("2025-01-31T10:00:00", 1, "2025-02-28T10:00:00"),
            ("2024-01-31T10:00:00", 1, "2024-02-29T10:00:00"),  # leap year
            ("2024-03-31T00:00:00", 1, "2024-04-30T00:00:00"),
            ("2024-12-15T23:59:59", 1, "2025-01-15T23:59:59"),  # year boundary
            ("2024-11-30T08:00:00", 3, "2025-02-28T08:00:00"),
            ("2024-02-29T12:00:00", 12, "2025-02-28T12:00:00"),
            ("2024-05-17T09:30:00", 0, "2024-05-17T09:30:00"),
        ],
    )
    def test_known_dates(self, start: str, months: int, expected: str) -> None:
        """Worked examples, including month ends and leap years."""
        assert rules.add_months(at(start), months) == at(expected)

    @given(moment=aware, months=st.integers(min_value=0, max_value=36))
    def test_properties(self, moment: datetime, months: int) -> None:
        """Lands in the right month, keeps the time, clamps the day to the month's length."""
        result = rules.add_months(moment, months)
        total = moment.year * 12 + moment.month - 1 + months
        assert result.year * 12 + result.month - 1 == total
        assert result.time() == moment.time()
        assert result.tzinfo == moment.tzinfo
        last = calendar.monthrange(result.year, result.month)[1]
        assert result.day == min(moment.day, last)
        assert result >= moment

    def test_negative_months_are_refused(self) -> None:
        """Deadlines never go back in time."""
        with pytest.raises(InvalidInput):
            rules.add_months(at("2024-01-01T00:00:00"), -1)

    def test_out_of_range_is_invalid_input(self) -> None:
        """A date past year 9999 is a clear error, not an OverflowError."""
        with pytest.raises(InvalidInput):
            rules.add_months(datetime(9999, 12, 1, tzinfo=UTC), 1)


class TestBusinessDays:
    """Business days skip Saturdays and Sundays (public holidays are not known)."""

    @pytest.mark.parametrize(
        ("start", "expected"),
        [
            ("2024-05-06T09:00:00", "2024-05-20T09:00:00"),  # Monday -> Monday two weeks on
            ("2024-05-10T09:00:00", "2024-05-24T09:00:00"),  # Friday -> Friday two weeks on
            ("2024-05-11T09:00:00", "2024-05-24T09:00:00"),  # Saturday: Monday is day 1
            ("2024-05-12T23:00:00", "2024-05-24T23:00:00"),  # Sunday
            ("2024-12-23T12:00:00", "2025-01-06T12:00:00"),  # holidays count as business days
        ],
    )
    def test_ten_business_days(self, start: str, expected: str) -> None:
        """Worked examples of the CCPA confirmation window."""
        assert rules.add_business_days(at(start), 10) == at(expected)

    @given(moment=aware, days=st.integers(min_value=0, max_value=300))
    def test_properties(self, moment: datetime, days: int) -> None:
        """Exactly ``days`` weekdays lie in (start, result], and the result is a weekday."""
        result = rules.add_business_days(moment, days)
        assert result.time() == moment.time()
        span = (result.date() - moment.date()).days
        weekdays = sum(
            1 for offset in range(1, span + 1) if (moment + timedelta(days=offset)).weekday() < 5
        )
        assert weekdays == days
        if days:
            assert result.weekday() < 5

    def test_negative_days_are_refused(self) -> None:
        """A negative count is bad input."""
        with pytest.raises(InvalidInput):
            rules.add_business_days(at("2024-05-06T09:00:00"), -1)


class TestDeadlines:
    """Response, extension and confirmation deadlines per regime."""

    def test_gdpr_is_one_calendar_month(self) -> None:
        """31 January -> 28 February (29 in a leap year)."""
        assert rules.response_due(regime=Regime.GDPR, received_at=at("2025-01-31T14:00:00")) == at(
            "2025-02-28T14:00:00"
        )
        assert rules.response_due(regime=Regime.GDPR, received_at=at("2024-01-31T14:00:00")) == at(
            "2024-02-29T14:00:00"
        )

    def test_gdpr_extension_is_two_more_months_from_receipt(self) -> None:
        """Three calendar months from receipt in all (31 Jan -> 30 Apr)."""
        assert rules.extended_due(regime=Regime.GDPR, received_at=at("2025-01-31T14:00:00")) == at(
            "2025-04-30T14:00:00"
        )

    def test_ccpa_is_45_days_then_90(self) -> None:
        """45 calendar days, and 90 after the one extension."""
        received = at("2024-05-17T09:30:00")
        assert rules.response_due(regime=Regime.CCPA, received_at=received) == at(
            "2024-07-01T09:30:00"
        )
        assert rules.extended_due(regime=Regime.CCPA, received_at=received) == at(
            "2024-08-15T09:30:00"
        )

    def test_confirmation_is_ccpa_only(self) -> None:
        """CCPA: 10 business days; GDPR sets no separate confirmation step."""
        received = at("2024-05-17T09:30:00")  # a Friday
        assert rules.confirmation_due(regime=Regime.CCPA, received_at=received) == at(
            "2024-05-31T09:30:00"
        )
        assert rules.confirmation_due(regime=Regime.GDPR, received_at=received) is None

    def test_other_time_zones_are_converted_to_utc(self) -> None:
        """A receipt in UTC+02:00 gives the deadline at the same instant, in UTC."""
        received = datetime(2025, 1, 31, 1, 0, tzinfo=timezone(timedelta(hours=2)))
        due = rules.response_due(regime=Regime.GDPR, received_at=received)
        assert due == datetime(2025, 2, 28, 23, 0, tzinfo=UTC)

    @pytest.mark.parametrize("bad", [datetime(2024, 5, 17), "2024-05-17", None, date(2024, 5, 17)])
    def test_naive_or_wrong_times_are_refused(self, bad: Any) -> None:
        """Naive datetimes, strings, dates and None are InvalidInput."""
        for function in (rules.response_due, rules.extended_due, rules.confirmation_due):
            with pytest.raises(InvalidInput):
                function(regime=Regime.GDPR, received_at=bad)

    @given(received=aware, regime=st.sampled_from(list(Regime)))
    def test_order_of_deadlines(self, received: datetime, regime: Regime) -> None:
        """receipt < confirmation <= response < extended response, for every receipt time."""
        due = rules.response_due(regime=regime, received_at=received)
        extended = rules.extended_due(regime=regime, received_at=received)
        assert received < due < extended
        confirm = rules.confirmation_due(regime=regime, received_at=received)
        if regime is Regime.CCPA:
            assert confirm is not None
            assert received < confirm <= due
            assert due - received == timedelta(days=45)
            assert extended - due == timedelta(days=45)
        else:
            assert confirm is None
            assert 28 <= (due - received).days <= 31
            assert 89 <= (extended - received).days <= 92


class TestExtension:
    """Once, with a reason, within the first period, on an open request."""

    received = at("2025-01-31T14:00:00")

    def extend(self, **overrides: Any) -> tuple[datetime, str]:
        """check_extension with passing defaults."""
        arguments: dict[str, Any] = {
            "regime": Regime.GDPR,
            "state": S.IN_PROGRESS,
            "received_at": self.received,
            "already_extended": False,
            "at": at("2025-02-10T00:00:00"),
            "reason": "complex request across many systems",
        }
        return rules.check_extension(**{**arguments, **overrides})

    def test_gdpr_extension_within_the_first_month(self) -> None:
        """Allowed before the first month ends; the new due date is three months on."""
        due, reason = self.extend()
        assert due == at("2025-04-30T14:00:00")
        assert reason == "complex request across many systems"

    def test_gdpr_extension_after_the_first_month_is_refused(self) -> None:
        """At or after the original due time it is too late."""
        for moment in (at("2025-02-28T14:00:00"), at("2025-03-15T00:00:00")):
            with pytest.raises(Conflict) as caught:
                self.extend(at=moment)
            assert caught.value.code == "extension_too_late"
        self.extend(at=at("2025-02-28T13:59:59"))

    def test_ccpa_extension_within_45_days(self) -> None:
        """CCPA: allowed before day 45, giving 90 days from receipt; refused after."""
        due, _ = self.extend(regime=Regime.CCPA, at=self.received + timedelta(days=44))
        assert due == self.received + timedelta(days=90)
        with pytest.raises(Conflict):
            self.extend(regime=Regime.CCPA, at=self.received + timedelta(days=45))

    def test_only_once(self) -> None:
        """A second extension is refused."""
        with pytest.raises(Conflict) as caught:
            self.extend(already_extended=True)
        assert caught.value.code == "already_extended"

    @pytest.mark.parametrize("reason", [None, "", "  ", "two\nlines", "x" * 501, 7])
    def test_reason_is_mandatory(self, reason: Any) -> None:
        """No recorded reason, no extension."""
        with pytest.raises(InvalidInput):
            self.extend(reason=reason)

    @pytest.mark.parametrize("state", [S.COMPLETED, S.DENIED])
    def test_closed_requests_cannot_be_extended(self, state: RequestState) -> None:
        """A closed request has no deadline left to extend."""
        with pytest.raises(Conflict):
            self.extend(state=state)

    @given(
        received=aware,
        regime=st.sampled_from(list(Regime)),
        offset=st.integers(min_value=0, max_value=200 * 86_400),
    )
    def test_allowed_exactly_before_the_first_deadline(
        self, received: datetime, regime: Regime, offset: int
    ) -> None:
        """For any receipt and time, allowed iff the time is before the unextended deadline."""
        moment = received + timedelta(seconds=offset)
        first = rules.response_due(regime=regime, received_at=received)
        arguments: dict[str, Any] = {
            "regime": regime,
            "state": S.RECEIVED,
            "received_at": received,
            "already_extended": False,
            "at": moment,
            "reason": "needs more time",
        }
        if moment < first:
            due, _ = rules.check_extension(**arguments)
            assert due == rules.extended_due(regime=regime, received_at=received)
        else:
            with pytest.raises(Conflict):
                rules.check_extension(**arguments)


class TestNearDeadline:
    """Past or within the look-ahead."""

    def test_boundaries(self) -> None:
        """Due exactly at now + within counts; a second later does not."""
        now = at("2024-05-17T09:30:00")
        within = timedelta(days=7)
        assert rules.deadline_passed_or_near(due_at=now - timedelta(days=1), now=now, within=within)
        assert rules.deadline_passed_or_near(due_at=now + within, now=now, within=within)
        assert not rules.deadline_passed_or_near(
            due_at=now + within + timedelta(seconds=1), now=now, within=within
        )

    def test_negative_within_is_refused(self) -> None:
        """A negative look-ahead is bad input."""
        now = at("2024-05-17T09:30:00")
        with pytest.raises(InvalidInput):
            rules.deadline_passed_or_near(due_at=now, now=now, within=timedelta(seconds=-1))


class TestGpcSignal:
    """Only ``Sec-GPC: 1`` exactly is a signal."""

    @pytest.mark.parametrize(
        "headers",
        [
            {"Sec-GPC": "1"},
            {"sec-gpc": "1"},
            {"SEC-GPC": " 1\t"},  # optional whitespace is not part of the value
            [("sec-gpc", "1"), ("accept", "*/*")],
            [(b"sec-gpc", b"1")],
            [("sec-gpc", "1"), ("Sec-GPC", "1")],
        ],
    )
    def test_signal(self, headers: Any) -> None:
        """The field, in any case, with the value 1."""
        assert rules.gpc_signal(headers)

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Sec-GPC": "0"},
            {"Sec-GPC": ""},
            {"Sec-GPC": "true"},
            {"Sec-GPC": "01"},
            {"Sec-GPC": "1.0"},
            {"Sec-GPC": "1, 1"},
            {"Sec-GPC": "１"},  # fullwidth digit one
            {"Sec-GPC-Extra": "1"},
            {"DNT": "1"},
            [("sec-gpc", "1"), ("sec-gpc", "0")],  # contradicting repeats
            {"Sec-GPC": "1\n"},
        ],
    )
    def test_no_signal(self, headers: Any) -> None:
        """Anything else is no signal."""
        assert not rules.gpc_signal(headers)

    @given(value=st.text(max_size=8))
    def test_only_the_single_digit_one(self, value: str) -> None:
        """For any value, a signal iff it is "1" once spaces and tabs around it are removed."""
        assert rules.gpc_signal({"Sec-GPC": value}) == (value.strip(" \t") == "1")
