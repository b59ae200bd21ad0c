"""The SDK's record, token and search calls against the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from privault.client import ApiError, Client, NewRecord, StoredRecord

from .conftest import MakeClient

ADA = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "phone": "+44 20 7946 0958",
    "card": "4111111111111111",
}
CANARY = "canary.value@example.com"


def luhn_valid(number: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


@pytest.fixture
def backend(connect: MakeClient) -> Client:
    """The shop's backend: writes records, reads only tokens."""
    return connect("service")


@pytest.fixture
def support(connect: MakeClient) -> Client:
    """A support agent: reads for customer_support, some fields masked."""
    return connect("support_agent")


@pytest.fixture
def ada(backend: Client) -> StoredRecord:
    """Ada's customer record, stored by the backend."""
    return backend.store("customers", "C-1001", ADA)


class TestStore:
    """store and store_many."""

    def test_store_returns_ids_and_a_token_per_field(self, ada: StoredRecord) -> None:
        """Each field gets a token of its kind; the answer holds no value."""
        assert ada.id.startswith("rec_")
        assert (ada.collection, ada.subject_id, ada.region, ada.version) == (
            "customers",
            "C-1001",
            "eu",
            1,
        )
        assert set(ada.tokens) == set(ADA)
        assert ada.tokens["email"].startswith("tok_eu_d_")
        assert ada.tokens["name"].startswith("tok_eu_")
        card = ada.tokens["card"]
        assert (len(card), card[:6], card[-4:]) == (16, "411111", "1111")
        assert not luhn_valid(card)
        assert not set(ADA.values()) & set(ada.tokens.values())
        assert ada.replayed is False

    def test_region_is_honoured(self, backend: Client) -> None:
        """A record stored in the us region gets us tokens."""
        stored = backend.store("customers", "C-2", {"email": "b@example.com"}, region="us")
        assert stored.region == "us"
        assert stored.tokens["email"].startswith("tok_us_d_")

    def test_idempotency_key_replays_then_refuses_other_request(self, backend: Client) -> None:
        """The same key and request replay the first answer; another request is 409."""
        first = backend.store("customers", "C-3", ADA, idempotency_key="signup-C-3")
        again = backend.store("customers", "C-3", ADA, idempotency_key="signup-C-3")
        assert again.replayed is True
        assert again.model_copy(update={"replayed": False}) == first
        with pytest.raises(ApiError) as caught:
            backend.store("customers", "C-4", ADA, idempotency_key="signup-C-3")
        assert (caught.value.status, caught.value.code) == (409, "idempotency_key_reused")

    def test_store_many_answers_per_item_and_keeps_good_items(
        self, backend: Client, connect: MakeClient
    ) -> None:
        """A batch stores the good items and reports the bad ones, in order, without values."""
        result = backend.store_many(
            "customers",
            [
                NewRecord("C-10", {"email": "ten@example.com"}),
                NewRecord("C-11", {"email": CANARY, "shoe_size": "42"}),
                NewRecord("C-12", {"email": "not-an-email-" + CANARY.replace("@", "_")}),
                NewRecord("C-13", {"email": "thirteen@example.com"}, region="us"),
            ],
        )
        assert (result.stored, result.failed) == (2, 2)
        assert [item.index for item in result.results] == [0, 1, 2, 3]
        assert [item.ok for item in result.results] == [True, False, False, True]
        assert [item.status for item in result.results] == [201, 422, 422, 201]
        errors = [item.error for item in result.results if item.error is not None]
        assert [error.code for error in errors] == ["unknown_field", "invalid_value"]
        assert all("canary" not in error.detail for error in errors)
        stored = result.results[3].record
        assert stored is not None
        assert stored.region == "us"
        dpo = connect("dpo")
        assert dpo.get("customers", stored.id, purpose="privacy_requests").fields == {
            "email": "thirteen@example.com"
        }

    def test_store_many_replays_with_idempotency_key(self, backend: Client) -> None:
        """A retried batch with the same key is not stored twice."""
        batch = [NewRecord("C-20", {"email": "x@example.com"})]
        first = backend.store_many("customers", batch, idempotency_key="batch-1")
        again = backend.store_many("customers", batch, idempotency_key="batch-1")
        assert again.replayed is True
        assert again.results == first.results

    def test_invalid_value_error_carries_no_value(self, backend: Client) -> None:
        """A refused value is named by field, never shown."""
        with pytest.raises(ApiError) as caught:
            backend.store("customers", "C-1", {"email": CANARY.replace("@", " at ")})
        assert (caught.value.status, caught.value.code) == (422, "invalid_value")
        assert "canary" not in str(caught.value)

    def test_role_without_write_is_403(self, support: Client) -> None:
        """A support agent cannot store records."""
        with pytest.raises(ApiError) as caught:
            support.store("customers", "C-1", ADA)
        assert caught.value.status == 403

    def test_oversized_body_is_413_without_echo(self, backend: Client) -> None:
        """A body over the server's limit is refused before it is read."""
        with pytest.raises(ApiError) as caught:
            backend.store("customers", "C-1", {"name": "A" * (2 << 20)})
        assert (caught.value.status, caught.value.code) == (413, "payload_too_large")
        assert "AAAA" not in str(caught.value)

    def test_undeclared_collection_is_refused(self, backend: Client) -> None:
        """Nothing is stored in a collection the data map does not declare."""
        with pytest.raises(ApiError) as caught:
            backend.store("wishlists", "C-1", {"email": "a@example.com"})
        assert caught.value.status in (403, 404, 422)


class TestGet:
    """get: each field in the view the role is granted for the purpose."""

    def test_support_agent_sees_the_granted_views(self, support: Client, ada: StoredRecord) -> None:
        """Email masked, name plain, phone last digits; the card withheld by name."""
        record = support.get("customers", ada.id, purpose="customer_support")
        assert (record.id, record.subject_id, record.version) == (ada.id, "C-1001", 1)
        assert record.views == {"email": "email_mask", "name": "plain", "phone": "last4"}
        assert record.fields["name"] == "Ada Lovelace"
        assert record.fields["email"] != ADA["email"]
        assert record.fields["email"].endswith("@example.com")
        assert record.fields["phone"].endswith("0958")
        assert record.fields["phone"] != ADA["phone"]
        assert record.withheld == ("card",)
        assert record.created_at <= record.updated_at

    def test_backend_reads_tokens_only(self, backend: Client, ada: StoredRecord) -> None:
        """The service role sees every field as its token."""
        record = backend.get("customers", ada.id, purpose="order_fulfillment")
        assert set(record.views.values()) == {"token"}
        assert record.fields["email"] == ada.tokens["email"]

    def test_fields_narrow_the_answer(self, support: Client, ada: StoredRecord) -> None:
        """fields=[...] returns only those fields."""
        record = support.get("customers", ada.id, purpose="customer_support", fields=["name"])
        assert record.fields == {"name": "Ada Lovelace"}

    def test_asking_for_a_withheld_field_is_403(self, support: Client, ada: StoredRecord) -> None:
        """Asking explicitly for a field the policy denies is refused."""
        with pytest.raises(ApiError) as caught:
            support.get("customers", ada.id, purpose="customer_support", fields=["card"])
        assert caught.value.status == 403

    @pytest.mark.parametrize(
        ("purpose", "code"),
        [("marketing", "purpose_not_granted"), ("telepathy", "unknown_purpose")],
    )
    def test_purpose_not_granted_is_403(
        self, support: Client, ada: StoredRecord, purpose: str, code: str
    ) -> None:
        """A purpose the role does not hold, or the data map does not declare, is 403."""
        with pytest.raises(ApiError) as caught:
            support.get("customers", ada.id, purpose=purpose)
        assert (caught.value.status, caught.value.code) == (403, code)

    def test_key_narrowed_to_purposes(self, connect: MakeClient, ada: StoredRecord) -> None:
        """A key limited to one purpose of its role may not read for another."""
        narrow = connect("admin", purposes=["invoicing"])
        assert narrow.get("customers", ada.id, purpose="invoicing").id == ada.id
        with pytest.raises(ApiError) as caught:
            narrow.get("customers", ada.id, purpose="customer_support")
        assert caught.value.code == "purpose_not_granted"

    def test_unknown_record_is_404_and_malformed_id_422(self, support: Client) -> None:
        """A well-formed unknown id is 404; a malformed one 422."""
        with pytest.raises(ApiError) as caught:
            support.get("customers", "rec_" + "0" * 32, purpose="customer_support")
        assert caught.value.status == 404
        with pytest.raises(ApiError) as caught:
            support.get("customers", "rec_../../v1/detokenize", purpose="customer_support")
        assert caught.value.status in (404, 422)


class TestUpdateDelete:
    """update and delete."""

    def test_update_changes_fields_and_version(
        self, backend: Client, connect: MakeClient, ada: StoredRecord
    ) -> None:
        """A change bumps the version and re-tokenises; None removes a field."""
        changed = backend.update(
            "customers", ada.id, {"email": "ada@lovelace.example", "phone": None}
        )
        assert changed.version == 2
        assert changed.tokens["email"] != ada.tokens["email"]
        assert "phone" not in changed.tokens
        record = connect("dpo").get("customers", ada.id, purpose="privacy_requests")
        assert record.fields["email"] == "ada@lovelace.example"
        assert "phone" not in record.fields

    def test_expected_version_mismatch_is_409(self, backend: Client, ada: StoredRecord) -> None:
        """An update made against an old version is refused."""
        backend.update("customers", ada.id, {"name": "Ada King"}, expected_version=1)
        with pytest.raises(ApiError) as caught:
            backend.update("customers", ada.id, {"name": "Ada Byron"}, expected_version=1)
        assert (caught.value.status, caught.value.code) == (409, "version_mismatch")

    def test_delete_makes_record_and_tokens_unreadable(
        self, backend: Client, connect: MakeClient, ada: StoredRecord
    ) -> None:
        """After delete: get is 404, every token is not_found, search finds nothing."""
        backend.delete("customers", ada.id)
        dpo = connect("dpo")
        with pytest.raises(ApiError) as caught:
            dpo.get("customers", ada.id, purpose="privacy_requests")
        assert caught.value.status == 404
        results = dpo.detokenize(list(ada.tokens.values()), purpose="privacy_requests")
        assert {result.error for result in results} == {"not_found"}
        assert all(result.value is None for result in results)
        assert dpo.search("customers", "email", ADA["email"], purpose="privacy_requests") == []
        with pytest.raises(ApiError) as caught:
            backend.delete("customers", ada.id)
        assert caught.value.status == 404


class TestDetokenizeSearch:
    """detokenize and search."""

    def test_detokenize_in_order_with_views_and_errors(
        self, support: Client, ada: StoredRecord
    ) -> None:
        """Each token answers in its granted view, or with a per-token error, in order."""
        forged = "tok_eu_" + "a" * 32
        tokens = [ada.tokens["name"], ada.tokens["card"], forged, ada.tokens["email"]]
        results = support.detokenize(tokens, purpose="customer_support")
        assert [result.token for result in results] == tokens
        name, card, unknown, email = results
        assert (name.value, name.view, name.field, name.record_id) == (
            "Ada Lovelace",
            "plain",
            "name",
            ada.id,
        )
        assert (card.ok, card.error, card.value) == (False, "field_not_granted", None)
        assert unknown.error == "not_found"
        assert email.view == "email_mask"
        assert email.value != ADA["email"]

    def test_too_many_tokens_is_422(self, support: Client) -> None:
        """The server's batch limit (1,000 tokens) surfaces as 422."""
        with pytest.raises(ApiError) as caught:
            support.detokenize(["tok_eu_x"] * 1001, purpose="customer_support")
        assert caught.value.status == 422

    def test_search_by_normalised_value(self, support: Client, ada: StoredRecord) -> None:
        """Search normalises like storage and answers ids and tokens, never values."""
        matches = support.search(
            "customers", "email", "  ADA@Example.com ", purpose="customer_support"
        )
        assert [(m.record_id, m.subject_id, m.token) for m in matches] == [
            (ada.id, "C-1001", ada.tokens["email"])
        ]

    def test_search_on_unsearchable_or_ungranted_field_is_refused(
        self, support: Client, connect: MakeClient, ada: StoredRecord
    ) -> None:
        """A field without a blind index is 422; one the role may not see is 403."""
        with pytest.raises(ApiError) as caught:
            support.search("customers", "address", "London", purpose="customer_support")
        assert caught.value.status == 422
        fraud = connect("fraud_analyst")
        with pytest.raises(ApiError) as caught:
            fraud.search("customers", "name", "Ada Lovelace", purpose="fraud_prevention")
        assert caught.value.status == 403


class TestConsentTakesEffect:
    """A consent-based purpose reads only customers who consented, from the next request."""

    def test_withdrawal_takes_effect_on_next_request(
        self, backend: Client, connect: MakeClient, ada: StoredRecord
    ) -> None:
        """Without consent 403; with it the marketing view; withdrawn, 403 again."""
        marketing = connect("marketing")
        with pytest.raises(ApiError) as caught:
            marketing.get("customers", ada.id, purpose="marketing")
        assert (caught.value.status, caught.value.code) == (403, "consent_missing")

        backend.grant_consent("C-1001", "marketing", source="web", notice_version="2026-01")
        record = marketing.get("customers", ada.id, purpose="marketing")
        assert record.fields == {"email": "ada@example.com", "name": "A. L."}
        assert record.views == {"email": "plain", "name": "initials"}
        assert record.withheld == ("phone", "card")
        [email] = marketing.detokenize([ada.tokens["email"]], purpose="marketing")
        assert email.value == "ada@example.com"

        backend.withdraw_consent("C-1001", "marketing")
        with pytest.raises(ApiError) as caught:
            marketing.get("customers", ada.id, purpose="marketing")
        assert caught.value.code == "consent_missing"
        [email] = marketing.detokenize([ada.tokens["email"]], purpose="marketing")
        assert (email.error, email.value) == ("consent_missing", None)
