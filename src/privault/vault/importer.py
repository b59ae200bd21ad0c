"""Bulk import of CSV and JSON Lines into a collection, streamed in batches.

Memory stays constant: rows are read, validated and written one batch at a time, each batch in
its own transaction, so a process killed mid-import leaves whole batches or nothing of a batch.
A bad row is reported with its line number and the rule it broke (never its value); the good
rows land.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.config import Settings
from privault.errors import InvalidInput, PrivaultError, Unavailable
from privault.vault.import_formats import (
    CountingReader,
    auto_jobs,
    csv_rows,
    detect_format,
    jsonl_rows,
)
from privault.vault.rules import check_subject_id
from privault.vault.schemas import RecordCreate
from privault.vault.service import RecordService

__all__ = ["ImportReport", "RowError", "auto_jobs", "detect_format", "import_file", "import_stream"]

SessionScope = Callable[[], contextlib.AbstractContextManager[Session]]
MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: its line number and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """The outcome of an import."""

    rows_read: int = 0
    rows_imported: int = 0
    rows_failed: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)


def import_stream(
    binary: IO[bytes],
    *,
    fmt: str,
    collection: str,
    subject_column: str,
    records: RecordService,
    sessions: SessionScope,
    region: str | None = None,
    batch_size: int = 1000,
    dry_run: bool = False,
    on_bytes: Callable[[int], None] | None = None,
    jobs: int = 1,
    settings: Settings | None = None,
    audit: AuditLog | None = None,
    actor: str = "library",
) -> ImportReport:
    """Import rows from a binary stream into ``collection``; see the module docstring.

    ``jobs`` > 1 validates, encrypts and stores batches in that many worker processes (each
    opens the vault from ``settings``, so it needs them).
    """
    if fmt not in {"csv", "jsonl"}:
        raise InvalidInput(f"unknown format '{fmt}'; use csv or jsonl", code="unknown_format")
    fields = records.datamap.collections.get(collection)
    if fields is None:
        raise InvalidInput(
            f"collection '{collection}' is not in the data map", code="unknown_collection"
        )
    allowed = set(fields.fields)
    if region is not None:
        records.datamap.region_or_default(region)
    report = ImportReport(dry_run=dry_run)
    task = _Task(collection, subject_column, region, dry_run, actor)
    counted = io.BufferedReader(CountingReader(binary, on_bytes), buffer_size=1 << 16)
    rows: Iterator[tuple[int, dict[str, Any] | str]]
    if fmt == "csv":
        text = io.TextIOWrapper(counted, encoding="utf-8-sig", newline="")
        rows = csv_rows(text, allowed=allowed, subject_column=subject_column)
    else:
        rows = jsonl_rows(counted)
    sink: _Sink = (
        _PoolSink(settings, jobs=jobs, task=task)
        if jobs > 1 and not dry_run and settings is not None
        else _InProcessSink(records, sessions, task=task, audit=audit)
    )
    chunk: list[tuple[int, dict[str, Any] | str]] = []
    try:
        for line, row in rows:
            report.rows_read += 1
            chunk.append((line, row))
            if len(chunk) >= batch_size:
                sink.submit(chunk, report)
                chunk = []
        if chunk:
            sink.submit(chunk, report)
    except UnicodeDecodeError:
        sink.abort()
        raise InvalidInput(
            f"the file is not UTF-8 text (after row {report.rows_read})", code="bad_encoding"
        ) from None
    except BaseException:
        sink.abort()
        raise
    sink.finish(report)
    report.errors.sort(key=lambda error: error.line)
    return report


@dataclass(frozen=True)
class _Task:
    """What every batch of one import shares."""

    collection: str
    subject_column: str
    region: str | None
    dry_run: bool
    actor: str


def _import_batch(
    records: RecordService,
    sessions: SessionScope,
    task: _Task,
    chunk: list[tuple[int, dict[str, Any] | str]],
    *,
    audit: AuditLog | None,
    read_sessions: SessionScope | None = None,
) -> tuple[int, list[RowError], int]:
    """Validate a batch of rows and store the good ones in one transaction.

    Returns (rows stored, the bad rows, how many bad rows there were).
    """
    good: list[RecordCreate] = []
    bad: list[RowError] = []
    for line, row in chunk:
        parsed = _parse_row(row, records=records, collection=task.collection,
                            subject_column=task.subject_column, region=task.region)  # fmt: skip
        if isinstance(parsed, str):
            bad.append(RowError(line, parsed))
        else:
            good.append(parsed)
    if good and not task.dry_run:
        # Encrypt under a read-only transaction (on SQLite it leaves the write lock to other
        # workers), then write the batch in one short transaction.
        with (read_sessions or sessions)() as read_session:
            prepared = records.prepare_many(db_session=read_session, records=good, validated=True)
        with sessions() as db_session:
            records.write_prepared(db_session=db_session, batch=prepared)
            if audit is not None:  # one event per batch, in the batch's transaction
                audit.record(
                    db_session=db_session,
                    event=AuditRecord(
                        actor=task.actor,
                        operation="record.import",
                        collection=task.collection,
                        fields_requested=sorted({f for item in good for f in item.values}),
                        detail={"records": len(good), "first_line": chunk[0][0]},
                    ),
                )
    return len(good), bad[:MAX_REPORTED_ERRORS], len(bad)


def _merge(report: ImportReport, result: tuple[int, list[RowError], int]) -> None:
    imported, errors, failed = result
    report.rows_imported += imported
    report.rows_failed += failed
    room = MAX_REPORTED_ERRORS - len(report.errors)
    report.errors.extend(errors[: max(room, 0)])


class _Sink:
    """Where batches of parsed rows go."""

    def submit(self, chunk: list[tuple[int, dict[str, Any] | str]], report: ImportReport) -> None:
        """Validate and store one batch (now or later)."""
        raise NotImplementedError

    def finish(self, report: ImportReport) -> None:
        """Wait for every batch."""

    def abort(self) -> None:
        """Stop without waiting for queued batches."""


class _InProcessSink(_Sink):
    """Each batch in this process, one after the other."""

    def __init__(
        self,
        records: RecordService,
        sessions: SessionScope,
        *,
        task: _Task,
        audit: AuditLog | None,
    ) -> None:
        self._records, self._sessions, self._task = records, sessions, task
        self._audit = audit

    def submit(self, chunk: list[tuple[int, dict[str, Any] | str]], report: ImportReport) -> None:
        """Validate and store the batch now."""
        _merge(
            report,
            _import_batch(self._records, self._sessions, self._task, chunk, audit=self._audit),
        )


_WORKER: dict[str, Any] = {}


def _worker_start(settings: Settings) -> None:
    from privault.vault.vault import Vault  # noqa: PLC0415 - vault imports this module

    # A worker writes batches, it does not serve reads: a sixteenth of the page cache keeps
    # every process of an import inside its memory budget (an eighth measured 297 to 307 MB
    # over the three processes of a 100,000-customer import; the budget is 300).
    cache = max(2, settings.database.sqlite_cache_mib // 16)
    database = settings.database.model_copy(update={"sqlite_cache_mib": cache})
    vault = Vault.open(settings.model_copy(update={"database": database}))
    _WORKER["vault"] = vault
    _WORKER["parent"] = os.getppid()
    atexit.register(vault.close)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker soon after the importing process dies (killed, crashed).

    A worker waits for batches on a pipe its siblings also hold open, so it would never see
    the end of input on its own; without this it would linger, holding the database open.
    """
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _worker_batch(
    task: _Task, chunk: list[tuple[int, dict[str, Any] | str]]
) -> tuple[int, list[RowError], int]:
    if os.getppid() != _WORKER["parent"]:
        # The importing process died (killed, crashed): start no new batch. One that was
        # already running finished whole; batches still queued are dropped.
        os._exit(1)
    vault = _WORKER["vault"]
    return _import_batch(
        vault.records,
        vault.database.session,
        task,
        chunk,
        audit=vault.audit,
        read_sessions=vault.database.read_session,
    )


class _PoolSink(_Sink):
    """Batches validated, encrypted and stored by worker processes, a few in flight at once.

    Encryption and validation are CPU-bound Python, so processes (not threads) use the other
    cores; the database serialises the writes. Each batch is still one transaction, in
    whichever worker runs it, so a crash leaves whole batches only.
    """

    def __init__(self, settings: Settings, *, jobs: int, task: _Task) -> None:
        self._task = task
        self._limit = jobs * 2
        self._pending: collections.deque[Future[tuple[int, list[RowError], int]]] = (
            collections.deque()
        )
        self._pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(settings,),
        )

    def submit(self, chunk: list[tuple[int, dict[str, Any] | str]], report: ImportReport) -> None:
        """Queue the batch; wait for the oldest when enough are in flight (bounded memory)."""
        while len(self._pending) >= self._limit:
            _merge(report, self._pending.popleft().result())
        self._pending.append(self._pool.submit(_worker_batch, self._task, chunk))

    def finish(self, report: ImportReport) -> None:
        """Wait for every batch, then stop the workers."""
        try:
            while self._pending:
                _merge(report, self._pending.popleft().result())
        except BrokenProcessPool as exc:
            raise Unavailable("an import worker died", code="import_worker_died") from exc
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """Cancel what has not started; batches already running finish (whole) first."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _parse_row(
    row: dict[str, Any] | str,
    *,
    records: RecordService,
    collection: str,
    subject_column: str,
    region: str | None,
) -> RecordCreate | str:
    """A validated record, or the reason the row is bad."""
    if isinstance(row, str):
        return row
    subject = row.pop(subject_column, None)
    try:
        check_subject_id(subject)
    except ValueError as exc:
        return f"column '{subject_column}': {exc}"
    values = {k: v for k, v in row.items() if v not in ("", None)}
    try:
        clean = records.validate(collection=collection, values=values)
    except PrivaultError as exc:
        return exc.message
    return RecordCreate(collection, str(subject), clean, region)


def import_file(path: Path, **kwargs: Any) -> ImportReport:
    """Import a file; ``fmt`` defaults to what the file name says."""
    fmt = kwargs.pop("fmt", None) or detect_format(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read '{path}': {exc.strerror}", code="unreadable") from None
    with handle:
        return import_stream(handle, fmt=fmt, **kwargs)
