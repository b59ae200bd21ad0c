"""What the retained-field use cases give back: names and dates, never a value."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RetainedFieldRead(BaseModel):
    """One field an erasure kept for a legal obligation (without its value)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str = Field(description="Id of the retained field (ret_...).")
    erasure_id: str = Field(description="The erasure that kept it (its request id).")
    subject_pseudonym: str = Field(description="The customer, by the audit log's pseudonym.")
    collection: str = Field(description="Collection of the erased record.")
    record_id: str = Field(description="Id of the erased record.")
    field: str = Field(description="Name of the field.")
    legal_basis: str = Field(description="Why it is kept: legal_obligation.")
    reason: str = Field(description="The purposes that oblige keeping it, from the data map.")
    retained_at: datetime = Field(description="When the erasure kept it (UTC).")
    retain_until: datetime = Field(description="When it is purged (UTC).")
