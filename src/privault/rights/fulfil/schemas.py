"""What fulfilment takes and gives back over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from privault.rights.schemas import RightsRequestRead

PackageFormat = Literal["json", "csv", "html"]


class RecordChange(BaseModel):
    """New values for fields of one of the customer's records."""

    model_config = ConfigDict(extra="forbid")

    collection: str = Field(min_length=1, max_length=63, description="Collection of the record.")
    record_id: str = Field(min_length=1, max_length=40, description="Id of the record.")
    values: dict[str, str | None] = Field(
        min_length=1, max_length=64, description="Field -> new value; null removes the field."
    )


class CompletionBody(BaseModel):
    """What a completion needs beyond the request: the corrections, or the purposes."""

    model_config = ConfigDict(extra="forbid")

    changes: list[RecordChange] | None = Field(
        default=None, max_length=100, description="Rectification: the corrected values."
    )
    purposes: list[str] | None = Field(
        default=None,
        max_length=64,
        description="Objection: the purposes objected to (required); opt-out: a subset of the "
        "sale-or-share purposes (default: all of them).",
    )


class DownloadLinkRead(BaseModel):
    """A single-use link to the access package; the token is shown once, only its hash is kept."""

    token: str = Field(description="Secret of the link; pass it as `token`.")
    url: str = Field(description="Path to fetch the package (add `&format=csv|html` to choose).")
    expires_at: datetime = Field(description="The link stops working at this time (UTC).")


class CompletionRead(RightsRequestRead):
    """The completed request and what its fulfilment produced."""

    download: DownloadLinkRead | None = Field(
        default=None, description="Access and portability: a single-use link to the package."
    )
    certificate: dict[str, Any] | None = Field(
        default=None, description="Erasure: the signed erasure certificate."
    )
    done: dict[str, int | str | list[str]] = Field(
        default_factory=dict, description="What was done (counts and names, never values)."
    )
