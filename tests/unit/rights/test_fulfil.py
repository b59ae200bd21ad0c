"""Pure parts of fulfilment: retention rules, purposes, rendering, sealing, certificates."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from privault.audit import CheckpointSigner, inclusion_proof, leaf_hash, root_hash
from privault.datamap import DataMap, parse_datamap, starter_datamap_text
from privault.errors import IntegrityViolation, InvalidInput
from privault.rights.fulfil import CERTIFICATE_FORMAT, sign_certificate, verify_certificate
from privault.rights.fulfil.certificate import with_proof
from privault.rights.fulfil.package import build_package, open_package, seal_package
from privault.rights.fulfil.render import csv_cell, package_csv, package_html
from privault.rights.fulfil.rules import (
    objection_purposes,
    opt_out_purposes,
    retained_fields,
)
from privault.vault import RecordRead

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "access-package.schema.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = SimpleNamespace(
    id="dsr_" + "0" * 32, type="access", regime="gdpr", received_at=NOW, subject_id="C-1"
)


@pytest.fixture(scope="module")
def datamap() -> DataMap:
    """The starter data map."""
    return parse_datamap(starter_datamap_text())


def record(collection: str, values: dict[str, str], updated: datetime = NOW) -> RecordRead:
    """A decrypted record."""
    return RecordRead(
        id=f"rec_{collection}",
        collection=collection,
        subject_id="C-1",
        region="eu",
        values=values,
        version=1,
        created_at=updated,
        updated_at=updated,
    )


def package(datamap: DataMap, values: dict[str, str]) -> dict[str, Any]:
    """A package of one customer record."""
    return build_package(
        request=REQUEST,
        datamap=datamap,
        records=[record("customers", values)],
        consents=[],
        consent_history=[],
        access_history=[],
        generated_at=NOW,
    )


class TestRetention:
    """Which fields an erasure must keep for a legal obligation."""

    def test_invoice_fields_within_retention_are_kept(self, datamap: DataMap) -> None:
        """billing_address and iban serve invoicing (legal obligation); ip_address does not."""
        kept = retained_fields(
            datamap=datamap,
            handler_purpose="privacy_requests",
            records=[("orders", "rec_1", NOW, ["billing_address", "iban", "ip_address"])],
            now=NOW,
        )
        assert [(k.field, k.purposes) for k in kept] == [
            ("billing_address", ("invoicing",)),
            ("iban", ("invoicing",)),
        ]
        assert kept[1].retain_until == NOW + timedelta(days=730)
        assert "tax authority" in kept[1].reason

    def test_retention_over_means_nothing_kept(self, datamap: DataMap) -> None:
        """Two years and a day after the last update, the IBAN need not be kept."""
        kept = retained_fields(
            datamap=datamap,
            handler_purpose="privacy_requests",
            records=[("orders", "r", NOW, ["iban"])],
            now=NOW + timedelta(days=731),
        )
        assert kept == []

    def test_answering_requests_is_not_a_reason_to_keep(self, datamap: DataMap) -> None:
        """privacy_requests is a legal obligation but not one to keep data past erasure."""
        kept = retained_fields(
            datamap=datamap,
            handler_purpose="privacy_requests",
            records=[("orders", "r", NOW, ["ip_address", "shipping_address"])],
            now=NOW,
        )
        assert kept == []


class TestPurposes:
    """What objection and opt-out may withdraw."""

    def test_objection_covers_consent_and_legitimate_interest(self, datamap: DataMap) -> None:
        """Sorted and deduplicated."""
        assert objection_purposes(datamap, ["marketing", "fraud_prevention", "marketing"]) == [
            "fraud_prevention",
            "marketing",
        ]

    @pytest.mark.parametrize(
        "purposes", [["order_fulfillment"], ["invoicing"], "marketing", [], ["x"] * 65, [1]]
    )
    def test_objection_refuses(self, datamap: DataMap, purposes: object) -> None:
        """Contract and legal-obligation purposes, strings, empty, oversized, non-strings."""
        with pytest.raises(InvalidInput):
            objection_purposes(datamap, purposes)

    def test_opt_out_defaults_to_sale_or_share(self, datamap: DataMap) -> None:
        """No list: every sale-or-share purpose; a purpose outside them is refused."""
        assert opt_out_purposes(datamap, None) == ["marketing"]
        with pytest.raises(InvalidInput):
            opt_out_purposes(datamap, ["analytics"])


class TestRendering:
    """The package as JSON (schema), CSV and HTML."""

    def test_json_matches_the_published_schema(self, datamap: DataMap) -> None:
        """A built package validates; one with an extra key does not."""
        validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
        built = package(datamap, {"email": "a@example.com", "name": "Ada"})
        validator.validate(built)
        assert not validator.is_valid({**built, "extra": 1})
        assert not validator.is_valid({**built, "records": [{"collection": "customers"}]})

    def test_csv_has_one_row_per_field_value(self, datamap: DataMap) -> None:
        """Each field value is a row with purposes, bases and retention."""
        built = package(datamap, {"email": "a@example.com", "phone": "+44 20 7946 0958"})
        rows = list(csv.DictReader(io.StringIO(package_csv(built))))
        assert [row["field"] for row in rows] == ["email", "phone"]
        assert rows[1]["value"] == "+44 20 7946 0958"  # a phone number is not a formula
        assert rows[0]["retention"] == "3y"
        assert "legal_obligation" in rows[0]["legal_bases"]

    @pytest.mark.parametrize(
        "value", ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3*cmd", "\t=1"]
    )
    def test_csv_neutralises_formulas(self, value: str) -> None:
        """Cells a spreadsheet would run get a leading apostrophe."""
        assert csv_cell(value) == "'" + value

    def test_html_escapes_every_value(self, datamap: DataMap) -> None:
        """Markup in a value, the customer id or a consent source is shown, never run."""
        built = package(datamap, {"email": "a@example.com", "name": "<img src=x onerror=a()>"})
        built["subject_id"] = "</p><script>x()</script>"
        page = package_html(built)
        assert "<img" not in page
        assert "<script>" not in page
        assert "&lt;img src=x onerror=a()&gt;" in page


class TestSealing:
    """Packages at rest: AES-GCM bound to the request."""

    def test_round_trip_and_tampering(self, datamap: DataMap) -> None:
        """Opens with its key and request; a flipped bit, another request or key fail."""
        built = package(datamap, {"email": "secret@example.com"})
        key = bytes(range(32))
        sealed = seal_package(built, package_key=key, request_id=REQUEST.id)
        assert b"secret@example.com" not in sealed
        assert open_package(sealed, package_key=key, request_id=REQUEST.id) == built
        flipped = sealed[:20] + bytes([sealed[20] ^ 1]) + sealed[21:]
        for blob, rid, k in [
            (flipped, REQUEST.id, key),
            (sealed, "dsr_other", key),
            (sealed, REQUEST.id, bytes(32)),
            (b"", REQUEST.id, key),
        ]:
            with pytest.raises(IntegrityViolation):
                open_package(blob, package_key=k, request_id=rid)


def _proved(key: Ed25519PrivateKey) -> dict[str, Any]:
    """A signed certificate whose event is leaf 2 of a 5-leaf log, with proof and checkpoint."""
    leaves = [f"event {i}".encode() for i in range(5)]
    hashes = [leaf_hash(data) for data in leaves]
    body = {
        "format": CERTIFICATE_FORMAT,
        "request_id": REQUEST.id,
        "erased_at": NOW.isoformat(),
        "audit_event_id": "evt_0000000000000002",
    }
    checkpoint = CheckpointSigner(key).sign("privault audit log", 5, root_hash(leaves), NOW)
    inclusion = {
        "event_id": "evt_0000000000000002",
        "leaf_index": 2,
        "tree_size": 5,
        "leaf_hash": hashes[2].hex(),
        "root_hash": root_hash(leaves).hex(),
        "proof": [h.hex() for h in inclusion_proof(2, 5, hashes)],
    }
    return with_proof(sign_certificate(body, key), inclusion=inclusion, checkpoint=checkpoint)


class TestCertificate:
    """Signed erasure certificates and their audit proofs."""

    def test_genuine_certificate_verifies(self) -> None:
        """Signature and proof both hold."""
        key = Ed25519PrivateKey.generate()
        assert verify_certificate(_proved(key), key.public_key(), require_proof=True)

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda d: d["certificate"].update(request_id="dsr_" + "1" * 32),
            lambda d: d["certificate"].update(extra=True),
            lambda d: d["signature"].update(key_id="0" * 16),
            lambda d: d["signature"].update(value="!!not base64"),
            lambda d: d["audit_proof"].update(leaf_index=3),
            lambda d: d["audit_proof"].update(event_id="evt_0000000000000003"),
            lambda d: d["audit_proof"]["proof"].pop(),
            lambda d: d["audit_proof"].update(checkpoint="garbage"),
            lambda d: d.pop("signature"),
            lambda d: d.update(certificate=[]),
        ],
    )
    def test_tampered_certificate_fails(self, tamper: Any) -> None:
        """Every alteration of body, signature or proof fails, without raising."""
        key = Ed25519PrivateKey.generate()
        document = _proved(key)
        tampered = copy.deepcopy(document)
        tamper(tampered)
        assert not verify_certificate(tampered, key.public_key())

    def test_other_key_fails(self) -> None:
        """A certificate signed by another key does not verify."""
        document = _proved(Ed25519PrivateKey.generate())
        assert not verify_certificate(document, Ed25519PrivateKey.generate().public_key())

    @pytest.mark.parametrize("document", [None, "text", [], {}, {"certificate": {}}])
    def test_garbage_is_false(self, document: object) -> None:
        """Anything that is not a certificate is simply not valid."""
        assert not verify_certificate(document, Ed25519PrivateKey.generate().public_key())
