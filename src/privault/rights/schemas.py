"""What the data-subject request API takes and gives back (pydantic, described for OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from privault.rights.models import SUBJECT_LENGTH, RequestAction, VerificationMethod
from privault.rights.rules import REASON_LENGTH, Regime, RequestState, RequestType

# Printable text on one line: no control characters, no line or paragraph separators.
_ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$"


class RightsRequestCreate(BaseModel):
    """A data-subject request as the shop receives it from the customer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"subject_id": "C-1001", "type": "access"}]},
    )

    subject_id: str = Field(
        min_length=1,
        max_length=SUBJECT_LENGTH,
        pattern=_ONE_LINE,
        description="The shop's id of the customer.",
        examples=["C-1001"],
    )
    type: RequestType = Field(
        description=(
            "`access`, `portability`, `erasure`, `rectification`, `restriction`, `objection` "
            "or `opt_out` (of sale or sharing)."
        ),
        examples=["access"],
    )
    regime: Regime | None = Field(
        default=None,
        description="`gdpr` or `ccpa`: whose deadlines apply. Default: the configured regime.",
        examples=["gdpr"],
    )


class ReasonBody(BaseModel):
    """A reason, recorded with the step (must name no customer data)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1,
        max_length=REASON_LENGTH,
        pattern=_ONE_LINE,
        description="Why; kept in the request's history. Describe the case without personal data.",
        examples=["identity could not be verified"],
    )


class VerifyBody(BaseModel):
    """Proof of the customer's identity: the one-time code, or a signed-in session."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The one-time code the customer received.",
        examples=["482913"],
    )
    session: bool = Field(
        default=False,
        description="True when the customer made the request while signed in to the shop.",
    )


class RequestEventRead(BaseModel):
    """One step in a request's history."""

    model_config = ConfigDict(from_attributes=True)

    seq: int = Field(description="Position in the request's history: 1, 2, 3 ...")
    at: datetime = Field(description="When (UTC).")
    actor: str = Field(description="API key id or `operator:<login>`.")
    action: RequestAction = Field(description="What happened.")
    from_state: RequestState | None = Field(description="State before a transition.")
    to_state: RequestState | None = Field(description="State after a transition.")
    reason: str | None = Field(description="The recorded reason (denials, extensions).")


class RightsRequestRead(BaseModel):
    """A data-subject request and its deadlines."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(examples=["dsr_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"])
    subject_id: str = Field(description="The shop's id of the customer.", examples=["C-1001"])
    type: RequestType
    regime: Regime
    state: RequestState
    received_at: datetime = Field(description="When the request was received (UTC).")
    due_at: datetime = Field(description="When the answer is due (after any extension).")
    confirm_by: datetime | None = Field(
        description="When receipt must be confirmed (CCPA: 10 business days); null for GDPR."
    )
    confirmed_at: datetime | None = Field(description="When receipt was confirmed.")
    extended_at: datetime | None = Field(description="When the deadline was extended, if ever.")
    verified_at: datetime | None = Field(description="When identity was verified.")
    verified_by: VerificationMethod | None = Field(description="How identity was verified.")
    closed_at: datetime | None = Field(description="When it was completed or denied.")


class RightsRequestDetail(RightsRequestRead):
    """A request with its full history."""

    events: list[RequestEventRead] = Field(description="Every step, oldest first.")


class DeadlineRead(BaseModel):
    """An open request whose deadline is past or near."""

    request: RightsRequestRead
    deadline: Literal["response", "confirmation"] = Field(
        description="Which deadline: the answer, or the confirmation of receipt."
    )
    due_at: datetime = Field(description="When it is (or was) due.")
    overdue: bool = Field(description="True when already past.")


class CodeSent(BaseModel):
    """A one-time code went out."""

    expires_at: datetime = Field(description="When the code stops working.")


class GpcPolicy(BaseModel):
    """``/.well-known/gpc.json`` (Global Privacy Control specification, section 3.2)."""

    gpc: bool = Field(description="True: this site honours GPC signals.")
    lastUpdate: str = Field(  # noqa: N815 - the name is fixed by the GPC specification
        description="When GPC handling last changed (ISO 8601 date)."
    )


class GpcResult(BaseModel):
    """What a GPC signal changed."""

    signal: bool = Field(description="True when the request carried `Sec-GPC: 1` exactly.")
    opted_out: list[str] = Field(
        description="Purposes marked `sale_or_share` whose consent was withdrawn."
    )
