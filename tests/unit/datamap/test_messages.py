"""Error messages: each kind of mistake is reported at its path with a precise message."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from privault.datamap import DataMapError, parse_datamap

BASE: dict[str, Any] = {
    "version": 1,
    "regions": ["eu", "us"],
    "purposes": {
        "support": {"basis": "contract"},
        "marketing": {"basis": "consent", "sale_or_share": True},
    },
    "collections": {
        "customers": {
            "retention": "3y",
            "fields": {
                "email": {"type": "email", "category": "user.contact.email", "searchable": True},
                "name": {"type": "name", "category": "user.name"},
                "card": {
                    "type": "card_number",
                    "category": "user.financial.credit_card",
                    "token": "card",
                    "purposes": ["support"],
                },
            },
        }
    },
    "roles": {
        "agent": {
            "purposes": ["support"],
            "read": {"customers.email": "masked", "customers.card": "last4"},
            "write": ["customers"],
        }
    },
}

_DELETE = object()


def mutated(*changes: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    """Return a copy of BASE with each (path, value) set; DELETE as value removes the key."""
    document = copy.deepcopy(BASE)
    for path, value in changes:
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if value is _DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return document


DELETE: Any = _DELETE


def issues_of(document: Any) -> list[str]:
    """Parse ``document`` dumped as YAML and return its issues as 'path: message' strings."""
    try:
        parse_datamap(yaml.safe_dump(document, sort_keys=False))
    except DataMapError as exc:
        return [str(issue) for issue in exc.issues]
    return []


F = ("collections", "customers", "fields")
AGENT = ("roles", "agent")

# (mutations, the one issue expected). Each case makes a single mistake, so the list of issues
# must be exactly that one: this also pins down that a mistake is not reported twice.
CASES: list[tuple[str, tuple[tuple[tuple[str, ...], Any], ...], str]] = [
    (
        "type_typo",
        (((*F, "email", "type"), "emial"),),
        "collections.customers.fields.email.type: unknown type 'emial' (did you mean 'email'?)",
    ),
    (
        "unknown_field_key",
        (((*F, "email", "serchable"), True),),
        "collections.customers.fields.email.serchable: unknown key (did you mean 'searchable'?)",
    ),
    (
        "bool_given_text",
        (((*F, "email", "searchable"), "yes please"),),
        "collections.customers.fields.email.searchable: expected true or false, got text",
    ),
    (
        "retention_in_words",
        (((*F, "email", "retention"), "3 years"),),
        "collections.customers.fields.email.retention: invalid retention '3 years': write a "
        "whole number and a unit d, w, m or y (e.g. '30d', '12w', '6m', '3y')",
    ),
    (
        "retention_as_number",
        (((*F, "email", "retention"), 30),),
        "collections.customers.fields.email.retention: expected a duration such as '30d' or "
        "'3y', got a number",
    ),
    (
        "basis_typo",
        ((("purposes", "support", "basis"), "contrct"),),
        "purposes.support.basis: unknown legal basis 'contrct' (did you mean 'contract'?)",
    ),
    (
        "basis_missing",
        ((("purposes", "support", "basis"), DELETE),),
        "purposes.support.basis: required key is missing",
    ),
    (
        "token_typo",
        (((*F, "email", "token"), "determinstic"),),
        "collections.customers.fields.email.token: unknown token kind 'determinstic' "
        "(did you mean 'deterministic'?)",
    ),
    (
        "card_token_on_email",
        (((*F, "email", "token"), "card"),),
        "collections.customers.fields.email.token: token 'card' keeps the shape of a card "
        "number and fits only type 'card_number', not 'email' (use random or deterministic)",
    ),
    (
        "category_wrong_parent",
        (((*F, "email", "category"), "user.email"),),
        "collections.customers.fields.email.category: unknown data category 'user.email' "
        "(did you mean 'user.contact.email'?)",
    ),
    (
        "category_deprecated",
        (((*F, "name", "category"), "user.childrens"),),
        "collections.customers.fields.name.category: data category 'user.childrens' is "
        "deprecated in fideslang; use 'user.children'",
    ),
    (
        "category_missing",
        (((*F, "name", "category"), DELETE),),
        "collections.customers.fields.name.category: required key is missing",
    ),
    (
        "field_purpose_typo",
        (((*F, "card", "purposes"), ["suport"]),),
        "collections.customers.fields.card.purposes[0]: unknown purpose 'suport' "
        "(did you mean 'support'?)",
    ),
    (
        "field_purposes_not_a_list",
        (((*F, "card", "purposes"), "support"),),
        "collections.customers.fields.card.purposes: expected a list of purpose names, got "
        "text (write [support])",
    ),
    (
        "field_purposes_empty",
        (((*F, "card", "purposes"), []),),
        "collections.customers.fields.card.purposes: list at least one purpose (leave the key "
        "out to allow all)",
    ),
    (
        "field_outlives_record",
        (((*F, "email", "retention"), "5y"),),
        "collections.customers.fields.email.retention: retention 5y is longer than the "
        "collection's retention 3y; the whole record is deleted first",
    ),
    (
        "role_purpose_typo",
        (((*AGENT, "purposes"), ["support", "marketng"]),),
        "roles.agent.purposes[1]: unknown purpose 'marketng' (did you mean 'marketing'?)",
    ),
    (
        "view_typo",
        (((*AGENT, "read", "customers.email"), "maskd"),),
        "roles.agent.read.customers.email: unknown view 'maskd' (did you mean 'masked'?)",
    ),
    (
        "view_does_not_fit_type",
        (((*AGENT, "read", "customers.email"), "last4"),),
        "roles.agent.read.customers.email: view 'last4' does not fit type 'email' (it fits "
        "card_number, iban, national_id, phone); use masked, redacted, token or plain",
    ),
    (
        "read_unknown_collection",
        (((*AGENT, "read", "custmers.name"), "plain"),),
        "roles.agent.read.custmers.name: unknown collection 'custmers' (did you mean 'customers'?)",
    ),
    (
        "read_unknown_field",
        (((*AGENT, "read", "customers.nmae"), "plain"),),
        "roles.agent.read.customers.nmae: unknown field 'nmae' in collection 'customers' "
        "(did you mean 'name'?)",
    ),
    (
        "read_key_without_field",
        (((*AGENT, "read", "customers"), "plain"),),
        "roles.agent.read.customers: name a field as 'collection.field' or all fields as "
        "'collection.*'",
    ),
    (
        "star_with_type_specific_view",
        (((*AGENT, "read", "customers.*"), "initials"),),
        "roles.agent.read.customers.*: view 'initials' fits only name; a 'collection.*' entry "
        "needs a view that fits every type: plain, masked, token, redacted or denied",
    ),
    (
        "role_purposes_miss_field_purposes",
        (((*AGENT, "purposes"), ["marketing"]),),
        "roles.agent.read.customers.card: the role's purposes (marketing) share none with the "
        "purposes of field 'customers.card' (support), so it could never be read",
    ),
    (
        "write_unknown_collection",
        (((*AGENT, "write"), ["custmers"]),),
        "roles.agent.write[0]: unknown collection 'custmers' (did you mean 'customers'?)",
    ),
    (
        "default_region_undeclared",
        ((("default_region",), "ue"),),
        "default_region: unknown region 'ue' (expected one of: eu, us)",
    ),
    (
        "region_listed_twice",
        ((("regions",), ["eu", "eu"]),),
        "regions[1]: region 'eu' is listed twice",
    ),
    (
        "regions_not_a_list",
        ((("regions",), "eu"),),
        "regions: expected a list of region names, got text (write [eu])",
    ),
    (
        "regions_empty",
        ((("regions",), []),),
        "regions: declare at least one region",
    ),
    (
        "bad_name",
        ((("collections", "Orders"), {"fields": {"x": {"type": "text", "category": "user"}}}),),
        "collections.Orders: invalid name 'Orders': use lowercase letters, digits and '_', "
        "starting with a letter, at most 63 characters",
    ),
    (
        "unsupported_version",
        ((("version",), 2),),
        "version: unsupported version 2; this privault reads version 1",
    ),
    (
        "version_as_text",
        ((("version",), "1"),),
        "version: expected the number 1, got text",
    ),
    (
        "shop_as_number",
        ((("shop",), 42),),
        "shop: expected text, got a number",
    ),
    (
        "field_not_a_mapping",
        (((*F, "name"), "name"),),
        "collections.customers.fields.name: expected a mapping with 'type' and 'category', "
        "got text",
    ),
    (
        "collection_without_fields",
        ((("collections", "customers", "fields"), {}),),
        "collections.customers.fields: declare at least one field",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_single_mistake_gives_exactly_its_issue(
    changes: tuple[tuple[tuple[str, ...], Any], ...], expected: str
) -> None:
    """Each single mistake is reported once, at its dotted path, with its precise message."""
    assert issues_of(mutated(*changes)) == [expected]


def test_base_map_is_valid() -> None:
    """The map the cases mutate is itself valid, so every issue comes from the mutation."""
    assert issues_of(BASE) == []


def test_every_mistake_is_reported_in_one_run() -> None:
    """Several mistakes in different parts of the map are all reported together."""
    chosen = {
        "type_typo",
        "unknown_field_key",
        "category_deprecated",
        "basis_typo",
        "role_purpose_typo",
        "view_typo",
        "write_unknown_collection",
        "default_region_undeclared",
    }
    cases = [case for case in CASES if case[0] in chosen]
    issues = issues_of(mutated(*(change for case in cases for change in case[1])))
    assert sorted(issues) == sorted(case[2] for case in cases)


def test_unknown_top_level_key_suggests_and_required_key_is_reported() -> None:
    """A misspelt top-level key is unknown, and the key it should have been is missing."""
    document = mutated((("colections",), BASE["collections"]), (("collections",), DELETE))
    assert issues_of(document) == [
        "colections: unknown key (did you mean 'collections'?)",
        "collections: required key is missing",
    ]


def test_broken_field_does_not_cascade_into_role_errors() -> None:
    """A field with a bad type is reported once; reads of it are not also called unknown."""
    document = mutated(((*F, "card", "type"), "credit"))
    assert issues_of(document) == [
        "collections.customers.fields.card.type: unknown type 'credit' (expected one of: "
        "email, phone, name, address, date, card_number, iban, national_id, ip_address, text)"
    ]


def test_broken_purposes_section_does_not_cascade() -> None:
    """When 'purposes' is not a mapping, references to purposes are not reported as unknown."""
    assert issues_of(mutated((("purposes",), ["support"]))) == [
        "purposes: expected a mapping of purposes, got a list"
    ]


def test_explicit_denied_overrides_star_without_purpose_check() -> None:
    """A 'denied' entry grants nothing, so it needs no shared purpose with the field."""
    document = mutated(
        ((*AGENT, "purposes"), ["marketing"]), ((*AGENT, "read", "customers.card"), "denied")
    )
    assert issues_of(document) == []


def test_star_entry_checks_purposes_of_each_field_it_covers() -> None:
    """A '*' read entry is flagged for each covered field the role has no purpose for."""
    document = mutated(
        ((*AGENT, "purposes"), ["marketing"]),
        ((*AGENT, "read"), {"customers.*": "masked"}),
    )
    assert issues_of(document) == [
        "roles.agent.read.customers.*: the role's purposes (marketing) share none with the "
        "purposes of field 'customers.card' (support), so it could never be read"
    ]
