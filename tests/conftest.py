"""Fixtures shared by every tier: a fresh home per test, on SQLite and (when set) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from privault.config import Settings
from privault.home import init_home
from privault.vault import Vault

PG_URL = os.environ.get("PRIVAULT_TEST_DATABASE_URL", "")


def pg_schema_url(schema: str) -> str:
    """The test PostgreSQL URL with ``search_path`` set to one schema."""
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL: an SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'privault.db'}"
        return
    if not PG_URL:
        pytest.skip("PRIVAULT_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a new, initialised home (starter data map, keys, migrated database)."""
    home = tmp_path / "home"
    configured = Settings(home=home, database={"url": database_url})
    init_home(configured)
    return configured


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    """An open vault on the fresh home."""
    opened = Vault.open(settings)
    try:
        yield opened
    finally:
        opened.close()
