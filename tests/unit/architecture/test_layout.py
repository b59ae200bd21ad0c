"""The rules ARCHITECTURE.md states, checked on the source: import direction and public API."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import privault

SRC = Path(privault.__file__).parent
# Top-level packages that are not domains: shared plumbing every domain may use.
SHARED = {"common", "db", "errors", "config", "__init__", "home"}
EDGES = {"api", "cli", "__main__"}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [name for name in names if name.startswith("privault")]


def _domain(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py")


class TestImportDirection:
    """Imports flow one way; domains meet only through each other's __init__."""

    @pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
    def test_no_domain_imports_the_api_or_cli(self, path: Path) -> None:
        """Nothing outside api/ and cli/ imports privault.api or privault.cli."""
        if _domain(path) in EDGES:
            return
        bad = [n for n in _imports(path) if n.split(".")[1:2] in (["api"], ["cli"])]
        assert bad == [], f"{path.relative_to(SRC)} imports {bad}"

    @pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
    def test_other_domains_are_reached_through_their_init(self, path: Path) -> None:
        """`from privault.crypto import X` is fine; `privault.crypto.keyring` is not."""
        own = _domain(path)
        if own in EDGES or own in SHARED:
            return
        bad = []
        for name in _imports(path):
            parts = name.split(".")
            if len(parts) < 3 or parts[1] in SHARED or parts[1] == own:
                continue
            module = ".".join(parts[:3])
            # `from privault.crypto import subject_keys` names a module re-exported by the
            # domain's __init__; a deeper path bypasses it.
            package = importlib.import_module(".".join(parts[:2]))
            if parts[2] in getattr(package, "__all__", ()):
                continue
            bad.append(module)
        assert bad == [], f"{path.relative_to(SRC)} reaches into {bad}"


class TestPublicApi:
    """The package's __all__ lists exactly its public names, and each resolves."""

    def test_all_names_resolve(self) -> None:
        """Every name in privault.__all__ can be imported."""
        for name in privault.__all__:
            assert getattr(privault, name) is not None

    def test_all_is_sorted_and_complete(self) -> None:
        """__all__ matches the lazily exported names plus __version__."""
        exported = set(privault._EXPORTS) | {"__version__"}
        assert set(privault.__all__) == exported
        assert list(privault.__all__) == sorted(privault.__all__)

    def test_unknown_name_is_an_attribute_error(self) -> None:
        """A typo gives AttributeError, not a confusing import error."""
        with pytest.raises(AttributeError):
            _ = privault.Vualt
