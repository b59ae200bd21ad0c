"""Completing access, portability and erasure requests: sealed packages behind single-use links,
crypto-shredding with a signed certificate — all or nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
from sqlalchemy import select

from privault.audit.models import AuditEvent
from privault.consent import consent_history
from privault.errors import Conflict, IntegrityViolation, NotFound, PermissionDenied
from privault.rights import open_request
from privault.rights.fulfil import (
    certificate_of,
    issue_link,
    verify_certificate,
)
from privault.rights.fulfil import service as fulfil_service
from privault.rights.fulfil.models import AccessPackage, DownloadLink, ErasureCertificate
from privault.vault import Vault

from .fulfilment import (
    ACTOR,
    EMAIL,
    SCHEMA,
    SUBJECT,
    T0,
    T1,
    download,
    finish,
    rows,
    started,
    state,
)


class TestAccess:
    """Access and portability: the package, sealed, behind single-use expiring links."""

    def test_package_holds_everything_and_matches_the_schema(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Records decrypted, per-field purposes/bases/retention, consents, access history."""
        request_id = started(vault, "access")
        done = finish(vault, request_id)
        assert done.link is not None
        assert state(vault, request_id) == "completed"
        package = json.loads(download(vault, request_id, done.link.token))
        jsonschema_rs.validator_for(json.loads(SCHEMA.read_text())).validate(package)
        values = {(r["collection"], f["field"]): f for r in package["records"] for f in r["fields"]}
        assert values["customers", "email"]["value"] == EMAIL
        assert values["orders", "iban"]["retention"] == "2y"
        assert {p["purpose"]: p["basis"] for p in values["orders", "iban"]["purposes"]}[
            "invoicing"
        ] == "legal_obligation"
        assert {r["record_id"] for r in package["records"]} == {
            customer["person"],
            customer["order"],
        }
        assert [c["purpose"] for c in package["consents"]] == ["marketing"]
        assert package["consent_history"][0]["notice_version"] == "v3"
        reads = [a for a in package["access_history"] if a["operation"] == "record.read"]
        assert reads
        assert reads[0]["fields"] == ["email", "name", "phone"]

    def test_package_is_sealed_at_rest(self, vault: Vault, customer: dict[str, str]) -> None:
        """The stored package holds no plaintext; the link table holds only a hash."""
        request_id = started(vault, "portability")
        done = finish(vault, request_id)
        assert done.link is not None
        with vault.session() as s:
            sealed = s.get(AccessPackage, request_id)
            link = s.scalars(select(DownloadLink)).one()
            assert sealed is not None
            assert EMAIL.encode() not in sealed.sealed
            assert done.link.token.encode() not in link.token_hash

    def test_link_works_once(self, vault: Vault, customer: dict[str, str]) -> None:
        """A second download with the same token is refused."""
        request_id = started(vault, "access")
        done = finish(vault, request_id)
        assert done.link is not None
        download(vault, request_id, done.link.token, "csv")
        with pytest.raises(PermissionDenied) as refused:
            download(vault, request_id, done.link.token)
        assert refused.value.code == "link_used"

    def test_link_expires(self, vault: Vault, customer: dict[str, str]) -> None:
        """After its lifetime the link is refused, and stays unspent."""
        request_id = started(vault, "access")
        done = finish(vault, request_id)
        assert done.link is not None
        with pytest.raises(PermissionDenied) as refused:
            download(vault, request_id, done.link.token, at=done.link.expires_at)
        assert refused.value.code == "link_expired"

    @pytest.mark.parametrize("token", ["pkg_forged", "", "x" * 5000, "pkg_" + "A" * 43])
    def test_unknown_or_hostile_token_is_not_found(
        self, vault: Vault, customer: dict[str, str], token: str
    ) -> None:
        """Forged, empty and oversized tokens get the same NotFound."""
        request_id = started(vault, "access")
        finish(vault, request_id)
        with pytest.raises(NotFound):
            download(vault, request_id, token)

    def test_token_of_another_request_is_not_found(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """A link opens only its own request's package."""
        first = started(vault, "access")
        done = finish(vault, first)
        second = started(vault, "access", subject="C-2002")
        finish(vault, second)
        assert done.link is not None
        with pytest.raises(NotFound):
            download(vault, second, done.link.token)

    def test_tampered_package_is_refused(self, vault: Vault, customer: dict[str, str]) -> None:
        """A flipped byte in the stored package is an IntegrityViolation, not garbage."""
        request_id = started(vault, "access")
        done = finish(vault, request_id)
        assert done.link is not None
        with vault.session() as s:
            row = s.get(AccessPackage, request_id)
            assert row is not None
            row.sealed = row.sealed[:-1] + bytes([row.sealed[-1] ^ 1])
        with pytest.raises(IntegrityViolation):
            download(vault, request_id, done.link.token)

    def test_new_link_after_completion(self, vault: Vault, customer: dict[str, str]) -> None:
        """Another link can be issued; a request without a package has none."""
        request_id = started(vault, "access")
        finish(vault, request_id)
        with vault.session() as s:
            link = issue_link(
                db_session=s, audit=vault.audit, request_id=request_id, at=T1, actor=ACTOR
            )
        assert "<td>" in download(vault, request_id, link.token, "html")
        restriction = started(vault, "restriction")
        with vault.session() as s, pytest.raises(Conflict):
            issue_link(db_session=s, audit=vault.audit, request_id=restriction, at=T1, actor=ACTOR)

    def test_customer_without_records_gets_an_empty_package(self, vault: Vault) -> None:
        """Nothing stored: the package says so instead of failing."""
        request_id = started(vault, "access", subject="C-9999")
        done = finish(vault, request_id)
        assert done.done["records"] == 0

    def test_failure_while_packaging_rolls_back_the_completion(
        self, vault: Vault, customer: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A crash while sealing leaves the request in progress and no package or link."""

        def broken(*_: object, **__: object) -> bytes:
            raise RuntimeError("disk on fire")

        request_id = started(vault, "access")
        monkeypatch.setattr(fulfil_service, "seal_package", broken)
        with pytest.raises(RuntimeError):
            finish(vault, request_id)
        assert state(vault, request_id) == "in_progress"
        assert rows(vault, AccessPackage) == rows(vault, DownloadLink) == 0


class TestErasure:
    """Erasure: crypto-shred, consent forgotten, signed certificate with the audit proof."""

    def test_everything_is_gone_and_the_certificate_verifies(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Records, tokens and consents gone; the other customer untouched; certificate signed."""
        stored = vault.put("customers", SUBJECT, {"email": "ada2@example.com"})
        token = stored.tokens.get("email") or ""
        request_id = started(vault, "erasure")
        done = finish(vault, request_id)
        certificate = done.certificate
        assert certificate is not None
        public = vault.keys.audit_signing_key().public_key()
        assert verify_certificate(certificate, public)
        body = certificate["certificate"]
        assert body["erased"]["records"] == 3
        assert body["erased"]["crypto_shredded"]
        assert body["request_id"] == request_id
        assert EMAIL not in json.dumps(certificate)
        with pytest.raises(NotFound):
            vault.export_subject(SUBJECT)
        if token:
            with pytest.raises(NotFound):
                vault.detokenize(token)
        assert vault.get("customers", customer["other"]).values["email"] == "bob@example.com"
        with vault.session() as s:
            assert consent_history(db_session=s, subject_id=SUBJECT) == []
        assert vault.search("customers", "email", EMAIL) == []

    def test_earlier_access_packages_go_too(self, vault: Vault, customer: dict[str, str]) -> None:
        """A package sealed before the erasure is deleted with its links."""
        access = started(vault, "access")
        link = finish(vault, access).link
        assert link is not None
        done = finish(vault, started(vault, "erasure"))
        assert done.certificate is not None
        assert done.certificate["certificate"]["erased"]["access_packages"] == 1
        assert rows(vault, AccessPackage) == rows(vault, DownloadLink) == 0
        with pytest.raises(NotFound):
            download(vault, access, link.token)

    def test_legal_obligation_fields_are_listed_with_their_reason(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Invoice data is named with purpose, reason and end of retention, and kept."""
        done = finish(vault, started(vault, "erasure"))
        assert done.certificate is not None
        listed = {
            (i["collection"], i["field"]): i
            for i in done.certificate["certificate"]["legal_obligation_fields"]
        }
        assert ("orders", "billing_address") in listed
        assert ("orders", "iban") in listed
        assert listed["orders", "iban"]["purposes"] == ["invoicing"]
        assert "tax authority" in listed["orders", "iban"]["reason"]
        assert ("customers", "phone") not in listed  # no legal-obligation purpose
        assert listed["orders", "iban"]["kept"] is True

    def test_certificate_gains_its_proof_once_checkpointed(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Without a checkpoint: signed, no proof. After one: the proof verifies."""
        request_id = started(vault, "erasure")
        finish(vault, request_id)
        public = vault.keys.audit_signing_key().public_key()
        with vault.session() as s:
            early = certificate_of(db_session=s, audit=vault.audit, request_id=request_id)
        assert "audit_proof" not in early
        assert not verify_certificate(early, public, require_proof=True)
        assert vault.audit.checkpoint(sessions=vault.session) is not None
        with vault.session() as s:
            proved = certificate_of(db_session=s, audit=vault.audit, request_id=request_id)
            event = s.scalars(
                select(AuditEvent).where(AuditEvent.id == proved["certificate"]["audit_event_id"])
            ).one()
        assert event.operation == "subject.erase"
        assert request_id in (event.detail or "")
        assert verify_certificate(proved, public, require_proof=True)

    @pytest.mark.parametrize(
        "path",
        [
            ("certificate", "erased_at"),
            ("certificate", "request_id"),
            ("signature", "value"),
            ("audit_proof", "leaf_hash"),
            ("audit_proof", "root_hash"),
        ],
    )
    def test_tampered_certificate_fails(
        self, vault: Vault, customer: dict[str, str], path: tuple[str, str]
    ) -> None:
        """Any change to the signed body, the signature or the proof fails verification."""
        request_id = started(vault, "erasure")
        finish(vault, request_id)
        vault.audit.checkpoint(sessions=vault.session)
        with vault.session() as s:
            document = certificate_of(db_session=s, audit=vault.audit, request_id=request_id)
        part, key = path
        text = document[part][key]
        document[part][key] = ("0" if text[0] != "0" else "1") + text[1:]
        assert not verify_certificate(document, vault.keys.audit_signing_key().public_key())

    def test_erasure_before_approval_erases_nothing(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """A request not in progress cannot complete; the customer is untouched."""
        with vault.session() as s:
            request = open_request(
                db_session=s,
                audit=vault.audit,
                subject_id=SUBJECT,
                request_type="erasure",
                regime="gdpr",
                at=T0,
                actor=ACTOR,
            ).request
        with pytest.raises(Conflict):
            finish(vault, request.id)
        assert len(vault.export_subject(SUBJECT).records) == 2
        assert rows(vault, ErasureCertificate) == 0

    def test_customer_with_nothing_stored_still_gets_a_certificate(self, vault: Vault) -> None:
        """Nothing to shred: the certificate says no records and no key."""
        done = finish(vault, started(vault, "erasure", subject="C-0000"))
        assert done.certificate is not None
        assert done.certificate["certificate"]["erased"]["records"] == 0
        assert not done.certificate["certificate"]["erased"]["crypto_shredded"]
