"""The typed data map: retention, views and the lookups the policy engine uses."""

from __future__ import annotations

import pytest

from privault.datamap import (
    VIEW_TYPES,
    DataMap,
    DataMapError,
    DataMapIssue,
    FieldType,
    Retention,
    View,
    parse_datamap,
    starter_datamap_text,
    view_fits,
)
from privault.errors import InvalidInput, NotFound


@pytest.fixture(scope="module")
def starter() -> DataMap:
    """The starter data map, parsed once."""
    return parse_datamap(starter_datamap_text())


class TestRetention:
    """Parsing retention durations."""

    @pytest.mark.parametrize(
        ("text", "days"), [("1d", 1), ("30d", 30), ("2w", 14), ("6m", 180), ("3y", 1095)]
    )
    def test_units_convert_to_days(self, text: str, days: int) -> None:
        """d, w, m (30 days) and y (365 days) convert to a whole number of days."""
        retention = Retention.parse(text)
        assert (retention.text, retention.days, retention.period.days) == (text, days, days)

    @pytest.mark.parametrize("text", ["3 years", "0d", "3", "d", "-1d", "1.5y", "3Y", "3y ", ""])
    def test_malformed_is_refused(self, text: str) -> None:
        """Anything but a positive whole number followed by one unit letter is refused."""
        with pytest.raises(ValueError, match="invalid retention"):
            Retention.parse(text)

    def test_more_than_a_century_is_refused(self) -> None:
        """A retention above 100 years is refused as a likely mistake."""
        with pytest.raises(ValueError, match="longer than 100 years"):
            Retention.parse("101y")

    def test_serialises_as_its_text(self, starter: DataMap) -> None:
        """A model dump writes a retention back as the text it was read from."""
        dumped = starter.model_dump(mode="json")
        assert dumped["collections"]["orders"]["fields"]["ip_address"]["retention"] == "90d"


class TestViews:
    """Which views fit which field types."""

    @pytest.mark.parametrize("view", [View.PLAIN, View.MASKED, View.TOKEN, View.REDACTED])
    def test_generic_views_fit_every_type(self, view: View) -> None:
        """plain, masked, token and redacted apply to every type."""
        assert all(view_fits(view, field_type) for field_type in FieldType)

    @pytest.mark.parametrize(
        ("view", "fits", "misfits"),
        [
            (View.LAST4, FieldType.CARD_NUMBER, FieldType.EMAIL),
            (View.BIN_LAST4, FieldType.IBAN, FieldType.NAME),
            (View.INITIALS, FieldType.NAME, FieldType.ADDRESS),
            (View.CITY_COUNTRY, FieldType.ADDRESS, FieldType.TEXT),
            (View.YEAR, FieldType.DATE, FieldType.PHONE),
            (View.EMAIL_MASK, FieldType.EMAIL, FieldType.TEXT),
        ],
    )
    def test_transform_fits_only_its_types(
        self, view: View, fits: FieldType, misfits: FieldType
    ) -> None:
        """A named transform fits the types it was made for and no other."""
        assert (view_fits(view, fits), view_fits(view, misfits)) == (True, False)

    def test_every_restricted_view_fits_some_type(self) -> None:
        """No view is restricted to an empty set of types."""
        assert all(VIEW_TYPES.values())


class TestLookups:
    """DataMap lookups: fields, views, purposes, writes and regions."""

    def test_field_returns_spec(self, starter: DataMap) -> None:
        """field() returns the declared spec."""
        assert starter.field("customers", "card").type is FieldType.CARD_NUMBER

    @pytest.mark.parametrize(
        ("collection", "field", "code"),
        [("customers", "ssn", "unknown_field"), ("payments", "card", "unknown_collection")],
    )
    def test_field_raises_not_found(
        self, starter: DataMap, collection: str, field: str, code: str
    ) -> None:
        """field() raises NotFound for an undeclared field or collection."""
        with pytest.raises(NotFound) as caught:
            starter.field(collection, field)
        assert caught.value.code == code

    def test_explicit_entry_wins_over_star(self) -> None:
        """An entry naming the field wins over the collection's '*' entry."""
        datamap = _with_reads({"customers.*": "masked", "customers.name": "plain"})
        assert datamap.view_for("r", "customers", "name") is View.PLAIN
        assert datamap.view_for("r", "customers", "email") is View.MASKED

    def test_denied_entry_overrides_star_and_reads_as_none(self) -> None:
        """A 'denied' entry takes the field out of a '*' grant; view_for returns None."""
        datamap = _with_reads({"customers.*": "plain", "customers.email": "denied"})
        assert datamap.view_for("r", "customers", "email") is None

    @pytest.mark.parametrize(
        ("role", "collection", "field"),
        [
            ("auditor", "customers", "email"),
            ("nobody", "customers", "email"),
            ("dpo", "customers", "ssn"),
            ("dpo", "payments", "card"),
            ("fulfillment", "customers", "card"),
        ],
    )
    def test_ungranted_reads_are_none(
        self, starter: DataMap, role: str, collection: str, field: str
    ) -> None:
        """Unknown roles, undeclared fields and unlisted fields are not granted."""
        assert starter.view_for(role, collection, field) is None

    def test_allowed_purposes_are_the_overlap(self, starter: DataMap) -> None:
        """A role may read a field for the purposes both the role and the field have."""
        assert starter.allowed_purposes("admin", "orders", "ip_address") == {
            "fraud_prevention",
            "privacy_requests",
        }
        assert starter.allowed_purposes("auditor", "orders", "ip_address") == frozenset()

    def test_can_write_follows_write_list(self, starter: DataMap) -> None:
        """Only roles listing a collection under 'write' may write it."""
        assert starter.can_write("service", "orders")
        assert not starter.can_write("support_agent", "customers")
        assert not starter.can_write("nobody", "customers")

    def test_region_or_default(self, starter: DataMap) -> None:
        """None picks the default region; a declared region is returned as is."""
        assert (starter.region_or_default(None), starter.region_or_default("us")) == ("eu", "us")

    def test_unknown_region_is_invalid_input(self, starter: DataMap) -> None:
        """An undeclared region is refused with a suggestion."""
        with pytest.raises(InvalidInput, match=r"unknown region 'EU' \(did you mean 'eu'\?\)"):
            starter.region_or_default("EU")


def test_datamap_built_in_code_is_checked(starter: DataMap) -> None:
    """A DataMap built in Python is held to the same cross-reference rules as a file."""
    parts = starter.model_dump()
    parts["default_region"] = "mars"
    with pytest.raises(DataMapError) as caught:
        DataMap(**parts)
    assert [str(i) for i in caught.value.issues] == [
        "default_region: unknown region 'mars' (expected one of: eu, us)"
    ]


def test_issue_str_is_path_and_message() -> None:
    """str() of an issue is 'path: message', whatever its position."""
    assert str(DataMapIssue("regions", "declare at least one region", 3, 1)) == (
        "regions: declare at least one region"
    )


def _with_reads(read: dict[str, str]) -> DataMap:
    return parse_datamap(
        "version: 1\nregions: [eu]\npurposes: {p: {basis: contract}}\n"
        "collections:\n  customers:\n    fields:\n"
        "      email: {type: email, category: user.contact.email}\n"
        "      name: {type: name, category: user.name}\n"
        f"roles:\n  r: {{purposes: [p], read: {read}}}\n"
    )
