"""The server's background loop: delivers due webhooks (and other database-driven work)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from privault.common.clock import Clock
from privault.config import WebhookSettings
from privault.errors import PrivaultError
from privault.webhooks.sender import HttpSender, Sender
from privault.webhooks.service import DeliveryReport, Sessions, deliver_due, endpoints_of

logger = logging.getLogger("privault.webhooks")


class DeliveryWorker:
    """Runs a delivery round, then each extra task, every ``poll_interval_s`` on a daemon thread.

    Safe with several server processes on one database: deliveries are claimed by
    compare-and-set, so each attempt is made by one process. A failing round is logged by
    its error code and the loop goes on.
    """

    def __init__(
        self,
        *,
        sessions: Sessions,
        settings: WebhookSettings,
        clock: Clock,
        sender: Sender | None = None,
        tasks: Sequence[Callable[[], object]] = (),
        read_sessions: Sessions | None = None,
    ) -> None:
        endpoints_of(settings)  # a missing secret fails the start, not every round
        self._sessions, self._settings, self._clock = sessions, settings, clock
        self._read_sessions = read_sessions
        self._owned = sender is None
        self._sender: Sender = sender or HttpSender(timeout_s=settings.timeout_s)
        self._tasks = tuple(tasks)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="privault-webhooks", daemon=True)

    def run_once(self) -> DeliveryReport:
        """One round now: deliver what is due, then run the extra tasks."""
        report = deliver_due(
            sessions=self._sessions,
            settings=self._settings,
            sender=self._sender,
            clock=self._clock,
            read_sessions=self._read_sessions,
        )
        for task in self._tasks:
            task()
        return report

    def start(self) -> None:
        """Begin the loop."""
        self._thread.start()

    def stop(self) -> None:
        """End the loop (a round in progress finishes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._settings.timeout_s + 5)
        if self._owned and isinstance(self._sender, HttpSender):
            self._sender.close()

    def _run(self) -> None:
        while not self._stop.wait(self._settings.poll_interval_s):
            try:
                self.run_once()
            except PrivaultError as exc:
                logger.error("webhook round failed: %s", exc.code)
            except Exception as exc:  # the loop must outlive any one round
                logger.error("webhook round failed: %s", type(exc).__name__)
