"""Group commit: concurrent writes of one process combined into one transaction (leader/follower).

A thread that submits while no batch is being written becomes the leader: it takes everything queued
(up to ``cap``; no waiting for more — a batch is whatever arrived while the previous one committed)
and runs the batch; the others wait for their own result. So under load one commit (one fsync, one
hold of a hot row's lock) serves many queries, and with a single caller nothing is delayed. What must
follow a commit (``after``: the audit outbox's drain) runs once the next batch may already start, so
the two overlap, and before the batch's members get their results.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Entry(Generic[T, R]):
    """One submitted item and, once its batch is done, its result or the batch's error."""

    __slots__ = ("done", "error", "item", "result", "taken")

    def __init__(self, item: T) -> None:
        self.item = item
        self.taken = False  # in a batch being written
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Runs ``write_batch`` over the items submitted concurrently; each caller gets its own result.

    ``write_batch`` gets the items in arrival order and returns one result per item, in the same
    order; then ``after`` gets the same items and results. When either raises, every member of that
    batch gets the exception (raised from ``submit``).
    """

    def __init__(
        self,
        write_batch: Callable[[Sequence[T]], Sequence[R]],
        after: Callable[[Sequence[T], Sequence[R]], None],
        cap: int = 64,
    ) -> None:
        self._write_batch = write_batch
        self._after = after
        self._cap = cap
        self._cond = threading.Condition()
        self._queue: list[_Entry[T, R]] = []
        self._busy = False  # a leader is writing a batch

    @property
    def queued(self) -> int:
        """How many submitted items wait for a batch (monitoring and tests)."""
        with self._cond:
            return len(self._queue)

    def submit(self, item: T) -> R:
        """Write ``item`` in a batch (led by this thread or another) and return its result."""
        entry: _Entry[T, R] = _Entry(item)
        with self._cond:
            self._queue.append(entry)
        while True:
            with self._cond:
                while not entry.done and (entry.taken or self._busy):
                    self._cond.wait()
                if entry.done:
                    if entry.error is not None:
                        raise entry.error
                    return entry.result  # type: ignore[return-value]
                self._busy = True  # our entry is still queued: we lead the next batch
                batch, self._queue = self._queue[: self._cap], self._queue[self._cap :]
                for e in batch:
                    e.taken = True
            self._lead(batch)

    def _lead(self, batch: list[_Entry[T, R]]) -> None:
        """Write ``batch`` (outside the lock: followers keep queuing for the next one), let the next
        leader start, run ``after``, then hand every member its result."""
        items = [e.item for e in batch]
        try:
            results = self._write_batch(items)
            if len(results) != len(batch):
                raise RuntimeError(f"group commit: {len(results)} results for {len(batch)} items")
        except BaseException as exc:
            self._finish(batch, None, exc, release=True)
            return
        with self._cond:
            self._busy = False
            self._cond.notify_all()
        try:
            self._after(items, results)
        except BaseException as exc:
            self._finish(batch, None, exc, release=False)
            return
        self._finish(batch, results, None, release=False)

    def _finish(
        self, batch: list[_Entry[T, R]], results: Sequence[R] | None, error: BaseException | None, *, release: bool
    ) -> None:
        """Hand every member its result or ``error`` (none is left waiting); ``release``: free the
        leader's seat too (when the batch failed before letting the next leader in)."""
        with self._cond:
            for i, e in enumerate(batch):
                e.done, e.error = True, error
                if results is not None:
                    e.result = results[i]
            if release:
                self._busy = False
            self._cond.notify_all()
