"""The access/portability package: built from decrypted records, the consent ledger, the data
map and the audit log; sealed with AES-GCM at rest. Pure: no session, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privault.audit import AccessEntry
from privault.consent import ConsentEvent, ConsentState
from privault.datamap import DataMap
from privault.errors import IntegrityViolation
from privault.rights.fulfil.rules import recipients_of
from privault.vault import RecordRead

PACKAGE_FORMAT = "privault.access-package/v1"
# The key that seals packages is derived under this label, then bound to each request id.
PACKAGE_KEY_LABEL = "rights/package/v1"
_NONCE = 12


class RequestFacts(Protocol):
    """What a package says about the request it answers."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def regime(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def subject_id(self) -> str: ...


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _field(datamap: DataMap, collection: str, name: str, value: str) -> dict[str, Any]:
    spec = datamap.collection(collection).fields.get(name)
    if spec is None:  # a field the data map no longer declares: its value, nothing more
        return {
            "field": name,
            "value": value,
            "type": None,
            "category": None,
            "purposes": [],
            "retention": None,
            "recipients": [],
        }
    retention = spec.retention or datamap.collection(collection).retention
    purposes = [datamap.purposes[p] for p in spec.purposes if p in datamap.purposes]
    return {
        "field": name,
        "value": value,
        "type": spec.type.value,
        "category": spec.category,
        "purposes": [
            {"purpose": p.name, "basis": p.basis.value, "description": p.description}
            for p in purposes
        ],
        "retention": None if retention is None else retention.text,
        "recipients": sorted({name for p in purposes for name in recipients_of(p)}),
    }


def build_package(
    *,
    request: RequestFacts,
    datamap: DataMap,
    records: Iterable[RecordRead],
    consents: Iterable[ConsentState],
    consent_history: Iterable[ConsentEvent],
    access_history: Iterable[AccessEntry],
    generated_at: datetime,
) -> dict[str, Any]:
    """Everything held about the customer, as the JSON document the schema describes."""
    return {
        "format": PACKAGE_FORMAT,
        "generated_at": generated_at.isoformat(),
        "subject_id": request.subject_id,
        "request": {
            "id": request.id,
            "type": request.type,
            "regime": request.regime,
            "received_at": request.received_at.isoformat(),
        },
        "records": [
            {
                "collection": record.collection,
                "record_id": record.id,
                "region": record.region,
                "created_at": record.created_at.isoformat(),
                "updated_at": record.updated_at.isoformat(),
                "fields": [
                    _field(datamap, record.collection, name, value)
                    for name, value in sorted(record.values.items())
                ],
            }
            for record in records
        ],
        "consents": [
            {
                "purpose": state.purpose,
                "granted": state.granted,
                "source": state.source,
                "notice_version": state.notice_version,
                "updated_at": state.updated_at.isoformat(),
            }
            for state in consents
        ],
        "consent_history": [
            {
                "purpose": event.purpose,
                "action": event.action,
                "source": event.source,
                "notice_version": event.notice_version,
                "at": event.at.isoformat(),
            }
            for event in consent_history
        ],
        "access_history": [
            {
                "at": entry.at.isoformat(),
                "actor": entry.actor,
                "operation": entry.operation,
                "purpose": entry.purpose,
                "collection": entry.collection,
                "fields": entry.fields_returned,
                "outcome": entry.outcome,
            }
            for entry in access_history
        ],
    }


def _request_key(package_key: bytes, request_id: str) -> bytes:
    return hmac.new(package_key, request_id.encode(), hashlib.sha256).digest()


def seal_package(package: dict[str, Any], *, package_key: bytes, request_id: str) -> bytes:
    """The package as stored: AES-256-GCM under a key bound to the request, nonce first."""
    data = json.dumps(package, ensure_ascii=False, separators=(",", ":")).encode()
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_request_key(package_key, request_id)).encrypt(nonce, data, request_id.encode())
    return nonce + sealed


def open_package(sealed: bytes, *, package_key: bytes, request_id: str) -> dict[str, Any]:
    """The stored package, decrypted; IntegrityViolation if it was altered or moved."""
    try:
        data = AESGCM(_request_key(package_key, request_id)).decrypt(
            sealed[:_NONCE], sealed[_NONCE:], request_id.encode()
        )
    except (InvalidTag, ValueError) as exc:
        raise IntegrityViolation(
            "the stored package does not decrypt: altered, or not this request's",
            code="package_tampered",
        ) from exc
    package: dict[str, Any] = json.loads(data)
    return package
