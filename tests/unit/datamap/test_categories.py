"""Data categories: the fideslang names and the suggestions for wrong ones."""

from __future__ import annotations

import pytest

from privault.datamap.categories import DATA_CATEGORIES, DEPRECATED_CATEGORIES, suggest_category


@pytest.mark.parametrize(
    ("wrong", "suggestion"),
    [
        ("user.email", "user.contact.email"),
        ("user.contact.emial", "user.contact.email"),
        ("user.financial.creditcard", "user.financial.credit_card"),
        ("user.childrens", "user.children"),
        ("user.demographic.birth_date", "user.demographic.date_of_birth"),
        ("completely.different", None),
    ],
)
def test_suggestion(wrong: str, suggestion: str | None) -> None:
    """A near miss, a wrong parent or a deprecated name gets the accepted name suggested."""
    assert suggest_category(wrong) == suggestion


def test_deprecated_names_point_at_accepted_names() -> None:
    """Every deprecated name maps to a name that is accepted, and is not itself accepted."""
    assert set(DEPRECATED_CATEGORIES.values()) <= DATA_CATEGORIES
    assert not set(DEPRECATED_CATEGORIES) & DATA_CATEGORIES


def test_every_category_has_its_parent() -> None:
    """The taxonomy is a tree: each dotted name's parent is accepted too."""
    orphans = {
        n for n in DATA_CATEGORIES if "." in n and n.rsplit(".", 1)[0] not in DATA_CATEGORIES
    }
    assert orphans == set()
