"""Data-subject requests: types, states and deadlines per regime, identity verification, GPC.

Call it through the names re-exported here: the pure rules (``rules``) and the service
functions (keyword-only, ``db_session`` first, flush never commit).
"""

from __future__ import annotations

from privault.rights import rules
from privault.rights.models import (
    RequestAction,
    RightsRequest,
    RightsRequestEvent,
    VerificationCode,
    VerificationMethod,
)
from privault.rights.rules import Regime, RequestState, RequestType, gpc_signal
from privault.rights.schemas import (
    CodeSent,
    DeadlineRead,
    GpcPolicy,
    GpcResult,
    ReasonBody,
    RequestEventRead,
    RightsRequestCreate,
    RightsRequestDetail,
    RightsRequestRead,
    VerifyBody,
)
from privault.rights.service import (
    CODE_HASH_LABEL,
    CodeCheck,
    CodeSender,
    DeadlineItem,
    Opened,
    apply_gpc,
    approve,
    callback_sender,
    check_code,
    code_hash,
    complete,
    confirm_receipt,
    deny,
    extend,
    get_request,
    list_requests,
    open_request,
    overdue,
    request_history,
    sale_or_share_purposes,
    send_code,
    verify_identity,
)

__all__ = [
    "CODE_HASH_LABEL",
    "CodeCheck",
    "CodeSender",
    "CodeSent",
    "DeadlineItem",
    "DeadlineRead",
    "GpcPolicy",
    "GpcResult",
    "Opened",
    "ReasonBody",
    "Regime",
    "RequestAction",
    "RequestEventRead",
    "RequestState",
    "RequestType",
    "RightsRequest",
    "RightsRequestCreate",
    "RightsRequestDetail",
    "RightsRequestEvent",
    "RightsRequestRead",
    "VerificationCode",
    "VerificationMethod",
    "VerifyBody",
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
    "gpc_signal",
    "list_requests",
    "open_request",
    "overdue",
    "request_history",
    "rules",
    "sale_or_share_purposes",
    "send_code",
    "verify_identity",
]
