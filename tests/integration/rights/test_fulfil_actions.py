"""Completion actions: rectification, restriction, objection and opt-out — all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from privault.audit.models import AuditEvent
from privault.consent import current_consent, is_restricted
from privault.errors import InvalidInput, NotFound
from privault.rights.fulfil import FieldChange
from privault.vault import Vault

from .fulfilment import SUBJECT, finish, started, state


class TestOtherTypes:
    """Rectification, restriction, objection and opt-out as completion actions."""

    def test_rectification_updates_fields(self, vault: Vault, customer: dict[str, str]) -> None:
        """New values are stored, re-encrypted and searchable by the new value."""
        request_id = started(vault, "rectification")
        change = FieldChange("customers", customer["person"], {"email": "ada@new.example"})
        done = finish(vault, request_id, changes=[change])
        assert done.done["fields"] == ["customers.email"]
        assert vault.get("customers", customer["person"]).values["email"] == "ada@new.example"
        assert len(vault.search("customers", "email", "ada@new.example")) == 1

    def test_rectification_of_another_customers_record_changes_nothing(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """The first change is rolled back with the failing second; the request stays open."""
        request_id = started(vault, "rectification")
        changes = [
            FieldChange("customers", customer["person"], {"name": "Ada King"}),
            FieldChange("customers", customer["other"], {"email": "evil@example.com"}),
        ]
        with pytest.raises(NotFound):
            finish(vault, request_id, changes=changes)
        assert vault.get("customers", customer["person"]).values["name"] == "Ada <b>Lovelace</b>"
        assert vault.get("customers", customer["other"]).values["email"] == "bob@example.com"
        assert state(vault, request_id) == "in_progress"

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            (None, "invalid_changes"),
            ([], "invalid_changes"),
            ([FieldChange("customers", "rec_x", {})], "invalid_changes"),
        ],
    )
    def test_rectification_needs_changes(
        self, vault: Vault, changes: list[FieldChange] | None, code: str
    ) -> None:
        """Missing or empty corrections are refused before anything moves."""
        request_id = started(vault, "rectification")
        with pytest.raises(InvalidInput) as refused:
            finish(vault, request_id, changes=changes)
        assert refused.value.code == code
        assert state(vault, request_id) == "in_progress"

    def test_invalid_value_rolls_back(self, vault: Vault, customer: dict[str, str]) -> None:
        """A value the field's type refuses is InvalidInput; nothing changes."""
        request_id = started(vault, "rectification")
        change = FieldChange("customers", customer["person"], {"email": "not an email"})
        with pytest.raises(InvalidInput):
            finish(vault, request_id, changes=[change])
        assert state(vault, request_id) == "in_progress"

    def test_restriction_restricts_processing(self, vault: Vault) -> None:
        """The customer is restricted once the request completes."""
        finish(vault, started(vault, "restriction"))
        with vault.session() as s:
            assert is_restricted(db_session=s, subject_id=SUBJECT)

    def test_objection_withdraws_the_named_purposes(
        self, vault: Vault, customer: dict[str, str]
    ) -> None:
        """Objecting to marketing and fraud prevention withdraws both."""
        done = finish(
            vault, started(vault, "objection"), purposes=["marketing", "fraud_prevention"]
        )
        assert done.done["purposes"] == ["fraud_prevention", "marketing"]
        with vault.session() as s:
            marketing = current_consent(db_session=s, subject_id=SUBJECT, purpose="marketing")
        assert marketing is not None
        assert not marketing.granted

    @pytest.mark.parametrize(
        ("purposes", "code"),
        [
            (None, "purposes_required"),
            (["invoicing"], "purpose_not_objectable"),
            (["nope"], "unknown_purpose"),
            ([], "invalid_purposes"),
        ],
    )
    def test_objection_refuses_what_it_cannot_cover(
        self, vault: Vault, purposes: list[str] | None, code: str
    ) -> None:
        """No purposes, a legal-obligation purpose or an unknown one: refused, still open."""
        request_id = started(vault, "objection")
        with pytest.raises(InvalidInput) as refused:
            finish(vault, request_id, purposes=purposes)
        assert refused.value.code == code
        assert state(vault, request_id) == "in_progress"

    def test_opt_out_withdraws_sale_or_share_purposes(self, vault: Vault) -> None:
        """Without purposes, every sale-or-share purpose is withdrawn."""
        done = finish(vault, started(vault, "opt_out"))
        assert done.done["purposes"] == ["marketing"]
        with pytest.raises(InvalidInput):
            finish(vault, started(vault, "opt_out", subject="C-2"), purposes=["analytics"])

    def test_inputs_of_another_type_are_refused(self, vault: Vault) -> None:
        """Changes on an access request, purposes on an erasure: refused."""
        with pytest.raises(InvalidInput):
            finish(vault, started(vault, "access"), changes=[])
        with pytest.raises(InvalidInput):
            finish(vault, started(vault, "erasure"), purposes=["marketing"])

    def test_actions_are_audited(self, vault: Vault, customer: dict[str, str]) -> None:
        """Each action writes its audit event, naming the request, never the customer id."""
        request_id = started(vault, "restriction")
        finish(vault, request_id)
        with vault.session() as s:
            event = s.scalars(
                select(AuditEvent).where(AuditEvent.operation == "consent.restrict")
            ).one()
        assert request_id in (event.detail or "")
        assert SUBJECT not in (event.detail or "")
