"""The examples in docs/dlp.md run and print what the page says."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "dlp.md"


def test_doc_examples_run() -> None:
    """Every ``>>>`` example on the leak-prevention page gives the output shown."""
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5
    assert result.failed == 0
