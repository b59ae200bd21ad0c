"""What the SDK takes and gives back: typed, frozen views of the API's JSON.

Answers are validated as they arrive; fields the server adds later are ignored, so an older
SDK keeps working against a newer server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

__all__ = [
    "BatchItem",
    "BatchResult",
    "Consent",
    "Detokenized",
    "ItemError",
    "NewRecord",
    "Record",
    "SearchMatch",
    "StoredRecord",
]

FieldValue = str | int | float | bool
"""A field value as the API takes it (the data map's type decides what is valid)."""


@dataclass(frozen=True)
class NewRecord:
    """One record of a batch for ``Client.store_many``: a customer and field values."""

    subject_id: str
    values: Mapping[str, FieldValue] = field(repr=False)
    region: str | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class StoredRecord(_Answer):
    """Where a record went and the token of each field: what the shop keeps."""

    id: str
    collection: str
    subject_id: str
    region: str
    version: int
    tokens: dict[str, str]
    replayed: bool = False
    """True when the answer is the replay of an earlier request with the same Idempotency-Key."""


class ItemError(_Answer):
    """Why one item of a batch was refused (a stable code and an explanation, no values)."""

    code: str
    detail: str = ""


class BatchItem(_Answer):
    """The outcome of one item of ``store_many``, at its position in the batch."""

    index: int
    status: int
    record: StoredRecord | None = None
    error: ItemError | None = None

    @property
    def ok(self) -> bool:
        """Whether the item was stored."""
        return self.record is not None and self.error is None


class BatchResult(_Answer):
    """The outcome of ``store_many``: counts and one result per item, in order."""

    stored: int
    failed: int
    results: tuple[BatchItem, ...]
    replayed: bool = False
    """True when the answer is the replay of an earlier request with the same Idempotency-Key."""


class Record(_Answer):
    """A record as the caller may see it: each field in the view the policy grants."""

    id: str
    collection: str
    subject_id: str
    region: str
    version: int
    created_at: datetime
    updated_at: datetime
    fields: dict[str, str]
    """Field name -> value in the granted view (plain, masked, token, ...)."""
    views: dict[str, str] = {}
    """Field name -> the view it is shown in (``plain``, ``email_mask``, ``token``, ...)."""
    withheld: tuple[str, ...] = ()
    """Fields the record has but the caller may not see (names only)."""


class Detokenized(_Answer):
    """One token resolved: its field and value in the granted view, or why it was not."""

    token: str
    collection: str | None = None
    field: str | None = None
    record_id: str | None = None
    view: str | None = None
    value: str | None = None
    error: str | None = None
    """``not_found``, ``field_not_granted``, ``consent_missing``, ``processing_restricted``,
    ``region_not_granted``; None when resolved."""

    @property
    def ok(self) -> bool:
        """Whether the token resolved."""
        return self.error is None


class SearchMatch(_Answer):
    """A record whose field equals the searched value: ids and the field's token, no value."""

    record_id: str
    subject_id: str
    token: str


class Consent(_Answer):
    """A customer's current consent for one purpose."""

    subject_id: str
    purpose: str
    granted: bool
    source: str
    notice_version: str | None = None
    updated_at: datetime
