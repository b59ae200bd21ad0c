"""Consent ledger: grants and withdrawals per customer and purpose, notices, receipts, and
restricted processing.

Call it through the service functions re-exported here (keyword-only, ``db_session`` first,
flush never commit).
"""

from __future__ import annotations

from privault.consent.models import (
    ConsentAction,
    ConsentEvent,
    ConsentNotice,
    ConsentSource,
    ConsentState,
    SubjectRestriction,
)
from privault.consent.notices import (
    PublishedNotice,
    find_notice,
    list_notices,
    publish_notice,
)
from privault.consent.receipt import RECEIPT_FORMAT, verify_receipt
from privault.consent.rules import ORIGIN_KEY_LABEL, check_language, origin_pseudonym
from privault.consent.schemas import (
    ConsentChange,
    ConsentChangeRead,
    ConsentEventRead,
    ConsentRead,
    NoticeRead,
    SignedReceipt,
)
from privault.consent.service import (
    DEFAULT_LANGUAGE,
    RecordedConsent,
    consent_history,
    consented_purposes,
    current_consent,
    forget_subject,
    get_restriction,
    grant_consent,
    has_objected,
    is_restricted,
    issue_receipt,
    latest_receipt,
    lift_restriction,
    record_consent,
    restrict_processing,
    withdraw_consent,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "ORIGIN_KEY_LABEL",
    "RECEIPT_FORMAT",
    "ConsentAction",
    "ConsentChange",
    "ConsentChangeRead",
    "ConsentEvent",
    "ConsentEventRead",
    "ConsentNotice",
    "ConsentRead",
    "ConsentSource",
    "ConsentState",
    "NoticeRead",
    "PublishedNotice",
    "RecordedConsent",
    "SignedReceipt",
    "SubjectRestriction",
    "check_language",
    "consent_history",
    "consented_purposes",
    "current_consent",
    "find_notice",
    "forget_subject",
    "get_restriction",
    "grant_consent",
    "has_objected",
    "is_restricted",
    "issue_receipt",
    "latest_receipt",
    "lift_restriction",
    "list_notices",
    "origin_pseudonym",
    "publish_notice",
    "record_consent",
    "restrict_processing",
    "verify_receipt",
    "withdraw_consent",
]
