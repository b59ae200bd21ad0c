"""Policy rules: deny by default, role x purpose x field -> exactly the view the data map grants."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from privault.datamap import DataMap, FieldType, View, parse_datamap, starter_datamap_text
from privault.errors import InvalidInput, PermissionDenied
from privault.policy import (
    FieldDecision,
    Principal,
    check_consent,
    check_not_restricted,
    check_purpose,
    check_region,
    check_write,
    consent_required,
    decide_field,
    decide_record,
    render,
)
from privault.vault.masking import REDACTED, apply_transform, default_mask_for

STARTER: DataMap = parse_datamap(starter_datamap_text())
# The raw YAML is the oracle: expectations are computed from the file, not from DataMap methods.
RAW: dict[str, Any] = yaml.safe_load(starter_datamap_text())

UNDECLARED_ROLE = "intern"
UNDECLARED_PURPOSE = "profiling"
UNDECLARED_FIELD = ("customers", "shoe_size")
UNDECLARED_COLLECTION = ("payments", "email")

ROLES = [*RAW["roles"], UNDECLARED_ROLE]
PURPOSES = [*RAW["purposes"], UNDECLARED_PURPOSE]
FIELDS = [
    *(
        (collection, field)
        for collection, spec in RAW["collections"].items()
        for field in spec["fields"]
    ),
    UNDECLARED_FIELD,
    UNDECLARED_COLLECTION,
]


def granted_view(role: str, purpose: str, collection: str, field: str) -> str | None:
    """What the starter YAML grants, read straight from the file (None: denied)."""
    role_spec = RAW["roles"].get(role)
    collection_spec = RAW["collections"].get(collection)
    if role_spec is None or purpose not in RAW["purposes"] or collection_spec is None:
        return None
    field_spec = collection_spec["fields"].get(field)
    if field_spec is None or purpose not in role_spec.get("purposes", []):
        return None
    # A field without `purposes` serves every declared purpose.
    if purpose not in field_spec.get("purposes", list(RAW["purposes"])):
        return None
    read = role_spec.get("read", {})
    view = read.get(f"{collection}.{field}", read.get(f"{collection}.*"))
    return None if view in (None, "denied") else str(view)


def principal(role: str, **limits: Any) -> Principal:
    """A principal for ``role`` with a fixed key id."""
    return Principal(key_id="key_test", role=role, **limits)


class TestAuthorizationMatrix:
    """Every role x purpose x field of the starter data map, plus undeclared ones."""

    @pytest.mark.parametrize(
        ("role", "purpose", "collection", "field"),
        [
            (role, purpose, collection, field)
            for role, purpose, (collection, field) in itertools.product(ROLES, PURPOSES, FIELDS)
        ],
    )
    def test_decision_is_exactly_what_the_data_map_grants(
        self, role: str, purpose: str, collection: str, field: str
    ) -> None:
        """decide_field gives the granted view, and None wherever the data map grants nothing."""
        decision = decide_field(
            STARTER, principal(role), purpose=purpose, collection=collection, field=field
        )
        expected = granted_view(role, purpose, collection, field)
        assert decision.view == expected
        assert (decision.reason == "granted") == (expected is not None)
        assert (decision.collection, decision.field) == (collection, field)

    @pytest.mark.parametrize(
        ("role", "purpose", "collection", "field"),
        [
            (role, purpose, collection, field)
            for role, purpose, (collection, field) in itertools.product(ROLES, PURPOSES, FIELDS)
        ],
    )
    def test_decision_agrees_with_view_for_and_allowed_purposes(
        self, role: str, purpose: str, collection: str, field: str
    ) -> None:
        """The decision is the data map's view_for, only for a purpose in allowed_purposes."""
        decision = decide_field(
            STARTER, principal(role), purpose=purpose, collection=collection, field=field
        )
        allowed = (
            collection in STARTER.collections
            and field in STARTER.collections[collection].fields
            and purpose in STARTER.allowed_purposes(role, collection, field)
        )
        assert decision.view == (STARTER.view_for(role, collection, field) if allowed else None)

    def test_the_matrix_holds_grants_and_denials_of_every_view_kind(self) -> None:
        """The oracle is not vacuous: the starter map grants plain, masked, token and transforms."""
        views = {
            granted_view(role, purpose, collection, field)
            for role, purpose, (collection, field) in itertools.product(ROLES, PURPOSES, FIELDS)
        }
        assert {None, "plain", "masked", "token", "email_mask", "year", "bin_last4"} <= views

    def test_a_key_limited_to_some_purposes_is_denied_the_others(self) -> None:
        """A key bound to customer_support on the admin role cannot read for order_fulfillment."""
        limited = principal("admin", purposes=frozenset({"customer_support"}))
        allowed = decide_field(
            STARTER, limited, purpose="customer_support", collection="customers", field="email"
        )
        refused = decide_field(
            STARTER, limited, purpose="order_fulfillment", collection="customers", field="email"
        )
        assert allowed.view is View.MASKED
        assert refused == FieldDecision("customers", "email", None, "purpose_not_granted")

    def test_a_key_cannot_widen_its_role(self) -> None:
        """A key listing a purpose its role lacks does not gain it."""
        widened = principal("support_agent", purposes=frozenset({"customer_support", "marketing"}))
        decision = decide_field(
            STARTER, widened, purpose="marketing", collection="customers", field="email"
        )
        assert decision.view is None
        assert decision.reason == "purpose_not_granted"


class TestDenialReasons:
    """Each denial names its cause as a code, and never a value."""

    @pytest.mark.parametrize(
        ("role", "purpose", "collection", "field", "reason"),
        [
            (UNDECLARED_ROLE, "customer_support", "customers", "email", "unknown_role"),
            ("support_agent", None, "customers", "email", "purpose_required"),
            ("support_agent", "", "customers", "email", "purpose_required"),
            ("support_agent", UNDECLARED_PURPOSE, "customers", "email", "unknown_purpose"),
            ("support_agent", "marketing", "customers", "email", "purpose_not_granted"),
            ("support_agent", "customer_support", "payments", "email", "unknown_collection"),
            ("support_agent", "customer_support", "customers", "shoe_size", "unknown_field"),
            (
                "fraud_analyst",
                "fraud_prevention",
                "customers",
                "address",
                "purpose_not_allowed_for_field",
            ),
            ("fraud_analyst", "fraud_prevention", "customers", "name", "no_view"),
            (
                "support_agent",
                "customer_support",
                "customers",
                "card",
                "purpose_not_allowed_for_field",
            ),
            ("fulfillment", "order_fulfillment", "customers", "card", "no_view"),
        ],
    )
    def test_denial_reason(
        self, role: str, purpose: str | None, collection: str, field: str, reason: str
    ) -> None:
        """The reason code says which rule refused the field."""
        decision = decide_field(
            STARTER, principal(role), purpose=purpose, collection=collection, field=field
        )
        assert decision.view is None
        assert not decision.allowed
        assert decision.reason == reason

    @pytest.mark.parametrize(
        ("purpose", "collection", "field"),
        [
            ("Customer_Support", "customers", "email"),
            ("customer_support ", "customers", "email"),
            ("customer_support", "customers", "*"),
            ("customer_support", "customers.*", "email"),
            ("customer_support", "customers", "email "),
            ("customer_support", "Customers", "email"),
            ("customer_support", "customers", "emai\u0142"),
            ("customer_support", "customers", "__class__"),
            ("customer_support\x00", "customers", "email"),
        ],
    )
    def test_near_miss_names_are_denied(self, purpose: str, collection: str, field: str) -> None:
        """Case, whitespace, wildcards and look-alikes never match a declared name."""
        decision = decide_field(
            STARTER, principal("dpo"), purpose=purpose, collection=collection, field=field
        )
        assert decision.view is None

    @given(
        role=st.text(max_size=80),
        purpose=st.text(max_size=80),
        collection=st.text(max_size=80),
        field=st.text(max_size=80),
    )
    def test_undeclared_names_are_always_denied(
        self, role: str, purpose: str, collection: str, field: str
    ) -> None:
        """Any role, purpose, collection or field name outside the data map is denied."""
        decision = decide_field(
            STARTER, principal(role), purpose=purpose, collection=collection, field=field
        )
        declared = (
            role in STARTER.roles
            and purpose in STARTER.purposes
            and collection in STARTER.collections
            and field in STARTER.collections[collection].fields
        )
        if not declared:
            assert decision.view is None

    def test_reason_never_contains_the_inputs(self) -> None:
        """A hostile purpose, collection or field does not come back in the reason."""
        marker = "ada@example.com"
        for kwargs in (
            {"purpose": marker, "collection": "customers", "field": "email"},
            {"purpose": "privacy_requests", "collection": marker, "field": "email"},
            {"purpose": "privacy_requests", "collection": "customers", "field": marker},
        ):
            decision = decide_field(STARTER, principal("dpo"), **kwargs)
            assert marker not in decision.reason


class TestDecideRecord:
    """A whole record at once."""

    def test_every_field_is_decided_on_its_own(self) -> None:
        """Each field gets the same decision decide_field gives it."""
        fields = list(STARTER.collections["customers"].fields)
        decisions = decide_record(
            STARTER,
            principal("support_agent"),
            purpose="customer_support",
            collection="customers",
            fields=fields,
        )
        assert list(decisions) == fields
        for name, decision in decisions.items():
            assert decision == decide_field(
                STARTER,
                principal("support_agent"),
                purpose="customer_support",
                collection="customers",
                field=name,
            )

    def test_a_field_named_twice_is_decided_once(self) -> None:
        """Duplicates collapse; unknown fields are denied, not dropped."""
        decisions = decide_record(
            STARTER,
            principal("fulfillment"),
            purpose="order_fulfillment",
            collection="customers",
            fields=["name", "name", "shoe_size"],
        )
        assert list(decisions) == ["name", "shoe_size"]
        assert decisions["name"].view is View.PLAIN
        assert decisions["shoe_size"].view is None

    def test_an_empty_record_has_no_decisions(self) -> None:
        """No fields, no decisions."""
        assert (
            decide_record(
                STARTER,
                principal("dpo"),
                purpose="privacy_requests",
                collection="orders",
                fields=[],
            )
            == {}
        )


class TestCheckPurpose:
    """The purpose a read declares."""

    @pytest.mark.parametrize(
        ("role", "purpose"),
        [
            (role, purpose)
            for role, spec in RAW["roles"].items()
            for purpose in spec.get("purposes", [])
        ],
    )
    def test_each_purpose_of_a_role_is_accepted(self, role: str, purpose: str) -> None:
        """Every purpose the data map gives a role is returned as it is."""
        assert check_purpose(STARTER, principal(role), purpose) == purpose

    @pytest.mark.parametrize("purpose", [None, ""])
    def test_a_missing_purpose_is_refused(self, purpose: str | None) -> None:
        """No purpose header: purpose_required."""
        with pytest.raises(PermissionDenied) as caught:
            check_purpose(STARTER, principal("dpo"), purpose)
        assert caught.value.code == "purpose_required"

    def test_an_undeclared_purpose_is_refused_without_echoing_it(self) -> None:
        """An unknown purpose is refused and the caller's text is not repeated."""
        hostile = "x" * 10_000 + "ada@example.com"
        with pytest.raises(PermissionDenied) as caught:
            check_purpose(STARTER, principal("dpo"), hostile)
        assert caught.value.code == "unknown_purpose"
        assert "ada@example.com" not in str(caught.value)
        assert "ada@example.com" not in repr(caught.value.context)

    def test_a_purpose_of_another_role_is_refused(self) -> None:
        """support_agent cannot declare marketing."""
        with pytest.raises(PermissionDenied) as caught:
            check_purpose(STARTER, principal("support_agent"), "marketing")
        assert caught.value.code == "purpose_not_granted"

    def test_a_purpose_outside_the_key_is_refused(self) -> None:
        """A key limited to invoicing cannot declare order_fulfillment, though its role can."""
        limited = principal("admin", purposes=frozenset({"invoicing"}))
        assert check_purpose(STARTER, limited, "invoicing") == "invoicing"
        with pytest.raises(PermissionDenied) as caught:
            check_purpose(STARTER, limited, "order_fulfillment")
        assert caught.value.code == "purpose_not_granted"

    def test_an_undeclared_role_has_no_purpose(self) -> None:
        """A principal whose role is not in the data map is refused every purpose."""
        for purpose in STARTER.purposes:
            with pytest.raises(PermissionDenied):
                check_purpose(STARTER, principal(UNDECLARED_ROLE), purpose)

    def test_the_auditor_has_no_purpose(self) -> None:
        """A role with an empty purpose list is refused every purpose."""
        for purpose in STARTER.purposes:
            with pytest.raises(PermissionDenied):
                check_purpose(STARTER, principal("auditor"), purpose)

    def test_a_non_string_purpose_is_refused(self) -> None:
        """Anything but a string is an unknown purpose."""
        with pytest.raises(PermissionDenied) as caught:
            check_purpose(STARTER, principal("dpo"), ["privacy_requests"])  # type: ignore[arg-type]
        assert caught.value.code == "unknown_purpose"


class TestRegionsWritesRestriction:
    """Regions bound to a key, write rights, restricted customers."""

    def test_an_unbound_key_reads_every_region(self) -> None:
        """regions=None: no region is refused."""
        for region in STARTER.regions:
            check_region(principal("dpo"), region)

    def test_a_bound_key_is_refused_other_regions(self) -> None:
        """A key bound to eu is refused us."""
        eu_only = principal("dpo", regions=frozenset({"eu"}))
        check_region(eu_only, "eu")
        with pytest.raises(PermissionDenied) as caught:
            check_region(eu_only, "us")
        assert caught.value.code == "region_not_granted"

    def test_a_key_bound_to_no_region_reads_none(self) -> None:
        """An empty region set grants nothing."""
        with pytest.raises(PermissionDenied):
            check_region(principal("dpo", regions=frozenset()), "eu")

    @pytest.mark.parametrize(
        ("role", "collection"),
        list(itertools.product(ROLES, [*RAW["collections"], "payments"])),
    )
    def test_write_is_granted_exactly_as_declared(self, role: str, collection: str) -> None:
        """check_write passes only for the collections listed under the role's write."""
        declared = collection in RAW["roles"].get(role, {}).get("write", [])
        if declared:
            check_write(STARTER, principal(role), collection)
        else:
            with pytest.raises(PermissionDenied) as caught:
                check_write(STARTER, principal(role), collection)
            assert caught.value.code == "write_not_granted"

    def test_a_restricted_customer_is_refused_to_every_role(self) -> None:
        """Even the dpo role is refused a restricted customer outside the rights workflow."""
        for role in ROLES:
            with pytest.raises(PermissionDenied) as caught:
                check_not_restricted(principal(role), True)
            assert caught.value.code == "processing_restricted"

    def test_the_rights_workflow_reads_a_restricted_customer(self) -> None:
        """rights_workflow=True passes the restriction check."""
        check_not_restricted(principal("dpo", rights_workflow=True), True)

    def test_an_unrestricted_customer_passes(self) -> None:
        """No restriction, no refusal."""
        check_not_restricted(principal("support_agent"), False)


class TestConsent:
    """Purposes whose legal basis is consent."""

    @pytest.mark.parametrize("purpose", list(RAW["purposes"]))
    def test_consent_is_required_exactly_for_consent_based_purposes(self, purpose: str) -> None:
        """consent_required follows the purpose's basis in the data map."""
        assert consent_required(STARTER, purpose) == (
            RAW["purposes"][purpose]["basis"] == "consent"
        )

    def test_an_undeclared_purpose_is_refused(self) -> None:
        """consent_required does not guess about a purpose it does not know."""
        with pytest.raises(PermissionDenied) as caught:
            consent_required(STARTER, UNDECLARED_PURPOSE)
        assert caught.value.code == "unknown_purpose"

    def test_a_consent_purpose_without_consent_is_refused(self) -> None:
        """marketing without a current consent: consent_missing."""
        with pytest.raises(PermissionDenied) as caught:
            check_consent(STARTER, "marketing", consented=False)
        assert caught.value.code == "consent_missing"

    def test_a_consent_purpose_with_consent_passes(self) -> None:
        """marketing with a current consent is allowed."""
        check_consent(STARTER, "marketing", consented=True)

    def test_a_contract_purpose_needs_no_consent(self) -> None:
        """order_fulfillment rests on the contract: no consent needed."""
        check_consent(STARTER, "order_fulfillment", consented=False)


class TestRender:
    """Showing a value in the view granted."""

    def test_plain_is_the_value(self) -> None:
        """plain returns the value unchanged."""
        assert render(View.PLAIN, "ada@example.com", field_type="email", token="tok_1") == (
            "ada@example.com"
        )

    def test_token_is_the_token(self) -> None:
        """token returns the token, never the value."""
        assert render(View.TOKEN, "ada@example.com", field_type="email", token="tok_eu_1") == (
            "tok_eu_1"
        )

    def test_token_without_a_token_is_refused(self) -> None:
        """A token view with no token is a caller bug, not an empty answer."""
        with pytest.raises(InvalidInput) as caught:
            render(View.TOKEN, "ada@example.com", field_type="email", token=None)
        assert caught.value.code == "token_missing"

    def test_denied_never_renders(self) -> None:
        """The denied view raises instead of showing anything."""
        with pytest.raises(PermissionDenied):
            render(View.DENIED, "ada@example.com", field_type="email", token="tok_1")

    @pytest.mark.parametrize(
        ("field_type", "value"),
        [
            ("email", "ada@example.com"),
            ("phone", "+44 20 7946 0958"),
            ("name", "Ada Lovelace"),
            ("address", "12 High St, London, UK"),
            ("date", "1990-05-17"),
            ("card_number", "4111111111111111"),
            ("iban", "DE89370400440532013000"),
            ("national_id", "123-45-6789"),
            ("ip_address", "192.0.2.17"),
            ("text", "likes cats"),
        ],
    )
    def test_masked_is_the_types_default_mask(self, field_type: str, value: str) -> None:
        """masked applies the default mask of the field's type and hides the value."""
        shown = render(View.MASKED, value, field_type=field_type, token=None)
        assert shown == apply_transform(default_mask_for(field_type), value, field_type=field_type)
        assert shown != value

    @pytest.mark.parametrize(
        ("view", "field_type", "value", "shown"),
        [
            (View.EMAIL_MASK, "email", "ada@example.com", "a***@example.com"),
            (View.LAST4, "phone", "+44 20 7946 0958", "********0958"),
            (View.LAST2, "phone", "+44 20 7946 0958", "**********58"),
            (View.BIN_LAST4, "card_number", "4111 1111 1111 1234", "411111******1234"),
            (View.INITIALS, "name", "Ada Lovelace", "A. L."),
            (View.CITY_COUNTRY, "address", "12 High St, London, UK", "London, UK"),
            (View.YEAR, "date", "1990-05-17", "1990"),
            (View.REDACTED, "text", "likes cats", REDACTED),
        ],
    )
    def test_named_views_apply_their_transform(
        self, view: View, field_type: str, value: str, shown: str
    ) -> None:
        """Each named view shows what its transform keeps."""
        assert render(view, value, field_type=field_type, token=None) == shown

    def test_a_view_that_does_not_fit_the_type_is_refused(self) -> None:
        """initials on an email is refused rather than guessed."""
        with pytest.raises(InvalidInput):
            render(View.INITIALS, "ada@example.com", field_type="email", token=None)

    @given(
        view=st.sampled_from([v for v in View if v not in (View.PLAIN, View.TOKEN, View.DENIED)]),
        field_type=st.sampled_from(list(FieldType)),
        value=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
    )
    def test_masking_views_never_return_the_value(
        self, view: View, field_type: FieldType, value: str
    ) -> None:
        """Every view but plain and token shows something other than the value, or refuses."""
        try:
            shown = render(view, value, field_type=field_type, token=None)
        except InvalidInput:
            return
        assert shown.strip() != value.strip()


class TestDataMapShapes:
    """Rules of the data map the starter does not exercise."""

    DATAMAP = parse_datamap(
        """
version: 1
regions: [eu]
default_region: eu
purposes:
  support: {basis: contract}
collections:
  customers:
    fields:
      email: {type: email, category: user.contact.email}
      card: {type: card_number, category: user.financial.credit_card}
roles:
  agent:
    purposes: [support]
    read:
      customers.*: plain
      customers.card: denied
"""
    )

    def test_an_explicit_denied_wins_over_the_collection_wildcard(self) -> None:
        """`customers.card: denied` beats `customers.*: plain`."""
        card = decide_field(
            self.DATAMAP,
            principal("agent"),
            purpose="support",
            collection="customers",
            field="card",
        )
        email = decide_field(
            self.DATAMAP,
            principal("agent"),
            purpose="support",
            collection="customers",
            field="email",
        )
        assert (card.view, card.reason) == (None, "no_view")
        assert email.view is View.PLAIN


DOC = Path(__file__).resolve().parents[3] / "docs" / "policy.md"
DOC_TEXT = DOC.read_text(encoding="utf-8")


class TestDocs:
    """docs/policy.md: its example runs and it names every view and reason."""

    def test_the_worked_example_runs(self) -> None:
        """Each ```python block of the page runs without error."""
        blocks = re.findall(r"^```python\n(.*?)^```", DOC_TEXT, re.S | re.M)
        assert blocks
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), {})  # noqa: S102 - our own documentation

    def test_every_view_is_documented(self) -> None:
        """The views table names every view of the data map."""
        assert [view for view in View if f"`{view}`" not in DOC_TEXT] == []

    def test_every_denial_reason_is_documented(self) -> None:
        """Every reason decide_field can give appears in the reasons table."""
        reasons = {
            decide_field(
                STARTER, principal(role), purpose=purpose, collection=collection, field=field
            ).reason
            for role, purpose, (collection, field) in itertools.product(ROLES, PURPOSES, FIELDS)
        } | {"purpose_required"}
        assert sorted(r for r in reasons if f"`{r}`" not in DOC_TEXT) == []
