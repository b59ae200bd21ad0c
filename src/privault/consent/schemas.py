"""What the consent API takes and gives back (pydantic, with descriptions for OpenAPI)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from privault.consent.models import NOTICE_VERSION_LENGTH, ConsentAction, ConsentSource

# Printable text on one line: no control characters, no line or paragraph separators.
_ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$"


class ConsentChange(BaseModel):
    """A grant or withdrawal of consent, as sent by the shop."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"source": "web", "notice_version": "2024-05"}]},
    )

    source: ConsentSource = Field(
        default=ConsentSource.API,
        description=(
            "Where the decision was made: `web` (the shop's pages), `api` (the shop's backend), "
            "`import` (another consent tool), `gpc` (a Global Privacy Control signal) or `cli`."
        ),
        examples=["web"],
    )
    notice_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=NOTICE_VERSION_LENGTH,
        pattern=_ONE_LINE,
        description="Version of the privacy notice the customer was shown, as the shop names it.",
        examples=["2024-05"],
    )


class ConsentRead(BaseModel):
    """A customer's current consent for one purpose."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "subject_id": "C-1001",
                    "purpose": "marketing",
                    "granted": True,
                    "source": "web",
                    "notice_version": "2024-05",
                    "updated_at": "2024-05-17T09:30:00Z",
                }
            ]
        },
    )

    subject_id: str = Field(description="The shop's id of the customer.", examples=["C-1001"])
    purpose: str = Field(
        description="The purpose, as declared in the data map.", examples=["marketing"]
    )
    granted: bool = Field(
        description="True while the customer consents; false after a withdrawal.", examples=[True]
    )
    source: ConsentSource = Field(
        description="Where the latest decision came from.", examples=["web"]
    )
    notice_version: str | None = Field(
        description="Privacy notice version of the latest decision, if the shop gave one.",
        examples=["2024-05"],
    )
    updated_at: datetime = Field(
        description="When the latest decision was made (UTC).", examples=["2024-05-17T09:30:00Z"]
    )


class ConsentEventRead(BaseModel):
    """One recorded grant or withdrawal, from the customer's consent history."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(
        description="Id of the event.", examples=["cev_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"]
    )
    subject_id: str = Field(description="The shop's id of the customer.", examples=["C-1001"])
    purpose: str = Field(
        description="The purpose, as declared in the data map.", examples=["marketing"]
    )
    action: ConsentAction = Field(description="`grant` or `withdraw`.", examples=["grant"])
    source: ConsentSource = Field(description="Where the decision came from.", examples=["web"])
    notice_version: str | None = Field(
        description="Privacy notice version shown, if the shop gave one.", examples=["2024-05"]
    )
    at: datetime = Field(
        description="When the decision was made (UTC).", examples=["2024-05-17T09:30:00Z"]
    )
