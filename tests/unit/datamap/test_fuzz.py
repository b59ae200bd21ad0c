"""Hostile input: whatever the text, parsing ends in a DataMap or a DataMapError."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privault.datamap import DataMap, DataMapError, parse_datamap, starter_datamap_text

STARTER: dict[str, Any] = yaml.safe_load(starter_datamap_text())

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["email", "3y", "customers.*", "masked", "consent", "user.name", "eu"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)
yamlish = st.text(alphabet=st.sampled_from(list("ab1:-[]{}&*!|>'\"#\n ,?.%@`\t\\")), max_size=200)

fuzz = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _outcome(text: str) -> None:
    result: DataMap | DataMapError
    try:
        result = parse_datamap(text)
    except DataMapError as exc:
        result = exc
    if isinstance(result, DataMapError):
        assert result.issues
        assert all(str(issue) for issue in result.issues)
    else:
        assert isinstance(result, DataMap)


@fuzz
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    """Any text gives a DataMap or a DataMapError with issues, never another exception."""
    _outcome(text)


@fuzz
@given(yamlish)
def test_yaml_punctuation_soup(text: str) -> None:
    """Text made of YAML's special characters gives a DataMap or a DataMapError."""
    _outcome(text)


@fuzz
@given(values)
def test_arbitrary_structure(document: Any) -> None:
    """Any YAML structure gives a DataMap or a DataMapError."""
    _outcome(yaml.safe_dump(document))


@fuzz
@given(st.data(), values)
def test_starter_with_one_part_replaced(data: st.DataObject, replacement: Any) -> None:
    """The starter with any one node replaced by any value gives a DataMap or a DataMapError."""
    document = copy.deepcopy(STARTER)
    node: Any = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if not isinstance(child, dict | list) or not child or data.draw(st.booleans()):
            node[key] = replacement
            break
        node = child
    _outcome(yaml.safe_dump(document))
