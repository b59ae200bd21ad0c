"""The examples in docs/datamap.md are complete data maps that validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from privault.datamap import DataMapError, View, parse_datamap
from privault.datamap.categories import DATA_CATEGORIES

DOC = Path(__file__).resolve().parents[3] / "docs" / "datamap.md"
BLOCKS = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)


def test_doc_has_yaml_examples() -> None:
    """The reference carries at least one complete YAML example."""
    assert BLOCKS


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_yaml_example_validates(block: str) -> None:
    """Each ```yaml block of the reference parses without issues."""
    try:
        parse_datamap(block, source=str(DOC))
    except DataMapError as exc:  # pragma: no cover - shown only when it fails
        pytest.fail(str(exc))


def test_doc_lists_every_view_and_category() -> None:
    """The reference names every view and every accepted data category."""
    text = DOC.read_text(encoding="utf-8")
    missing = [n for n in [*View, *DATA_CATEGORIES] if f"`{n}`" not in text]
    assert missing == []
