"""What the consent API takes and gives back (pydantic, with descriptions for OpenAPI)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from privault.consent.models import (
    LANGUAGE_LENGTH,
    NOTICE_VERSION_LENGTH,
    ConsentAction,
    ConsentSource,
)

# Printable text on one line: no control characters, no line or paragraph separators.
_ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$"


class ConsentChange(BaseModel):
    """A grant or withdrawal of consent, as sent by the shop."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"source": "web", "notice_version": "2024-05", "notice_language": "de"}]
        },
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
        description=(
            "Version of the notice the customer was shown. When the purpose has notices "
            "published in privault, it must be one of them; otherwise it is kept as given."
        ),
        examples=["2024-05"],
    )
    notice_language: str | None = Field(
        default=None,
        min_length=2,
        max_length=LANGUAGE_LENGTH,
        description=(
            "BCP 47 language of the notice text shown (default: the default language); only "
            "with a `notice_version` of a purpose with published notices."
        ),
        examples=["de"],
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


class ReceiptNotice(BaseModel):
    """The notice a consent receipt refers to."""

    version: str = Field(description="Notice version shown.", examples=["2024-05"])
    language: str | None = Field(
        description="BCP 47 language of the text shown (null when not published in privault).",
        examples=["en"],
    )
    sha256: str | None = Field(
        description="Hex SHA-256 of the UTF-8 notice text (null when not published in privault).",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )


class ConsentReceipt(BaseModel):
    """What a consent receipt states (the signed part)."""

    format: str = Field(
        description="`privault.consent-receipt/v1`.", examples=["privault.consent-receipt/v1"]
    )
    receipt_id: str = Field(description="Id of the receipt: the consent event's id.")
    subject_id: str = Field(description="The shop's id of the customer.", examples=["C-1001"])
    purpose: str = Field(description="The purpose.", examples=["marketing"])
    action: ConsentAction = Field(description="`grant` or `withdraw`.", examples=["grant"])
    at: str = Field(
        description="When it was decided (ISO 8601, UTC).", examples=["2024-05-17T09:30:00+00:00"]
    )
    source: ConsentSource = Field(description="Where it was decided.", examples=["web"])
    notice: ReceiptNotice | None = Field(description="The notice shown, if one was named.")
    legal_basis: str | None = Field(
        description="The purpose's legal basis in the data map at the time.", examples=["consent"]
    )
    controller: str | None = Field(
        description="The controller (the shop) issuing the receipt, when configured.",
        examples=["Example Shop"],
    )


class ReceiptSignature(BaseModel):
    """The Ed25519 signature over the receipt (context prefix + canonical JSON)."""

    alg: str = Field(description="`Ed25519`.", examples=["Ed25519"])
    key_id: str = Field(description="Id of the audit signing key (see `audit-public.pem`).")
    value: str = Field(description="Base64 signature.")


class SignedReceipt(BaseModel):
    """A consent receipt with its signature; check it with `privault consent receipt verify`."""

    receipt: ConsentReceipt
    signature: ReceiptSignature


class ConsentChangeRead(ConsentRead):
    """The current consent after a grant or withdrawal, with the signed receipt of the change."""

    receipt: SignedReceipt = Field(description="The signed receipt of this grant or withdrawal.")
    receipt_url: str = Field(
        description="Where the receipt of the latest decision can be fetched again.",
        examples=["/v1/subjects/C-1001/consents/marketing/receipt"],
    )


class NoticeRead(BaseModel):
    """One published notice text."""

    model_config = ConfigDict(from_attributes=True)

    purpose: str = Field(description="The purpose.", examples=["marketing"])
    version: str = Field(description="The notice version.", examples=["2024-05"])
    language: str = Field(description="BCP 47 language of this text.", examples=["en"])
    text: str = Field(description="The notice text, as published (e.g. Markdown).")
    sha256: str = Field(description="Hex SHA-256 of the UTF-8 text, quoted by consent receipts.")
    published_at: datetime = Field(description="When this text was published (UTC).")
