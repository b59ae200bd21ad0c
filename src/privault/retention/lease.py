"""A lease in the database: at most one process sweeps at a time, on SQLite and PostgreSQL.

A row names the holder and when its lease runs out. The holder renews it in every batch's
transaction, so a batch commits only while its process still holds the lease; a process that
dies leaves a lease that runs out, and another takes over. A database row rather than a
PostgreSQL advisory lock: the same code on both engines, it outlives a dropped connection only
as long as ``ttl``, and a refused sweep can name who sweeps.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy.orm import Session

from privault.common.clock import Clock, SystemClock
from privault.errors import Conflict
from privault.retention import repository

SessionScope = Callable[[], AbstractContextManager[Session]]
SWEEP = "sweep"


def new_holder(label: str = "privault") -> str:
    """A holder name unique to this process and call: label, host, pid and a random part."""
    return f"{label}@{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The right to sweep, held by ``holder`` for ``ttl`` at a time."""

    def __init__(
        self,
        *,
        sessions: SessionScope,
        holder: str,
        ttl: timedelta,
        clock: Clock | None = None,
        name: str = SWEEP,
    ) -> None:
        self.sessions = sessions
        self.holder = holder[:128]
        self.ttl = ttl
        self.clock: Clock = clock or SystemClock()
        self.name = name

    def try_acquire(self) -> bool:
        """Take the lease in a transaction of its own; False when another holder has it."""
        with self.sessions() as db_session:
            return self.renew(db_session=db_session)

    def acquire(self) -> None:
        """Take the lease, or raise ``Conflict`` naming who has it and until when."""
        if self.try_acquire():
            return
        with self.sessions() as db_session:
            row = repository.lease_holder(db_session=db_session, name=self.name)
            who = f" ({row.holder} until {row.expires_at:%Y-%m-%d %H:%M:%S} UTC)" if row else ""
        raise Conflict(f"another retention sweep is running{who}", code="sweep_running")

    def renew(self, *, db_session: Session) -> bool:
        """Extend the lease in the caller's transaction; False when it is no longer ours."""
        now = self.clock.now()
        return repository.take_lease(
            db_session=db_session, name=self.name, holder=self.holder, now=now, until=now + self.ttl
        )

    def keep(self, *, db_session: Session) -> None:
        """Extend the lease in the caller's transaction, or raise ``Conflict`` (that
        transaction then rolls back: work without the lease is not committed)."""
        if not self.renew(db_session=db_session):
            raise Conflict("the retention sweep lost its lease; stopping", code="lease_lost")

    def release(self) -> None:
        """Give the lease up (nothing happens if another holder has it by now)."""
        with self.sessions() as db_session:
            repository.drop_lease(db_session=db_session, name=self.name, holder=self.holder)
