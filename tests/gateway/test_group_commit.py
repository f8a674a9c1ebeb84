"""Group commit (leader/follower): each caller gets its own result, batches form while one is being
written, a failed batch fails all of its members and only them."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from lendguard.gateway.group_commit import GroupCommit


def wait_for(condition: object, timeout: float = 10.0) -> None:
    """Poll ``condition()`` until true (the threads under test get there on their own)."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Recorder:
    """A batch writer that doubles its items, records each batch and can hold the first one."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def write(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(10)
        if self.fail_on in items:
            raise RuntimeError("batch failed")
        return [2 * i for i in items]


def hold_then_flood(group: GroupCommit[int, int], recorder: Recorder, followers: list[int]) -> list[object]:
    """Item 0 leads a first batch held open while ``followers`` queue; then release it."""

    def call(item: int) -> object:
        try:
            return group.submit(item)
        except RuntimeError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=len(followers) + 1) as pool:
        first = pool.submit(call, 0)
        assert recorder.entered.wait(10)
        rest = [pool.submit(call, i) for i in followers]
        wait_for(lambda: group.queued == len(followers))
        recorder.release.set()
        return [first.result(), *(f.result() for f in rest)]


def test_items_queued_during_a_batch_are_written_together_each_with_its_own_result() -> None:
    recorder = Recorder()
    group = GroupCommit(recorder.write, cap=64)
    results = hold_then_flood(group, recorder, [1, 2, 3, 4, 5])
    assert results == [0, 2, 4, 6, 8, 10]
    assert [len(b) for b in recorder.batches] == [1, 5]
    assert sorted(recorder.batches[1]) == [1, 2, 3, 4, 5]


def test_items_queued_while_the_leader_waits_at_the_gate_join_its_batch() -> None:
    """The gate (SQLite's writer queue) is entered before the batch is taken: what queues while the
    leader waits there is written in its batch, not in the next one."""
    gate = threading.Lock()
    gate.acquire()  # another worker's turn
    written: list[list[int]] = []

    def write(items: Sequence[int]) -> list[int]:
        written.append(list(items))
        return [2 * i for i in items]

    group: GroupCommit[int, int] = GroupCommit(write, gate=gate)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(group.submit, 1)]
        wait_for(lambda: group.queued == 1)  # the leader waits at the gate
        futures += [pool.submit(group.submit, i) for i in (2, 3, 4)]
        wait_for(lambda: group.queued == 4)
        gate.release()
        assert [f.result() for f in futures] == [2, 4, 6, 8]
    assert [sorted(b) for b in written] == [[1, 2, 3, 4]]
    assert not gate.locked()


def test_a_batch_never_exceeds_the_cap() -> None:
    recorder = Recorder()
    group = GroupCommit(recorder.write, cap=2)
    results = hold_then_flood(group, recorder, [1, 2, 3, 4, 5])
    assert results == [0, 2, 4, 6, 8, 10]
    assert [len(b) for b in recorder.batches] == [1, 2, 2, 1]


def test_a_failed_batch_fails_all_its_members_and_no_other() -> None:
    recorder = Recorder(fail_on=3)
    group = GroupCommit(recorder.write, cap=64)
    results = hold_then_flood(group, recorder, [1, 2, 3])
    assert results == [0, "batch failed", "batch failed", "batch failed"]
    assert group.submit(7) == 14  # the group still works


def test_a_lone_caller_is_written_at_once() -> None:
    batches: list[list[int]] = []

    def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        return list(items)

    group = GroupCommit(write)
    assert [group.submit(i) for i in range(3)] == [0, 1, 2]
    assert batches == [[0], [1], [2]]


def test_a_writer_returning_the_wrong_number_of_results_fails_the_batch() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        group.submit(1)
