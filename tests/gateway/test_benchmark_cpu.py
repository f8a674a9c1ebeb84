"""The gateway benchmark accounts for the CPU of the database server and for how busy the cores were."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from itertools import count

import pytest
from benchmarks.gateway import Request, database_cpu_probe, drive
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lendguard.platform.db import make_engine
from tests.conftest import PG_URL
from tests.gateway.stub_http import handler, serving


@pytest.fixture
def port() -> Iterator[int]:
    yield from serving(ThreadingHTTPServer(("127.0.0.1", 0), handler(0.0)))


def test_the_database_probe_is_only_for_a_postgresql_server_on_this_machine() -> None:
    assert database_cpu_probe("sqlite:////tmp/bench.db") is None
    assert database_cpu_probe("postgresql+psycopg://postgres@db.example.com:5432/test") is None
    assert callable(database_cpu_probe("postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    assert callable(database_cpu_probe("postgresql://postgres@localhost/test?options=-csearch_path%3Dx"))


@pytest.mark.skipif(
    PG_URL is None or make_url(PG_URL).host not in ("127.0.0.1", "localhost"),
    reason="needs LENDGUARD_TEST_DATABASE_URL naming a PostgreSQL server on this machine",
)
def test_the_database_probe_counts_the_cpu_of_a_backend_that_ended_between_its_readings() -> None:
    # As the server's pool does with connections beyond its size: the backend starts, works and
    # ends between two readings; its CPU must still be counted (it moves to the postmaster's children).
    assert PG_URL is not None
    probe = database_cpu_probe(PG_URL)
    assert probe is not None
    before = probe()
    engine = make_engine(PG_URL)
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM generate_series(1, 3000000)"))  # ~0.1-0.5 s of its CPU
    engine.dispose()  # the backend exits
    deadline = time.monotonic() + 5
    while (spent := probe() - before) < 0.05 and time.monotonic() < deadline:
        time.sleep(0.1)  # until the postmaster has reaped it
    assert spent >= 0.05


def test_a_phase_reports_the_database_cpu_per_request_and_the_share_of_the_cores_used(port: int) -> None:
    ticks = count()
    # A fake probe: the "database" used 0.5 s of CPU between the phase's two readings.
    database = lambda: 0.5 * next(ticks)  # noqa: E731
    args = argparse.Namespace(clients=2, generator="python")
    requests: list[Request] = [("GET", "/", b"", {})]
    cores, cpu0, began = os.cpu_count() or 1, time.process_time(), time.perf_counter()
    result = drive(os.getpid(), port, args, 0.5, requests, database=database)
    cpu, elapsed = time.process_time() - cpu0, time.perf_counter() - began
    assert result["requests"] > 0
    assert result["database_cpu_ms"] == pytest.approx(500 / result["requests"])
    # busy = (server + database + generator CPU) / (the phase's wall time x cores). Here the server and
    # the generator are both this process, so its CPU (at most ``cpu``) counts twice, over a phase
    # that lasted at least the 0.5 s asked and at most ``elapsed``.
    assert 0.5 / (elapsed * cores) <= result["busy"] <= (0.5 + 2 * cpu) / (0.5 * cores)


def test_without_a_database_probe_no_database_cpu_is_claimed(port: int) -> None:
    args = argparse.Namespace(clients=2, generator="python")
    result = drive(os.getpid(), port, args, 0.3, [("GET", "/", b"", {})])
    assert result["database_cpu_ms"] == 0
    assert result["busy"] > 0
