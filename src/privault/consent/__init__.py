"""Consent ledger: grants and withdrawals per customer and purpose, and restricted processing.

The minimal ledger the access policy needs; the privacy-rights work extends it. Call it through
the service functions re-exported here (keyword-only, ``db_session`` first, flush never commit).
"""

from __future__ import annotations

from privault.consent.models import (
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    SubjectRestriction,
)
from privault.consent.schemas import ConsentChange, ConsentEventRead, ConsentRead
from privault.consent.service import (
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

__all__ = [
    "ConsentAction",
    "ConsentChange",
    "ConsentEvent",
    "ConsentEventRead",
    "ConsentRead",
    "ConsentSource",
    "ConsentState",
    "SubjectRestriction",
    "consent_history",
    "consented_purposes",
    "current_consent",
    "forget_subject",
    "get_restriction",
    "grant_consent",
    "is_restricted",
    "lift_restriction",
    "restrict_processing",
    "withdraw_consent",
]
