"""The SQLite writer queue hands its mutex over in arrival order and across processes via flock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from lendguard.gateway.writers import FifoLock, SqliteWriterQueue


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_the_mutex_in_arrival_order() -> None:
    lock = FifoLock()
    order: list[str] = []
    lock.acquire()

    def take(name: str) -> None:
        lock.acquire()
        order.append(name)
        lock.release()

    threads = []
    for n, name in enumerate("abcde"):
        t = threading.Thread(target=take, args=(name,))
        t.start()
        threads.append(t)
        wait_for(lambda n=n: len(lock._waiters) == n + 1)
    lock.release()
    for t in threads:
        t.join()
    assert order == list("abcde")
    lock.acquire()  # free again: taken at once
    lock.release()


def test_the_queue_excludes_writers_of_one_file(tmp_path: Path) -> None:
    queue = SqliteWriterQueue(str(tmp_path / "db-gateway-writers.lock"))
    inside, most = [0], [0]

    def write() -> None:
        for _ in range(50):
            with queue:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0)
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1
