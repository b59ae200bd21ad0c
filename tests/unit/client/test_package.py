"""The SDK package: its public names, and that it installs light (nothing of the server)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import privault.client

PACKAGE = Path(privault.client.__file__).parent


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ is sorted, each name resolves, and every public name is in it."""
    public = {name for name in vars(privault.client) if not name.startswith("_")}
    modules = {"arguments", "client", "errors", "retry", "schemas"}
    public -= modules | {"annotations"}  # and __future__
    assert set(privault.client.__all__) == public
    assert list(privault.client.__all__) == sorted(privault.client.__all__)


def test_imports_nothing_of_privault_outside_the_package() -> None:
    """The SDK imports only privault.client and the (lazy) root, never the server's code."""
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("privault") and name != "privault":
                    assert name.startswith("privault.client"), f"{path.name} imports {name}"


def test_import_loads_no_server_dependency() -> None:
    """Importing the SDK in a fresh interpreter loads no database, crypto or web framework."""
    probe = (
        "import sys, privault.client; "
        "heavy = ['sqlalchemy', 'fastapi', 'starlette', 'tink', 'cryptography', 'uvicorn', "
        "'privault.vault', 'privault.api', 'privault.config']; "
        "print([m for m in heavy if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
