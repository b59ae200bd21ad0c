"""Erasure certificates: a JSON statement of what was erased, signed with Ed25519 (the audit
signing key), with the audit log's inclusion proof of the erasure event once a signed
checkpoint covers it. Pure: no session, no I/O.

The signature covers ``SIGNING_CONTEXT`` and the canonical JSON of ``certificate`` (sorted
keys, no spaces, ASCII), so it cannot be replayed as a checkpoint signature or vice versa.
The ``audit_proof`` part is not signed: it is checked against a checkpoint, which is.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from privault.audit import Checkpoint, key_id_for, verify_checkpoint, verify_inclusion
from privault.errors import InvalidInput
from privault.rights.fulfil.package import RequestFacts
from privault.rights.fulfil.rules import RetainedField

SIGNING_CONTEXT = b"privault erasure certificate v1\n"
CERTIFICATE_FORMAT = "privault.erasure-certificate/v1"


def canonical(certificate: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace, ASCII only."""
    return json.dumps(certificate, sort_keys=True, separators=(",", ":")).encode()


def erasure_certificate(
    *,
    request: RequestFacts,
    subject_pseudonym: str,
    erased_at: datetime,
    records: Sequence[tuple[str, str]],
    subject_key_id: str | None,
    retained: Sequence[RetainedField],
    access_packages: int,
    audit_event_id: str,
) -> dict[str, Any]:
    """What an erasure certificate states (before signing); ``records`` are (collection, id)."""
    per_collection = Counter(collection for collection, _ in records)
    return {
        "format": CERTIFICATE_FORMAT,
        "request_id": request.id,
        "request_type": request.type,
        "regime": request.regime,
        "received_at": request.received_at.isoformat(),
        "subject_id": request.subject_id,
        "subject_pseudonym": subject_pseudonym,
        "erased_at": erased_at.isoformat(),
        "erased": {
            "records": len(records),
            "records_per_collection": dict(sorted(per_collection.items())),
            "record_ids": sorted(record_id for _, record_id in records),
            "subject_key_id": subject_key_id,
            "crypto_shredded": subject_key_id is not None,
            "tokens_and_blind_indexes": bool(records),
            "consent_records": True,
            "access_packages": access_packages,
        },
        # The law makes the shop keep these: re-encrypted under the erasure's retention key
        # before the shred, purged at retain_until (docs/privacy-rights.md, "Retained fields").
        "legal_obligation_fields": [
            {
                "collection": item.collection,
                "record_id": item.record_id,
                "field": item.field,
                "purposes": list(item.purposes),
                "legal_basis": item.legal_basis,
                "retain_until": item.retain_until.isoformat(),
                "reason": item.reason,
                "kept": True,
            }
            for item in retained
        ],
        "audit_event_id": audit_event_id,
    }


def sign_certificate(
    certificate: Mapping[str, Any], signing_key: Ed25519PrivateKey
) -> dict[str, Any]:
    """The certificate with its Ed25519 signature."""
    signature = signing_key.sign(SIGNING_CONTEXT + canonical(certificate))
    return {
        "certificate": dict(certificate),
        "signature": {
            "alg": "Ed25519",
            "key_id": key_id_for(signing_key.public_key()),
            "value": base64.b64encode(signature).decode(),
        },
    }


def with_proof(
    document: Mapping[str, Any], *, inclusion: Mapping[str, Any], checkpoint: Checkpoint
) -> dict[str, Any]:
    """The signed certificate plus the inclusion proof of its audit event and the checkpoint."""
    return {**document, "audit_proof": {**inclusion, "checkpoint": checkpoint.to_text()}}


def _hex(value: object, size: int) -> bytes:
    if not isinstance(value, str) or len(value) != size * 2:
        raise ValueError("bad hash")
    return bytes.fromhex(value)


def _event_index(event_id: object) -> int:
    if not isinstance(event_id, str) or not event_id.startswith("evt_") or len(event_id) != 20:
        raise ValueError("bad event id")
    return int(event_id[4:], 16)


def _proof_holds(proof: Mapping[str, Any], event_id: object, public_key: Ed25519PublicKey) -> bool:
    checkpoint = Checkpoint.from_text(proof["checkpoint"])
    if not verify_checkpoint(checkpoint, public_key):
        return False
    index = _event_index(event_id)
    if proof["event_id"] != event_id or proof["leaf_index"] != index:
        return False
    if proof["tree_size"] != checkpoint.tree_size:
        return False
    root = _hex(proof["root_hash"], 32)
    if root != checkpoint.root_hash:
        return False
    path = [_hex(node, 32) for node in proof["proof"]]
    return verify_inclusion(
        leaf_hash=_hex(proof["leaf_hash"], 32),
        leaf_index=index,
        tree_size=checkpoint.tree_size,
        proof=path,
        root=root,
    )


def verify_certificate(  # noqa: PLR0911 - one early False per check that fails
    document: object, public_key: Ed25519PublicKey, *, require_proof: bool = False
) -> bool:
    """True when the certificate was signed by ``public_key`` and, if it carries an audit
    proof (or one is required), the proof puts its event in a checkpoint that key signed.

    False for anything altered or malformed; never raises.
    """
    try:
        if not isinstance(document, Mapping):
            return False
        certificate, signature = document["certificate"], document["signature"]
        if not isinstance(certificate, Mapping) or not isinstance(signature, Mapping):
            return False
        if certificate.get("format") != CERTIFICATE_FORMAT:
            return False
        if signature.get("alg") != "Ed25519" or signature.get("key_id") != key_id_for(public_key):
            return False
        raw = base64.b64decode(signature["value"], validate=True)
        public_key.verify(raw, SIGNING_CONTEXT + canonical(certificate))
        proof = document.get("audit_proof")
        if proof is None:
            return not require_proof
        if not isinstance(proof, Mapping):
            return False
        return _proof_holds(proof, certificate.get("audit_event_id"), public_key)
    except (
        InvalidSignature,
        InvalidInput,
        KeyError,
        TypeError,
        ValueError,
        binascii.Error,
    ):
        return False
