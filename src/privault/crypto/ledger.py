"""The erasure ledger: ids of destroyed customer keys, kept beside the key files.

The ledger lives outside the customer database on purpose. A copy of the database taken before
an erasure still holds the customer's wrapped key; privault refuses to unwrap any key whose id
is in the ledger and deletes such rows whenever it opens a database, so restoring an old copy
never brings an erased customer back. Entries hold the random key id, a keyed reference of the
customer id (HMAC under a key derived from the root secret, so the ledger can say "erased on"
without holding the id) and a time: no customer data.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from privault.errors import IntegrityViolation


class ErasureLedger:
    """Append-only file of erased key ids, cached in memory and re-read when it grows."""

    def __init__(self, path: Path, *, reload_interval_s: float = 1.0) -> None:
        self.path = path
        self.reload_interval_s = reload_interval_s
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._ids: set[str] = set()
        self._subjects: dict[str, datetime] = {}
        self._size = -1

    def _refresh(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size == self._size:
            return
        ids: set[str] = set()
        subjects: dict[str, datetime] = {}
        if size:
            with self.path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        entry = json.loads(line)
                        ids.add(str(entry["key_id"]))
                        if entry.get("subject_ref"):
                            subjects[str(entry["subject_ref"])] = datetime.fromisoformat(
                                entry["erased_at"]
                            )
                    except (ValueError, KeyError, TypeError) as exc:
                        if not line.endswith(b"\n"):
                            break  # a torn last line from a crash mid-append; ignore it
                        raise IntegrityViolation(
                            f"erasure ledger line {number} is malformed"
                        ) from exc
        self._ids = ids
        self._subjects = subjects
        self._size = size

    def erased_ids(self) -> frozenset[str]:
        """Every erased key id."""
        with self._lock:
            self._refresh()
            return frozenset(self._ids)

    def is_erased(self, key_id: str) -> bool:
        """Whether the key with this id has been destroyed.

        Entries written by other processes are seen within ``reload_interval_s``; they also
        deleted the customer's rows, so this check matters for restored database copies,
        which are cleaned when the database is opened (see the module docstring).
        """
        with self._lock:
            if key_id in self._ids:
                return True
            now = time.monotonic()
            if now - self._checked_at >= self.reload_interval_s:
                self._checked_at = now
                self._refresh()
            return key_id in self._ids

    def erased_at(self, subject_ref: str) -> datetime | None:
        """When the customer with this keyed reference was last erased, if ever."""
        with self._lock:
            self._refresh()
            return self._subjects.get(subject_ref)

    def record(self, entries: Iterable[tuple[str, str]], *, erased_at: datetime) -> None:
        """Append (key id, keyed customer reference) pairs durably (fsync) before the erasure
        commits in the database."""
        lines = b"".join(
            json.dumps(
                {"key_id": key_id, "subject_ref": ref, "erased_at": erased_at.isoformat()}
            ).encode()
            + b"\n"
            for key_id, ref in entries
        )
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, lines)
            os.fsync(fd)
        finally:
            os.close(fd)
        with self._lock:
            self._refresh()
