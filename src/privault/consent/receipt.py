"""Consent receipts: a JSON statement of one grant or withdrawal, signed with Ed25519 (the audit
signing key) that a customer can keep. Pure: no session, no I/O.

The signature covers ``SIGNING_CONTEXT`` and the canonical JSON of ``receipt`` (sorted keys,
no spaces, ASCII), so it cannot be replayed as a checkpoint or erasure-certificate signature,
nor one of those as a receipt.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from privault.audit import key_id_for
from privault.consent.models import ConsentEvent

SIGNING_CONTEXT = b"privault consent receipt v1\n"
RECEIPT_FORMAT = "privault.consent-receipt/v1"

__all__ = [
    "RECEIPT_FORMAT",
    "SIGNING_CONTEXT",
    "canonical",
    "consent_receipt",
    "sign_receipt",
    "verify_receipt",
]


def canonical(receipt: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace, ASCII only."""
    return json.dumps(receipt, sort_keys=True, separators=(",", ":")).encode()


def consent_receipt(
    event: ConsentEvent, *, notice_sha256: str | None, controller: str | None
) -> dict[str, Any]:
    """What a consent receipt states (before signing): the event, its notice and legal basis.

    The receipt id is the event's id, so one event has one receipt however often it is fetched.
    """
    notice = None
    if event.notice_version is not None:
        notice = {
            "version": event.notice_version,
            "language": event.notice_language,
            "sha256": notice_sha256,
        }
    return {
        "format": RECEIPT_FORMAT,
        "receipt_id": event.id,
        "subject_id": event.subject_id,
        "purpose": event.purpose,
        "action": event.action,
        "at": event.at.isoformat(),
        "source": event.source,
        "notice": notice,
        "legal_basis": event.legal_basis,
        "controller": controller,
    }


def sign_receipt(receipt: Mapping[str, Any], signing_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The receipt with its Ed25519 signature."""
    signature = signing_key.sign(SIGNING_CONTEXT + canonical(receipt))
    return {
        "receipt": dict(receipt),
        "signature": {
            "alg": "Ed25519",
            "key_id": key_id_for(signing_key.public_key()),
            "value": base64.b64encode(signature).decode(),
        },
    }


def verify_receipt(document: object, public_key: Ed25519PublicKey) -> bool:
    """True when the receipt was signed by ``public_key``; False for anything altered or
    malformed; never raises.
    """
    try:
        if not isinstance(document, Mapping) or set(document) != {"receipt", "signature"}:
            return False
        receipt, signature = document["receipt"], document["signature"]
        if not isinstance(receipt, Mapping) or not isinstance(signature, Mapping):
            return False
        if receipt.get("format") != RECEIPT_FORMAT:
            return False
        if signature.get("alg") != "Ed25519" or signature.get("key_id") != key_id_for(public_key):
            return False
        raw = base64.b64decode(signature["value"], validate=True)
        public_key.verify(raw, SIGNING_CONTEXT + canonical(receipt))
    except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error):
        return False
    return True
