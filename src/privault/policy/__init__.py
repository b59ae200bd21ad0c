"""Access policy: role x purpose x field -> view, deny by default (see docs/policy.md)."""

from __future__ import annotations

from privault.policy.rules import (
    FieldDecision,
    Principal,
    check_consent,
    check_not_restricted,
    check_purpose,
    check_region,
    check_write,
    consent_required,
    decide_field,
    decide_record,
    render,
)
from privault.policy.service import (
    DetokenizeResult,
    RecordView,
    SearchMatch,
    detokenize,
    read_record,
    search,
)

__all__ = [
    "DetokenizeResult",
    "FieldDecision",
    "Principal",
    "RecordView",
    "SearchMatch",
    "check_consent",
    "check_not_restricted",
    "check_purpose",
    "check_region",
    "check_write",
    "consent_required",
    "decide_field",
    "decide_record",
    "detokenize",
    "read_record",
    "render",
    "search",
]
