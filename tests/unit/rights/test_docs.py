"""The examples in docs/privacy-rights.md run and print what the page says."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

from privault.config import RightsSettings

DOC = Path(__file__).resolve().parents[3] / "docs" / "privacy-rights.md"


def test_doc_examples_run() -> None:
    """Every ``>>>`` example on the privacy-rights page gives the output shown."""
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0


def test_settings_table_matches_the_defaults() -> None:
    """Every setting in the page's table exists, with the default the page states."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.M)
    defaults = RightsSettings()
    assert {name.lower() for name, _ in rows} == set(RightsSettings.model_fields)
    for name, shown in rows:
        assert str(getattr(defaults, name.lower())) == shown.strip().strip("`")
