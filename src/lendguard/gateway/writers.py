"""Queues a SQLite database's gateway writers without SQLite's sleeping busy handler.

SQLite has one writer at a time. Its busy handler polls with growing sleeps (up to 100 ms), which
under many concurrent requests turns into long latency tails. Gateway writers therefore queue on a
first-come-first-served thread mutex within a process and, for a database file, on an ``flock`` of
a lock file next to it across processes (several uvicorn workers): the kernel wakes the next writer
as soon as the lock is released. Other writers of the same file still meet SQLite's busy timeout, so
this only orders the gateway's own writers. PostgreSQL needs none of it (its row locks queue), hence
``nullcontext``.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; the thread mutex alone is then used
    fcntl = None  # type: ignore[assignment]


class FifoLock:
    """A mutex handed to its waiters in arrival order (``threading.Lock`` lets a thread that just
    released it take it again before earlier waiters wake, which stretches the latency tail)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            baton = threading.Lock()
            baton.acquire()
            self._waiters.append(baton)
        baton.acquire()  # released by the holder that hands the mutex over to us

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()  # still held: now by the first waiter
            else:
                self._held = False


class SqliteWriterQueue:
    """Thread mutex plus, when ``lock_path`` is given, an exclusive ``flock`` shared by processes."""

    def __init__(self, lock_path: str | None) -> None:
        self.lock_path = lock_path if fcntl is not None else None
        self._mutex = FifoLock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # Reopened after a fork: an inherited descriptor would share the parent's lock.
        if self._fd is None or self._pid != os.getpid():
            assert self.lock_path is not None
            self._fd, self._pid = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd

    def __enter__(self) -> SqliteWriterQueue:
        self._mutex.acquire()
        if self.lock_path is not None:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._mutex.release()
                raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.lock_path is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()


def writer_queue(engine: Engine) -> AbstractContextManager[Any]:
    """The queue for ``engine``'s gateway writers: SQLite only (file-backed: across processes too)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    database = engine.url.database
    in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
    return SqliteWriterQueue(None if in_memory else f"{database}-gateway-writers.lock")
