"""Migrations: the schema they build is exactly the models', on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from privault.db import (
    SCHEMA_REVISION,
    Database,
    current_revision,
    head_revision,
    stored_revision,
    upgrade,
)
from privault.db.models import Base


def test_migrations_match_the_models(database_url: str) -> None:
    """Every schema change comes with a migration: autogenerate finds nothing to add."""
    database = Database(database_url)
    try:
        upgrade(database.engine)
        assert current_revision(database.engine) == head_revision()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    """`privault migrate` on an up-to-date database changes nothing."""
    database = Database(database_url)
    try:
        upgrade(database.engine)
        upgrade(database.engine)
        assert current_revision(database.engine) == head_revision()
    finally:
        database.dispose()


def test_code_expects_the_newest_migration() -> None:
    """SCHEMA_REVISION (checked at every open without Alembic) names the newest migration."""
    assert head_revision() == SCHEMA_REVISION


def test_stored_revision_reads_what_alembic_wrote(database_url: str) -> None:
    """The plain-SQL revision check agrees with Alembic's, and is None on an empty database."""
    database = Database(database_url)
    try:
        assert stored_revision(database.engine) is None
        upgrade(database.engine)
        assert stored_revision(database.engine) == current_revision(database.engine)
    finally:
        database.dispose()
