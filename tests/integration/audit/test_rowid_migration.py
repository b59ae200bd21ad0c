"""Migration 0015: on SQLite audit_events is rebuilt with its leaf index as the rowid; the rows,
indexes and append-only triggers survive, and the downgrade restores the BIGINT key."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.exc import DatabaseError

from privault.db import Database, upgrade
from privault.db.migrate import _config

BEFORE = "0014_auth_email_change"


def _rows(connection: Connection) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in connection.execute(
            text("SELECT leaf_index, id, subject, leaf_hash FROM audit_events ORDER BY leaf_index")
        )
    ]


def _autoindexes(connection: Connection) -> list[str]:
    return [
        row[1]
        for row in connection.execute(text("PRAGMA index_list('audit_events')"))
        if str(row[1]).startswith("sqlite_autoindex")
    ]


def test_rebuild_keeps_rows_indexes_and_triggers(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        upgrade(database.engine, BEFORE)
        with database.engine.begin() as connection:
            assert _autoindexes(connection)  # the BIGINT key had an index of its own
            for index in range(3):
                connection.execute(
                    text(
                        "INSERT INTO audit_events (leaf_index, id, at, actor, operation, "
                        "subject, outcome, leaf_hash) VALUES (:i, :id, '2026-11-29 12:00:00', "
                        "'cli', 'record.read', :s, 'ok', :h)"
                    ),
                    {
                        "i": index,
                        "id": f"evt_{index:016x}",
                        "s": "ab" * 32,
                        "h": bytes([index]) * 32,
                    },
                )
            before = _rows(connection)
        upgrade(database.engine)
        with database.engine.begin() as connection:
            assert _rows(connection) == before
            assert _autoindexes(connection) == []
            pairs = connection.execute(text("SELECT rowid, leaf_index FROM audit_events")).all()
            assert all(rowid == leaf for rowid, leaf in pairs)
            names = {
                row[1] for row in connection.execute(text("PRAGMA index_list('audit_events')"))
            }
            assert {"ix_audit_events_subject", "ix_audit_events_at"} <= names
        for statement in (
            "UPDATE audit_events SET outcome = 'denied' WHERE leaf_index = 1",
            "DELETE FROM audit_events WHERE leaf_index = 2",
        ):
            with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as c:
                c.execute(text(statement))

        config = _config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, BEFORE)
        with database.engine.begin() as connection:
            assert _rows(connection) == before
            assert _autoindexes(connection)
        with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as c:
            c.execute(text("DELETE FROM audit_events"))
    finally:
        database.dispose()
