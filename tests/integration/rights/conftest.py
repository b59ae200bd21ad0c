"""Fixtures of the rights integration tests."""

from __future__ import annotations

import pytest

from privault.vault import Vault

from .fulfilment import make_customer


@pytest.fixture
def customer(vault: Vault) -> dict[str, str]:
    """A customer with two records, a consent and one read of their data; record ids."""
    return make_customer(vault)
