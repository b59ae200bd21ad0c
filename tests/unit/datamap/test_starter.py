"""The starter data map written by `privault init`."""

from __future__ import annotations

import privault.datamap
from privault.datamap import LegalBasis, TokenKind, parse_datamap, starter_datamap_text

CSV_COLUMNS = ["email", "name", "phone", "address", "birth_date", "card"]


def test_starter_validates_cleanly() -> None:
    """The starter data map parses with no issue."""
    assert parse_datamap(starter_datamap_text()).regions == ("eu", "us")


def test_customers_fields_match_synthetic_csv_columns() -> None:
    """The customers collection declares exactly the synthetic CSV's data columns, in order."""
    datamap = parse_datamap(starter_datamap_text())
    assert list(datamap.collections["customers"].fields) == CSV_COLUMNS


def test_starter_tokens_and_search() -> None:
    """Email is searchable with deterministic tokens; the card keeps a card-shaped token."""
    fields = parse_datamap(starter_datamap_text()).collections["customers"].fields
    assert (fields["email"].searchable, fields["email"].token) == (True, TokenKind.DETERMINISTIC)
    assert fields["card"].token is TokenKind.CARD


def test_starter_has_the_expected_roles_and_bases() -> None:
    """The starter declares the roles other parts of privault rely on, and consent marketing."""
    datamap = parse_datamap(starter_datamap_text())
    assert set(datamap.roles) >= {
        "support_agent",
        "fulfillment",
        "marketing",
        "fraud_analyst",
        "dpo",
        "auditor",
        "service",
        "admin",
    }
    assert datamap.purposes["marketing"].basis is LegalBasis.CONSENT
    assert datamap.purposes["marketing"].sale_or_share


def test_auditor_reads_no_customer_data() -> None:
    """The auditor role is granted no view on any field."""
    datamap = parse_datamap(starter_datamap_text())
    assert all(
        datamap.view_for("auditor", c.name, f) is None
        for c in datamap.collections.values()
        for f in c.fields
    )


def test_public_api_is_exactly_all() -> None:
    """The package exports exactly the names in __all__, and the lead's names are among them."""
    public = {name for name in dir(privault.datamap) if not name.startswith("_")}
    modules = {"categories", "loader", "reader", "schema", "annotations"}
    assert public - modules == set(privault.datamap.__all__)
    assert {
        "DataMap", "Purpose", "Collection", "FieldSpec", "Role", "FieldType", "TokenKind",
        "LegalBasis", "Retention", "DataMapError", "DataMapIssue", "load_datamap",
        "parse_datamap", "starter_datamap_text",
    } <= set(privault.datamap.__all__)  # fmt: skip
