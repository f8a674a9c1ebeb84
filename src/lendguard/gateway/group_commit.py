"""Group commit: concurrent writes of one process combined into one transaction (leader/follower).

A thread that submits while no batch is being written becomes the leader: it takes everything queued
(up to ``cap``; no waiting for more — a batch is whatever arrived while the previous one committed)
and runs the batch; the others wait for their own result. So under load one commit (one fsync, one
hold of a hot row's lock) serves many queries, and with a single caller nothing is delayed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Entry(Generic[T, R]):
    """One submitted item, a baton its thread sleeps on, and (once written) its result or error."""

    __slots__ = ("baton", "done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.baton = threading.Lock()
        self.baton.acquire()  # released once: the item is done, or its thread leads the next batch
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Runs ``write_batch`` over the items submitted concurrently; each caller gets its own result.

    ``write_batch`` gets the items in arrival order and returns one result per item, in the same
    order. When it raises, every member of that batch gets the exception (raised from ``submit``).
    Each waiting thread is woken once, by name (no herd of wake-ups per batch): when its item is
    done, or to lead the next batch when it is the first queued as the previous batch ends.
    """

    def __init__(
        self,
        write_batch: Callable[[Sequence[T]], Sequence[R]],
        cap: int = 64,
        gate: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._write_batch = write_batch
        self._cap = cap
        # Entered by each leader before it takes its batch, held while the batch is written: items
        # queued while the leader waited at the gate join this batch instead of the next one.
        self._gate = gate if gate is not None else nullcontext()
        self._guard = threading.Lock()
        self._queue: list[_Entry[T, R]] = []
        self._busy = False  # a leader is writing a batch

    @property
    def queued(self) -> int:
        """How many submitted items wait for a batch (monitoring and tests)."""
        with self._guard:
            return len(self._queue)

    def submit(self, item: T) -> R:
        """Write ``item`` in a batch (led by this thread or another) and return its result."""
        entry: _Entry[T, R] = _Entry(item)
        with self._guard:
            self._queue.append(entry)
            lead = not self._busy
            self._busy = True
        if not lead:
            entry.baton.acquire()  # done, or handed the lead
        if not entry.done:
            with self._gate:
                with self._guard:  # we lead: our entry is first in the queue
                    batch, self._queue = self._queue[: self._cap], self._queue[self._cap :]
                self._lead(batch)
        if entry.error is not None:
            raise entry.error
        return entry.result  # type: ignore[return-value]

    def _lead(self, batch: list[_Entry[T, R]]) -> None:
        """Write ``batch`` (outside the lock: followers keep queuing for the next one), hand the lead
        to the first queued thread (or free the seat), then wake every member with its result or
        the batch's error (none is left waiting)."""
        results: Sequence[R] | None = None
        error: BaseException | None = None
        try:
            results = self._write_batch([e.item for e in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"group commit: {len(results)} results for {len(batch)} items")
        except BaseException as exc:
            error = exc
        with self._guard:
            successor = self._queue[0] if self._queue else None
            self._busy = successor is not None
        if successor is not None:
            successor.baton.release()
        for i, e in enumerate(batch):
            e.error = error
            if error is None and results is not None:
                e.result = results[i]
            e.done = True
            if i:  # the first is the leader's own entry: it is awake
                e.baton.release()
