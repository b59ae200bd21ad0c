"""The auth package exports exactly its public names."""

from __future__ import annotations

import privault.auth
from privault.auth import passwords, recovery, throttle, totp

SUBMODULES = {
    "cli",
    "factors",
    "guard",
    "keys",
    "models",
    "outbox",
    "passkeys",
    "passwords",
    "permissions",
    "recovery",
    "repository",
    "reset",
    "schemas",
    "service",
    "sessions",
    "throttle",
    "totp",
}


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ matches the package's public attributes, minus submodules."""
    public = {
        name
        for name in dir(privault.auth)
        if not name.startswith("_") and name not in SUBMODULES and name != "annotations"
    }
    assert set(privault.auth.__all__) == public


def test_package_reexports_every_module_export() -> None:
    """Everything a module lists in __all__ is reachable from privault.auth."""
    for module in (passwords, recovery, throttle, totp):
        for name in module.__all__:
            assert getattr(privault.auth, name) is getattr(module, name)
