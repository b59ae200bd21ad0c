"""Migration 0014 adds auth_email_changes and its downgrade removes it (SQLite, PostgreSQL)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from privault.db import Database, upgrade
from privault.db.migrate import _config

REVISION = "0014_auth_email_change"
BEFORE = "0013_retained_fields"


def test_upgrade_creates_and_downgrade_drops_the_table(database_url: str) -> None:
    """Up: the table with its unique account column and foreign key; down: gone; up again."""
    database = Database(database_url)
    try:
        upgrade(database.engine, REVISION)
        found = inspect(database.engine)
        assert "auth_email_changes" in found.get_table_names()
        unique = found.get_unique_constraints("auth_email_changes")
        assert [c["column_names"] for c in unique] == [["account_id"]]
        [foreign] = found.get_foreign_keys("auth_email_changes")
        assert foreign["referred_table"] == "auth_accounts"
        config = _config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, BEFORE)
        assert "auth_email_changes" not in inspect(database.engine).get_table_names()
        upgrade(database.engine, REVISION)
        assert "auth_email_changes" in inspect(database.engine).get_table_names()
    finally:
        database.dispose()
