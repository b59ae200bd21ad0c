"""SQLite's WAL is checkpointed by a background thread, not by the commit of an access."""

from __future__ import annotations

from pathlib import Path

import pytest

from privault.config import Settings
from privault.db import Database
from privault.db.engine import WalCheckpointer
from privault.home import init_home
from privault.vault import Vault


def _wal(settings: Settings) -> Path:
    return Path(settings.database_url.removeprefix("sqlite:///") + "-wal")


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """A home on SQLite (whatever the test database is)."""
    configured = Settings(home=tmp_path / "home", database={"url": f"sqlite:///{tmp_path}/p.db"})
    init_home(configured)
    return configured


def test_writers_leave_checkpoints_to_the_thread(sqlite_settings: Settings) -> None:
    """With the thread stopped, commits grow the WAL; a checkpoint copies every frame."""
    database = Database(sqlite_settings.database_url)
    with database.engine.connect() as connection:
        autocheckpoint = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert autocheckpoint is not None
    assert autocheckpoint >= 10_000  # writers checkpoint only if the thread falls far behind
    database.dispose()
    with Vault.open(sqlite_settings) as vault:
        for i in range(50):
            vault.put("customers", f"C-{i}", {"email": f"c{i}@example.com"})
        checkpointer = vault.database.checkpointer
        assert checkpointer is not None
        result = checkpointer.checkpoint()
        assert result is not None
        busy, frames, copied = result
        assert busy == 0
        assert frames == copied
    # Closing truncates the WAL: everything is in the database file.
    wal = _wal(sqlite_settings)
    assert not wal.exists() or wal.stat().st_size == 0
    with Vault.open(sqlite_settings) as vault:
        assert len(vault.search("customers", "email", "c7@example.com")) == 1


def test_checkpointer_never_creates_a_database(tmp_path: Path) -> None:
    """A removed database stays removed: the thread opens read-write, never create."""
    checkpointer = WalCheckpointer(str(tmp_path / "gone.db"))
    assert checkpointer.checkpoint() is None
    assert not (tmp_path / "gone.db").exists()
