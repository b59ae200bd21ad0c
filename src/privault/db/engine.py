"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from privault.errors import InvalidInput, PrivaultError, Unavailable

logger = logging.getLogger("privault.db")

# SQLite checkpoints the WAL in a background thread (below); a writer checkpoints itself only
# when the WAL passes this many pages (64 MiB), i.e. when the thread cannot keep up.
_AUTOCHECKPOINT_PAGES: Final = 16384
CHECKPOINT_INTERVAL_S: Final = 0.5


_WRITER: Final = "privault_writer"
# How long a writer waits for another of this process (SQLite's busy timeout is the same).
WRITE_LOCK_TIMEOUT_S: Final = 30.0


class _SqliteWriters:
    """Hands SQLite's write lock to this process's writers in turn, without busy back-off.

    A transaction takes SQLite's write lock when it begins, unless it is declared read-only.
    Nearly every transaction writes (each access appends to the audit log); taking the lock
    late would let two transactions read the same audit head and the later one fail on a
    stale snapshot. Read-only work (an import worker's key lookups) does not block writers.

    SQLite makes a writer that finds the lock taken sleep in growing steps (up to 100 ms) and
    try again, so under concurrent requests most wake long after the lock was released. Here
    the writers of one process queue on a mutex first: the next one begins the moment the
    previous commits. Other processes still meet SQLite's busy handler.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def begin(self, connection: Any) -> None:
        """Begin DEFERRED for read-only sessions, else IMMEDIATE once this process's turn."""
        if connection.get_execution_options().get("privault_read_only", False):
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        if not self._lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
            raise Unavailable("the database is busy; retry", code="database_busy")
        connection.info[_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Any) -> None:
        """Pass the turn on (commit, rollback, or the connection going back to the pool)."""
        if connection.info.pop(_WRITER, False):
            self._lock.release()

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        """A connection returned without commit or rollback still passes the turn on."""
        if record.info.pop(_WRITER, False):
            self._lock.release()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, cache_mib: int = 64) -> None:
    # WAL lets readers go on while a writer commits; NORMAL sync is durable at checkpoints and
    # safe under WAL; foreign keys are off by default in SQLite; wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MiB page cache by default (SQLite's is 2 MiB): indexes of a few hundred thousand
    # customers stay hot.
    cursor.execute(f"PRAGMA cache_size={-int(cache_mib) * 1024}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES}")
    cursor.close()
    # SQLAlchemy, not the sqlite3 module, decides when transactions begin (see above).
    dbapi_connection.isolation_level = None


class WalCheckpointer:
    """Checkpoints an SQLite database's WAL from a daemon thread, off the request path.

    With ``synchronous=NORMAL`` a WAL commit writes but does not fsync; the fsyncs happen when
    the WAL is copied back into the database file (a checkpoint). Left to SQLite, the commit
    that crosses the WAL threshold runs the checkpoint and pays for every fsync; every access
    commits (its audit event), so reads would too. Here a thread runs passive checkpoints
    every ``interval_s`` on its own connection (the sqlite3 module releases the GIL meanwhile)
    and a truncating one at :meth:`stop`. Durability is unchanged: it is the same checkpoint,
    run elsewhere.
    """

    def __init__(self, path: str, *, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        # Read-write, never create: a database removed under a running process stays removed.
        self._uri = Path(path).resolve().as_uri() + "?mode=rw"
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="privault-wal", daemon=True)

    def start(self) -> None:
        """Begin checkpointing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop, then checkpoint once more and truncate the WAL."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.checkpoint("TRUNCATE")

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int] | None:
        """Run one checkpoint: (busy, WAL frames, frames copied), or None if it failed."""
        try:
            connection = sqlite3.connect(self._uri, timeout=1.0, uri=True)
            try:
                row = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            logger.warning("WAL checkpoint failed: %s", type(exc).__name__)
            return None
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.checkpoint()


class Database:
    """One engine and its session factory."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 5, sqlite_cache_mib: int = 64
    ) -> None:
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        try:
            self.checkpointer: WalCheckpointer | None = None
            if url.startswith("sqlite"):
                self.engine: Engine = create_engine(url, **kwargs)
                event.listen(
                    self.engine,
                    "connect",
                    functools.partial(_sqlite_pragmas, cache_mib=sqlite_cache_mib),
                )
                writers = _SqliteWriters()
                event.listen(self.engine, "begin", writers.begin)
                event.listen(self.engine, "commit", writers.end)
                event.listen(self.engine, "rollback", writers.end)
                event.listen(self.engine.pool, "checkin", writers.checkin)
                path = self.engine.url.database
                if path and path != ":memory:" and not path.startswith("file:"):
                    self.checkpointer = WalCheckpointer(path)
            else:
                self.engine = create_engine(url, pool_size=pool_size, pool_pre_ping=True, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise InvalidInput(
                f"cannot use database URL ({type(exc).__name__})", code="bad_database_url"
            ) from exc
        self._checkpointing = False
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(privault_read_only=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def start_checkpointer(self) -> None:
        """Checkpoint SQLite's WAL in the background (long-lived processes: server, library)."""
        if self.checkpointer is not None and not self._checkpointing:
            self._checkpointing = True
            self.checkpointer.start()

    def dispose(self) -> None:
        """Close every pooled connection (and stop the WAL checkpointer)."""
        self.engine.dispose()
        if self.checkpointer is not None and self._checkpointing:
            self._checkpointing = False
            self.checkpointer.stop()

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it does not take the write lock."""
        with session_scope(self.read_sessions) as session:
            yield session

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error: the one commit point."""
        with session_scope(self.sessions) as session:
            yield session


def unavailable(exc: OperationalError) -> Unavailable:
    """The error a database failure becomes (names the driver's error kind, never its text)."""
    return Unavailable(
        f"database unavailable ({type(exc.orig).__name__})", code="database_unavailable"
    )


def commit(session: Session) -> None:
    """Commit ``session``; a database failure rolls back and becomes ``Unavailable``."""
    try:
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise unavailable(exc) from exc
    except BaseException:
        session.rollback()
        raise


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session; commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except PrivaultError:
        session.rollback()
        raise
    except OperationalError as exc:
        session.rollback()
        raise unavailable(exc) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
