"""Examples in README.md run as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from privault.config import Settings
from privault.home import init_home

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path: Path) -> list[str]:
    """Every ```python block of a Markdown file."""
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_library_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's library example works against a home initialised in ./.privault."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("PRIVAULT_")]:
        monkeypatch.delenv(name)
    init_home(Settings(home=Path(".privault")))
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - running our own docs
