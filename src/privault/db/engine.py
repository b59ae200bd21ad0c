"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from privault.errors import InvalidInput, PrivaultError, Unavailable


def _sqlite_begin(connection: Any) -> None:
    # A transaction takes SQLite's write lock when it begins, unless it is declared read-only.
    # Nearly every transaction writes (each access appends to the audit log); taking the lock
    # late would let two transactions read the same audit head and the later one fail on a
    # stale snapshot. Read-only work (an import worker's key lookups) does not block writers.
    read_only = connection.get_execution_options().get("privault_read_only", False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while a writer commits; NORMAL sync is durable at checkpoints and
    # safe under WAL; foreign keys are off by default in SQLite; wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MiB page cache (default 2 MiB): indexes of a few hundred thousand customers stay hot.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
    # SQLAlchemy, not the sqlite3 module, decides when transactions begin (see above).
    dbapi_connection.isolation_level = None


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5) -> None:
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        try:
            if url.startswith("sqlite"):
                self.engine: Engine = create_engine(url, **kwargs)
                event.listen(self.engine, "connect", _sqlite_pragmas)
                event.listen(self.engine, "begin", _sqlite_begin)
            else:
                self.engine = create_engine(url, pool_size=pool_size, pool_pre_ping=True, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise InvalidInput(
                f"cannot use database URL ({type(exc).__name__})", code="bad_database_url"
            ) from exc
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(privault_read_only=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

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
        raise Unavailable(
            f"database unavailable ({type(exc.orig).__name__})", code="database_unavailable"
        ) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
