"""Consent receipts: what they state, their signature, and every way to tamper with one."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from privault.audit import CheckpointSigner, key_id_for
from privault.consent import ConsentEvent
from privault.consent.receipt import (
    RECEIPT_FORMAT,
    SIGNING_CONTEXT,
    canonical,
    consent_receipt,
    sign_receipt,
    verify_receipt,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
AT = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
SHA = "ab" * 32


def event(**changes: Any) -> ConsentEvent:
    """A granted marketing event with a published notice."""
    values: dict[str, Any] = {
        "id": "cev_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b",
        "subject_id": "C-1001",
        "purpose": "marketing",
        "action": "grant",
        "source": "web",
        "notice_version": "2024-05",
        "notice_language": "de",
        "legal_basis": "consent",
        "origin": "0" * 64,
        "at": AT,
        **changes,
    }
    return ConsentEvent(**values)


def signed(**changes: Any) -> dict[str, Any]:
    """A signed receipt of ``event(**changes)``."""
    receipt = consent_receipt(event(**changes), notice_sha256=SHA, controller="Example Shop")
    return sign_receipt(receipt, KEY)


class TestContent:
    """A receipt states the decision, the notice and the legal basis."""

    def test_fields(self) -> None:
        """Every field the customer needs, and nothing about the request's origin."""
        receipt = signed()["receipt"]
        assert receipt == {
            "format": RECEIPT_FORMAT,
            "receipt_id": "cev_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b",
            "subject_id": "C-1001",
            "purpose": "marketing",
            "action": "grant",
            "at": "2024-05-17T09:30:00+00:00",
            "source": "web",
            "notice": {"version": "2024-05", "language": "de", "sha256": SHA},
            "legal_basis": "consent",
            "controller": "Example Shop",
        }
        assert "0" * 64 not in json.dumps(signed())

    def test_no_notice_named(self) -> None:
        """Without a notice version the notice is null."""
        receipt = signed(notice_version=None, notice_language=None)["receipt"]
        assert receipt["notice"] is None

    def test_signature_is_deterministic(self) -> None:
        """The same event signed twice gives the same receipt (Ed25519 is deterministic)."""
        assert signed() == signed()

    def test_signature_covers_context_and_canonical_json(self) -> None:
        """The signed bytes are the context prefix and the canonical JSON."""
        document = signed()
        raw = base64.b64decode(document["signature"]["value"])
        KEY.public_key().verify(raw, SIGNING_CONTEXT + canonical(document["receipt"]))
        assert document["signature"]["key_id"] == key_id_for(KEY.public_key())


class TestVerify:
    """verify_receipt is True only for an untouched receipt signed by the key."""

    def test_good_receipt_verifies_after_a_json_round_trip(self) -> None:
        """A receipt saved as JSON and read back still verifies."""
        document = json.loads(json.dumps(signed(), indent=2))
        assert verify_receipt(document, KEY.public_key())

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("action", "withdraw"),
            ("purpose", "analytics"),
            ("subject_id", "C-1002"),
            ("at", "2024-05-18T09:30:00+00:00"),
            ("source", "api"),
            ("legal_basis", "legitimate_interest"),
            ("controller", "Other Shop"),
            ("receipt_id", "cev_x"),
            ("notice", None),
        ],
    )
    def test_any_changed_field_fails(self, field: str, value: object) -> None:
        """Changing one stated fact breaks the signature."""
        document = signed()
        document["receipt"][field] = value
        assert not verify_receipt(document, KEY.public_key())

    def test_changed_notice_hash_fails(self) -> None:
        """A receipt cannot be moved to another notice text."""
        document = signed()
        document["receipt"]["notice"]["sha256"] = "cd" * 32
        assert not verify_receipt(document, KEY.public_key())

    def test_added_field_fails(self) -> None:
        """A field added to the receipt is not covered: refused."""
        document = signed()
        document["receipt"]["extra"] = True
        assert not verify_receipt(document, KEY.public_key())

    def test_another_key_fails(self) -> None:
        """A receipt checked against another key does not verify."""
        other = Ed25519PrivateKey.generate()
        assert not verify_receipt(signed(), other.public_key())
        resigned = sign_receipt(signed()["receipt"], other)
        assert not verify_receipt(resigned, KEY.public_key())

    def test_signature_from_another_context_fails(self) -> None:
        """A signature over the same JSON without the receipt context is refused."""
        document = signed()
        raw = KEY.sign(canonical(document["receipt"]))
        document["signature"]["value"] = base64.b64encode(raw).decode()
        assert not verify_receipt(document, KEY.public_key())

    def test_checkpoint_signer_cannot_make_receipts(self) -> None:
        """The checkpoint context differs: a checkpoint signature is never a receipt's."""
        signer = CheckpointSigner(KEY)
        checkpoint = signer.sign("privault audit log", 1, bytes(32), AT)
        document = signed()
        document["signature"]["value"] = base64.b64encode(checkpoint.signature).decode()
        assert not verify_receipt(document, KEY.public_key())

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda d: d.pop("signature"),
            lambda d: d.pop("receipt"),
            lambda d: d.update(extra=1),
            lambda d: d["signature"].update(alg="RS256"),
            lambda d: d["signature"].update(key_id="other"),
            lambda d: d["signature"].update(value="not base64!"),
            lambda d: d["signature"].update(value=base64.b64encode(b"short").decode()),
            lambda d: d["signature"].update(value=None),
            lambda d: d["receipt"].update(format="privault.erasure-certificate/v1"),
            lambda d: d.update(receipt=[]),
            lambda d: d.update(signature="x"),
        ],
    )
    def test_malformed_documents_are_false_never_raise(self, mangle: Any) -> None:
        """Missing parts, wrong algorithm, bad base64, wrong format: False, no exception."""
        document = copy.deepcopy(signed())
        mangle(document)
        assert not verify_receipt(document, KEY.public_key())

    @pytest.mark.parametrize("document", [None, [], "receipt", 1, {}])
    def test_non_documents_are_false(self, document: object) -> None:
        """Anything that is not a receipt object is False."""
        assert not verify_receipt(document, KEY.public_key())
