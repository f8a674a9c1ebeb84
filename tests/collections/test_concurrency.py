"""Concurrent attempts on one debtor: the decide-then-record step is serialised per debtor on both databases.

Eight collectors (one of them an outsourced agency) record a call for the same debtor at the same moment
when only ``k`` more are allowed: exactly ``k`` are stored, the rest are refused naming the cap, and the
stored history never exceeds the cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from lendguard.collections.service import CollectionsService, ContactBlocked
from lendguard.collections.store import CollectionsRepository, attempts, blocked
from lendguard.collections.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Conflict, Role
from tests.conftest import Tenant

THREADS = 8


def open_case(svc: CollectionsService, tenant: Tenant, ref: str, borrower: str, zone: str) -> int:
    """Open a case assigned to the tenant's collector; its id."""
    sup = tenant.users[Role.SUPERVISOR]
    values = {"ref": ref, "borrower_ref": borrower, "days_past_due": 45, "stage": "M2", "timezones": zone}
    case_id = int(svc.open_case(sup, values)["id"])
    svc.assign(sup, case_id, collector=tenant.users[Role.COLLECTOR].username, agency_id=None)
    return case_id


def race(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released together; each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a recording thread hung"
    return results


def stored(container: Container, institution_id: int, borrower: str, outcome: str) -> int:
    with container.engine.connect() as conn:
        q = sa.select(sa.func.count()).where(
            attempts.c.institution_id == institution_id,
            attempts.c.borrower_ref == borrower,
            attempts.c.outcome == outcome,
        )
        return int(conn.execute(q).scalar_one())


def refusals(container: Container, institution_id: int) -> list[dict[str, Any]]:
    with container.engine.connect() as conn:
        q = sa.select(blocked).where(blocked.c.institution_id == institution_id)
        return [dict(r._mapping) for r in conn.execute(q)]


def check_outcome(results: list[Any], allowed: int, rule: str) -> None:
    """Exactly ``allowed`` threads got a decision, every other one a block naming ``rule``."""
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, ContactBlocked)]
    assert not errors, errors
    ok = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, ContactBlocked)]
    assert len(ok) == allowed, [r.get("decision") for r in ok]
    assert len(refused) == THREADS - allowed
    for exc in refused:
        assert rule in [v["rule"] for v in exc.decision["violations"]]
        assert rule in str(exc)


def test_cn_daily_connected_call_cap_holds_under_concurrent_recording(container: Container, tenant_a: Tenant) -> None:
    svc = service(container)
    inst = tenant_a.institution_id
    # Two debts of one debtor: the CN cap is per debtor across the lender and its agencies.
    cases = [open_case(svc, tenant_a, ref, "B0001", "Asia/Shanghai") for ref in ("L0001", "L0002")]
    col = tenant_a.users[Role.COLLECTOR]
    call = {"channel": "call", "number": "13800138000", "outcome": "conversation", "duration_s": 60}
    # The fixed clock is 18:00 in Shanghai; one connected call earlier today leaves two.
    svc.record_attempt(col, cases[0], {**call, "at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC)})
    # Alternate the two debts; one caller is the lender's outsourced agency.
    specs = [(cases[i % 2], {**call, "agency_id": "AG1" if i == 3 else None}) for i in range(THREADS)]
    results = race([partial(svc.record_attempt, col, case_id, spec) for case_id, spec in specs])
    check_outcome(results, 2, "cn.connected_calls_per_day")
    assert stored(container, inst, "B0001", "conversation") == 3
    assert len(refusals(container, inst)) == THREADS - 2


def test_us_seven_calls_in_seven_days_holds_under_concurrent_recording(container: Container, tenant_a: Tenant) -> None:
    svc = service(container)
    inst = tenant_a.institution_id
    svc.set_policy(tenant_a.users[Role.COMPLIANCE], "us-regf", {})
    case_id = open_case(svc, tenant_a, "L0001", "B0001", "America/New_York")
    col = tenant_a.users[Role.COLLECTOR]
    call = {"channel": "call", "number": "+1-202-555-0101", "outcome": "no_answer"}
    for day in (25, 26, 27, 28):  # four unanswered calls in the last seven days leave three
        svc.record_attempt(col, case_id, {**call, "at": datetime(2026, 2, day, 15, 0, tzinfo=UTC)})
    # Everyone records the same instant (a dialer's minute stamp), inside the convenient hours.
    at = datetime.fromisoformat("2026-03-02T12:00:00-05:00")
    results = race([partial(svc.record_attempt, col, case_id, {**call, "at": at}) for _ in range(THREADS)])
    check_outcome(results, 3, "us.call_frequency")
    assert stored(container, inst, "B0001", "no_answer") == 7
    assert len(refusals(container, inst)) == THREADS - 3


def test_a_held_debtor_does_not_hold_up_another_debtor(container: Container, tenant_a: Tenant) -> None:
    """On PostgreSQL the lock is per debtor: debtor A's lock delays A's attempts only."""
    if container.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises every writer (BEGIN IMMEDIATE); there is no per-debtor lock to show")
    svc = service(container)
    inst = tenant_a.institution_id
    held = open_case(svc, tenant_a, "L0001", "B0001", "Asia/Shanghai")
    other = open_case(svc, tenant_a, "L0002", "B0002", "Asia/Shanghai")
    col = tenant_a.users[Role.COLLECTOR]
    call = {"channel": "call", "number": "13800138000", "outcome": "no_answer"}
    done: dict[int, float] = {}

    def record(case_id: int) -> threading.Thread:
        def run() -> None:
            svc.record_attempt(col, case_id, call)
            done[case_id] = time.monotonic()

        t = threading.Thread(target=run)
        t.start()
        return t

    with container.engine.begin() as conn:
        CollectionsRepository(conn).lock_borrower(inst, "B0001")
        waiting, free = record(held), record(other)
        free.join(timeout=30)
        assert other in done, "an attempt on another debtor waited for debtor A's lock"
        waiting.join(timeout=0.5)
        assert held not in done, "an attempt on debtor A did not wait for A's lock"
        released = time.monotonic()
    waiting.join(timeout=30)
    assert done[held] >= released
    assert stored(container, inst, "B0001", "no_answer") == 1


def test_concurrent_events_on_one_case_lose_no_flag(container: Container, tenant_a: Tenant) -> None:
    """Flags are read, changed and written under the debtor's lock: no event overwrites another."""
    svc = service(container)
    case_id = open_case(svc, tenant_a, "L0001", "B0001", "Asia/Shanghai")
    col = tenant_a.users[Role.COLLECTOR]
    channels = ["call", "sms", "email", "letter", "visit", "app_message", "social_media"]
    events = [partial(svc.record_event, col, case_id, "opt_out", {"channel": ch}) for ch in channels]
    events.append(partial(svc.record_event, col, case_id, "cease_request", {}))
    results = race(events)
    assert not [r for r in results if isinstance(r, Exception)], results
    flags = svc.case(col, case_id)["flags"]
    assert flags["opted_out_channels"] == sorted(channels)
    assert flags["cease_requested"] is True


def test_a_case_opened_twice_at_once_is_one_case_and_one_conflict(container: Container, tenant_a: Tenant) -> None:
    svc = service(container)
    sup = tenant_a.users[Role.SUPERVISOR]
    values = {"ref": "L0001", "borrower_ref": "B0001", "days_past_due": 45, "stage": "M2", "timezones": "Asia/Shanghai"}
    results = race([partial(svc.open_case, sup, values) for _ in range(4)])
    assert len([r for r in results if isinstance(r, dict)]) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, dict)), results
