"""The caller's arguments, checked and encoded before anything is sent.

Checks are minimal (types, non-empty strings, the API's fixed formats); the server decides
the rest. Errors name the argument or the field, never a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from privault.client.schemas import FieldValue, NewRecord

__all__ = [
    "consent_path",
    "field_names",
    "field_values",
    "new_record",
    "records_path",
    "required",
    "segment",
    "valid_idempotency_key",
]


def required(name: str, value: object) -> str:
    """``value`` if it is a non-empty string; else TypeError or ValueError naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def segment(name: str, value: str) -> str:
    """One path segment, percent-encoded: ids may hold '/', '?', '#' or be '.' or '..'."""
    encoded = quote(required(name, value), safe="")
    # '.' and '..' are dot-segments that URL normalisation would remove.
    return encoded.replace(".", "%2E") if encoded.strip(".") == "" else encoded


def records_path(collection: str, record_id: str | None = None) -> str:
    """``/v1/collections/{collection}/records[/{record_id}]``, encoded."""
    path = f"/v1/collections/{segment('collection', collection)}/records"
    return path if record_id is None else f"{path}/{segment('record_id', record_id)}"


def consent_path(subject_id: str, purpose: str) -> str:
    """``/v1/subjects/{subject_id}/consents/{purpose}``, encoded."""
    return (
        f"/v1/subjects/{segment('subject_id', subject_id)}/consents/{segment('purpose', purpose)}"
    )


def field_names(fields: Sequence[str]) -> list[str]:
    """The names for ``?fields=``: a non-empty sequence of names without commas."""
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        raise TypeError("fields must be a sequence of field names")
    if not fields:
        raise ValueError("fields must not be empty (give None for every field)")
    names = [required("field name", name) for name in fields]
    if any("," in name for name in names):
        raise ValueError("field names must not contain ','")
    return names


def field_values(
    values: Mapping[str, FieldValue | None], *, nullable: bool
) -> dict[str, FieldValue | None]:
    """A copy of the field values, type-checked; errors name fields, never values."""
    if not isinstance(values, Mapping):
        raise TypeError("values must be a mapping of field name to value")
    if not values:
        raise ValueError("values must not be empty")
    checked: dict[str, FieldValue | None] = {}
    for name, value in values.items():
        required("field name", name)
        if not (isinstance(value, str | int | float | bool) or (nullable and value is None)):
            kind = (
                "a string, number, boolean or None" if nullable else "a string, number or boolean"
            )
            raise TypeError(f"the value of field {name!r} must be {kind}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"the value of field {name!r} must be a finite number")
        checked[name] = value
    return checked


def new_record(record: NewRecord) -> dict[str, Any]:
    """The JSON of one record to store."""
    if not isinstance(record, NewRecord):
        raise TypeError("each record must be a NewRecord")
    body: dict[str, Any] = {
        "subject_id": required("subject_id", record.subject_id),
        "values": field_values(record.values, nullable=False),
    }
    if record.region is not None:
        body["region"] = required("region", record.region)
    return body


def valid_idempotency_key(value: str) -> str:
    """``value`` if it is 1-255 visible ASCII characters, as the API requires."""
    key = required("idempotency_key", value)
    if len(key) > 255 or not all("!" <= char <= "~" for char in key):
        raise ValueError("idempotency_key must be 1-255 visible ASCII characters")
    return key
