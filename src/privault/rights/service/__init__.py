"""Use cases of data-subject requests (keyword-only, ``db_session`` first, flush never commit)."""

from __future__ import annotations

from privault.rights.service._common import get_request
from privault.rights.service.codes import (
    CODE_HASH_LABEL,
    CodeCheck,
    CodeSender,
    callback_sender,
    check_code,
    code_hash,
    send_code,
)
from privault.rights.service.delivery import OUTBOX_KIND, outbox_code_sender
from privault.rights.service.gpc import apply_gpc, sale_or_share_purposes
from privault.rights.service.requests import (
    DeadlineItem,
    Opened,
    approve,
    complete,
    confirm_receipt,
    deny,
    extend,
    list_requests,
    open_request,
    overdue,
    request_history,
    verify_identity,
)

__all__ = [
    "CODE_HASH_LABEL",
    "OUTBOX_KIND",
    "CodeCheck",
    "CodeSender",
    "DeadlineItem",
    "Opened",
    "apply_gpc",
    "approve",
    "callback_sender",
    "check_code",
    "code_hash",
    "complete",
    "confirm_receipt",
    "deny",
    "extend",
    "get_request",
    "list_requests",
    "open_request",
    "outbox_code_sender",
    "overdue",
    "request_history",
    "sale_or_share_purposes",
    "send_code",
    "verify_identity",
]
