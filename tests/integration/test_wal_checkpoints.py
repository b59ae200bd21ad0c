"""SQLite's WAL is checkpointed by a background thread, not by the commit of an access."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

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


def test_concurrent_writers_of_one_process_take_turns(sqlite_settings: Settings) -> None:
    """Threads writing at once all commit, the audit log stays gapless, and a session closed
    without commit or rollback passes the turn on."""
    with Vault.open(sqlite_settings) as vault:
        abandoned = vault.database.sessions()
        abandoned.execute(text("SELECT 1"))  # holds this process's write turn ...
        abandoned.close()  # ... until closed

        def write(worker: int) -> None:
            for i in range(15):
                vault.put("customers", f"C-{worker}-{i}", {"email": f"w{worker}.{i}@example.com"})

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(8)))
        with vault.session() as db_session:
            assert db_session.execute(text("SELECT count(*) FROM records")).scalar() == 120
        vault.audit.checkpoint(sessions=vault.database.session)
        with vault.session() as db_session:
            assert vault.audit.verify(db_session=db_session).ok
