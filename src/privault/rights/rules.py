"""Data-subject requests: types, states, transitions, deadlines per regime, GPC. Pure: no I/O.

Deadlines follow the law's own arithmetic:

- GDPR Art. 12(3): one month from receipt, in calendar months (31 January -> 28/29 February);
  extendable once by two further months, only with a recorded reason given within the first
  month.
- CCPA (Cal. Civ. Code 1798.130(a)(2), CCPA Regulations 7021): 45 calendar days from receipt,
  extendable once by 45 more with a recorded reason given within the first 45 days; receipt
  confirmed within 10 business days (Saturdays and Sundays skipped; public holidays are not
  known here and count as business days, which errs on the early side).

Every deadline keeps the time of day of the receipt (UTC): earlier than "end of that day",
never later.

A platform may promise a shorter deadline than the law: Shopify's mandatory privacy webhooks
must be acted on within 30 days of receipt (``SHOPIFY_DAYS``). Such a request keeps its
regime, and its answer is due at the earlier of the two (``earliest_due``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from privault.errors import Conflict, InvalidInput

REASON_LENGTH = 500
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class RequestType(StrEnum):
    """What the customer asks for."""

    ACCESS = "access"  # GDPR Art. 15 / CCPA right to know
    PORTABILITY = "portability"  # GDPR Art. 20
    ERASURE = "erasure"  # GDPR Art. 17 / CCPA right to delete
    RECTIFICATION = "rectification"  # GDPR Art. 16 / CCPA right to correct
    RESTRICTION = "restriction"  # GDPR Art. 18
    OBJECTION = "objection"  # GDPR Art. 21
    OPT_OUT = "opt_out"  # CCPA opt-out of sale or sharing


class RequestState(StrEnum):
    """Where a request is in its life."""

    RECEIVED = "received"
    IDENTITY_VERIFIED = "identity_verified"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DENIED = "denied"


class Regime(StrEnum):
    """The law whose deadlines apply."""

    GDPR = "gdpr"
    CCPA = "ccpa"


S = RequestState
# The only moves a request can make. Denial is possible from every open state; closed
# requests never move again.
TRANSITIONS: Mapping[RequestState, frozenset[RequestState]] = {
    S.RECEIVED: frozenset({S.IDENTITY_VERIFIED, S.DENIED}),
    S.IDENTITY_VERIFIED: frozenset({S.IN_PROGRESS, S.DENIED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.DENIED}),
    S.COMPLETED: frozenset(),
    S.DENIED: frozenset(),
}
# An opt-out of sale or sharing must not require identity verification (CCPA Regulations
# 7026(d)): it may go from received straight to in progress.
UNVERIFIED_START: frozenset[RequestType] = frozenset({RequestType.OPT_OUT})
OPEN_STATES: frozenset[RequestState] = frozenset(
    state for state, targets in TRANSITIONS.items() if targets
)

GDPR_MONTHS = 1
GDPR_EXTENSION_MONTHS = 2
CCPA_DAYS = 45
CCPA_EXTENSION_DAYS = 45
CCPA_CONFIRM_BUSINESS_DAYS = 10
SHOPIFY_DAYS = 30  # shopify.dev, "Privacy law compliance": act within 30 days of receipt


def allowed_targets(state: RequestState, request_type: RequestType) -> frozenset[RequestState]:
    """The states a request of this type may move to from ``state``."""
    targets = TRANSITIONS[state]
    if state is S.RECEIVED and request_type in UNVERIFIED_START:
        return targets | {S.IN_PROGRESS}
    return targets


def check_reason(reason: object, *, what: str = "reason") -> str:
    """A reason as recorded: 1 to 500 characters on one line, not blank; stripped."""
    if not isinstance(reason, str):
        raise InvalidInput(f"a {what} is required", code="reason_required")
    stripped = reason.strip()
    if not stripped:
        raise InvalidInput(f"a {what} is required", code="reason_required")
    if len(stripped) > REASON_LENGTH or CONTROL_CHARACTERS.search(stripped):
        raise InvalidInput(
            f"the {what} must be at most {REASON_LENGTH} characters on one line",
            code="invalid_reason",
        )
    return stripped


def check_transition(
    *,
    request_type: RequestType,
    current: RequestState,
    target: RequestState,
    reason: str | None = None,
) -> str | None:
    """Check a move; return the reason to record (mandatory for a denial, checked if given)."""
    if target not in allowed_targets(current, request_type):
        raise Conflict(
            f"a request that is {current.value} cannot become {target.value}",
            code="invalid_transition",
            state=current.value,
            target=target.value,
        )
    if target is S.DENIED:
        return check_reason(reason, what="reason for the denial")
    return None if reason is None else check_reason(reason)


def check_moment(moment: object, *, what: str = "time") -> datetime:
    """An aware datetime, converted to UTC; naive or non-datetime values are refused."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidInput(f"{what} must be an aware datetime", code="invalid_time")
    return moment.astimezone(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months later, or the month's last day when it is shorter."""
    if months < 0:
        raise InvalidInput("months must not be negative", code="invalid_months")
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    if year > 9999:
        raise InvalidInput("the date is out of range", code="date_out_of_range")
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_business_days(moment: datetime, days: int) -> datetime:
    """The ``days``-th weekday after ``moment`` (Saturdays and Sundays skipped; no holidays)."""
    if days < 0:
        raise InvalidInput("days must not be negative", code="invalid_days")
    current = moment
    while days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def response_due(*, regime: Regime, received_at: datetime) -> datetime:
    """When the answer is due without an extension."""
    received_at = check_moment(received_at, what="receipt time")
    if regime is Regime.GDPR:
        return add_months(received_at, GDPR_MONTHS)
    return received_at + timedelta(days=CCPA_DAYS)


def earliest_due(*, regime: Regime, received_at: datetime, within_days: int | None) -> datetime:
    """The law's due time, or ``within_days`` after receipt when a platform asks for earlier."""
    due = response_due(regime=regime, received_at=received_at)
    if within_days is None:
        return due
    if within_days < 1:
        raise InvalidInput("a platform deadline is at least one day", code="invalid_days")
    return min(due, check_moment(received_at) + timedelta(days=within_days))


def extended_due(*, regime: Regime, received_at: datetime) -> datetime:
    """When the answer is due after the one extension the regime allows."""
    received_at = check_moment(received_at, what="receipt time")
    if regime is Regime.GDPR:
        return add_months(received_at, GDPR_MONTHS + GDPR_EXTENSION_MONTHS)
    return received_at + timedelta(days=CCPA_DAYS + CCPA_EXTENSION_DAYS)


def confirmation_due(*, regime: Regime, received_at: datetime) -> datetime | None:
    """When receipt must be confirmed to the customer (CCPA), or None (GDPR sets no such step)."""
    received_at = check_moment(received_at, what="receipt time")
    if regime is Regime.CCPA:
        return add_business_days(received_at, CCPA_CONFIRM_BUSINESS_DAYS)
    return None


def check_extension(
    *,
    regime: Regime,
    state: RequestState,
    received_at: datetime,
    already_extended: bool,
    at: datetime,
    reason: object,
) -> tuple[datetime, str]:
    """Check an extension; return the new due time and the reason to record.

    Allowed once, on an open request, with a reason, and only before the first period ends.
    """
    if state not in OPEN_STATES:
        raise Conflict(
            f"a request that is {state.value} cannot be extended",
            code="request_closed",
            state=state.value,
        )
    recorded = check_reason(reason, what="reason for the extension")
    if already_extended:
        raise Conflict("the deadline was already extended once", code="already_extended")
    at = check_moment(at)
    if at >= response_due(regime=regime, received_at=received_at):
        raise Conflict(
            "the deadline can only be extended within the first period "
            + ("(one month)" if regime is Regime.GDPR else "(45 days)"),
            code="extension_too_late",
        )
    return extended_due(regime=regime, received_at=received_at), recorded


def is_open(state: RequestState) -> bool:
    """Whether the request still waits for an answer."""
    return state in OPEN_STATES


def deadline_passed_or_near(*, due_at: datetime, now: datetime, within: timedelta) -> bool:
    """Whether ``due_at`` is past, or at most ``within`` away from ``now``."""
    if within < timedelta(0):
        raise InvalidInput("the look-ahead must not be negative", code="invalid_within")
    return check_moment(due_at) <= check_moment(now) + within


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def gpc_signal(
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
) -> bool:
    """True when the request carries ``Sec-GPC: 1`` exactly (GPC specification, CCPA Regs 7025).

    The field name is case-insensitive, as in all HTTP; the value must be the single character
    ``1`` (surrounding spaces and tabs are not part of a field value). Any other value, or a
    repeated field with any other value, is no signal.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values = [_text(value) for name, value in pairs if _text(name).lower() == "sec-gpc"]
    return bool(values) and all(value.strip(" \t") == "1" for value in values)
