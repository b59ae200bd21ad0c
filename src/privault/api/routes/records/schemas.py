"""Request and answer bodies of ``/v1/collections/{collection}/records``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 1000
MAX_FIELDS = 64

FieldValue = str | int | float | bool

_EXAMPLE_VALUES: dict[str, Any] = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
}


class RecordIn(BaseModel):
    """One record to store for a customer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"subject_id": "C-1001", "region": "eu", "values": dict(_EXAMPLE_VALUES)}]
        },
    )

    subject_id: str = Field(
        min_length=1, max_length=255, description="The shop's id of the customer."
    )
    region: str | None = Field(
        default=None,
        max_length=63,
        description="Where the customer's data lives; the data map's default when omitted.",
    )
    values: dict[str, FieldValue] = Field(
        min_length=1,
        max_length=MAX_FIELDS,
        description="Field values, each declared in the collection of the data map.",
    )


class RecordBatchIn(BaseModel):
    """Several records to store; each is answered on its own."""

    model_config = ConfigDict(extra="forbid")

    records: list[RecordIn] = Field(min_length=1, max_length=MAX_BATCH)


class StoredRecordOut(BaseModel):
    """Where a record went, and the token of each of its fields (keep these, not the values)."""

    id: str = Field(examples=["rec_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"])
    collection: str = Field(examples=["customers"])
    subject_id: str = Field(examples=["C-1001"])
    region: str = Field(examples=["eu"])
    version: int = Field(examples=[1])
    tokens: dict[str, str] = Field(
        description="Field name -> token.",
        examples=[
            {"email": "tok_eu_d_mfrggzdfmztwq2lkmnxw6z3pnzxxi4ls", "card": "4111113859261111"}
        ],
    )


class ItemError(BaseModel):
    """Why one item of a batch was refused (a code and a message; never a value)."""

    code: str = Field(examples=["invalid_value"])
    detail: str


class BatchItem(BaseModel):
    """The answer to one item of a batch: the stored record or the error."""

    index: int
    status: int = Field(description="201 when stored, else the HTTP status of the error.")
    record: StoredRecordOut | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    """The answer to a batch, item by item in the order sent."""

    stored: int
    failed: int
    results: list[BatchItem]


class RecordOut(BaseModel):
    """A record as the caller's role may see it for the declared purpose."""

    id: str
    collection: str
    subject_id: str
    region: str
    version: int
    created_at: datetime
    updated_at: datetime
    fields: dict[str, str] = Field(
        description="Each field the caller may see, in its view.",
        examples=[{"email": "a***@example.com", "name": "Ada Lovelace"}],
    )
    views: dict[str, str] = Field(
        description="The view each field is shown in.",
        examples=[{"email": "email_mask", "name": "plain"}],
    )
    withheld: list[str] = Field(
        description="Fields the record holds that the caller may not see (names only).",
        examples=[["birth_date", "card"]],
    )


class RecordPatch(BaseModel):
    """Fields to change; ``null`` removes a field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"values": {"phone": "+1 415 555 2671", "birth_date": None}}]
        },
    )

    values: dict[str, FieldValue | None] = Field(min_length=1, max_length=MAX_FIELDS)
    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse (409) unless the record is at this version."
    )
