"""What the ``/v1/admin`` endpoints take and give back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from privault.apikeys import ApiKeyRead

_NAME = r"^[a-z][a-z0-9_]{0,62}$"


class ApiKeyCreate(BaseModel):
    """A new API key for a data-map role, optionally narrowed to purposes and regions."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(pattern=_NAME, description="Data-map role the key acts as.")
    purposes: list[str] | None = Field(
        default=None, max_length=64, description="Only these of the role's purposes; null: all."
    )
    regions: list[str] | None = Field(
        default=None, max_length=64, description="Only these regions; null: every region."
    )
    name: str | None = Field(default=None, max_length=200, description="A label for the key.")


class ApiKeyCreatedRead(BaseModel):
    """The new key, shown this once: privault keeps only its hash."""

    key: str = Field(description="The full key, `pvk_<id>_<secret>`; store it now.")
    record: ApiKeyRead


class KeyRotationCreate(BaseModel):
    """Which regions' master keys to rotate."""

    model_config = ConfigDict(extra="forbid")

    regions: list[str] | None = Field(
        default=None, min_length=1, max_length=64, description="Regions; null: every region."
    )
    resume: bool = Field(
        default=False, description="Add no version; finish rewrapping under the primary one."
    )


class KeyRotationRead(BaseModel):
    """What a rotation did in one region."""

    region: str
    version: int = Field(description="The primary master key version now.")
    rewrapped: int = Field(description="Customer keys rewrapped under it.")
    skipped: int = Field(description="Customer keys that changed meanwhile (erased, say).")


class ExportedRecordRead(BaseModel):
    """One record of a customer, decrypted."""

    id: str
    collection: str
    subject_id: str
    region: str
    version: int
    created_at: datetime
    updated_at: datetime
    values: dict[str, str]


class SubjectExportRead(BaseModel):
    """Everything stored about one customer."""

    subject_id: str
    region: str
    exported_at: datetime
    records: list[ExportedRecordRead]


class ErasureRead(BaseModel):
    """What an erasure destroyed, kept by law, and proves (the signed certificate)."""

    subject_id: str
    request_id: str = Field(description="The erasure request the operator's erasure recorded.")
    records_deleted: int
    retained_fields: int = Field(description="Fields kept by a legal obligation (see certificate).")
    erased_at: datetime
    certificate: dict[str, Any] = Field(description="The signed erasure certificate.")
