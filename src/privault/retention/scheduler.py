"""The sweep on a schedule inside ``privault serve``: one process at a time, by lease.

Every server process runs a scheduler; each tick, the one that takes the lease sweeps and the
others skip. A tick that fails is logged (by error code, never data) and retried next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from privault.config import RetentionSettings
from privault.errors import PrivaultError
from privault.retention.lease import Lease, new_holder
from privault.retention.service import SweepReport, sweep

if TYPE_CHECKING:
    from privault.vault import Vault

logger = logging.getLogger("privault.retention")
ACTOR = "privault:retention"


class RetentionScheduler:
    """Sweeps every ``interval_s`` on a daemon thread, when this process gets the lease."""

    def __init__(
        self,
        vault: Vault,
        settings: RetentionSettings,
        *,
        also: Callable[[Session, datetime, bool], int] | None = None,
    ) -> None:
        self._vault = vault
        self._settings = settings
        self._also = also
        self.lease = Lease(
            sessions=vault.database.session,
            holder=new_holder("serve"),
            ttl=timedelta(seconds=settings.lease_s),
            clock=vault.records.clock,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="privault-retention", daemon=True)

    def start(self) -> None:
        """Begin sweeping on schedule."""
        self._thread.start()

    def stop(self) -> None:
        """Stop; a sweep under way ends after its current page."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    @property
    def running(self) -> bool:
        """Whether the scheduling thread is alive."""
        return self._thread.is_alive()

    def tick(self) -> SweepReport | None:
        """Sweep once if this process gets the lease; None when another process has it."""
        if not self.lease.try_acquire():
            return None
        try:
            return sweep(
                sessions=self._vault.database.session,
                datamap=self._vault.datamap,
                audit=self._vault.audit,
                now=self._vault.records.clock.now(),
                actor=ACTOR,
                dry_run=False,
                lease=self.lease,
                batch_size=self._settings.batch_size,
                should_stop=self._stop.is_set,
                also=self._also,
            )
        finally:
            self.lease.release()

    def _run(self) -> None:
        wait = self._settings.start_delay_s
        while not self._stop.wait(wait):
            wait = self._settings.interval_s
            try:
                self.tick()
            except PrivaultError as exc:
                logger.error("retention sweep failed: %s", exc.code)
            except Exception as exc:  # a failed tick must not kill the schedule
                logger.error("retention sweep failed: %s", type(exc).__name__)
