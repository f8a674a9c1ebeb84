"""The gateway benchmark's open-loop generator sends at the rate asked and times from the schedule."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import benchmarks.gateway as gateway_benchmark
import pytest
from benchmarks.gateway import Request, drive_rate

from tests.gateway.stub_http import handler, serving

REQUESTS: list[Request] = [("POST", "/q", b'{"n": 1}', {"Content-Type": "application/json"})]


@pytest.fixture
def quick_port() -> Iterator[int]:
    yield from serving(ThreadingHTTPServer(("127.0.0.1", 0), handler(0.0)))


@pytest.fixture
def slow_port() -> Iterator[int]:
    # One request at a time, 50 ms each: at most 20 answers a second, whatever the connections.
    yield from serving(ThreadingHTTPServer(("127.0.0.1", 0), handler(0.05)))


def test_the_open_loop_sends_rate_times_seconds_requests_and_all_are_answered(quick_port: int) -> None:
    result = drive_rate(quick_port, rate=200, seconds=0.5, requests=REQUESTS)
    assert result["requests"] == 100
    assert result["errors"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def test_a_lagging_server_shows_as_latency_from_the_schedule_not_as_a_slower_sender(
    slow_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 30 requests offered in 0.3 s on one connection to a server that answers one per 50 ms: the last
    # is answered about 1.5 s after the start, some 1.2 s after it was due. Timed from its actual
    # send, as a closed-loop generator does, each would have taken ~50 ms.
    monkeypatch.setattr(gateway_benchmark, "RATE_CONNECTIONS", 1)
    result = drive_rate(slow_port, rate=100, seconds=0.3, requests=REQUESTS)
    assert result["requests"] == 30
    assert result["p99_ms"] >= 1000
    assert result["qps"] < 30
