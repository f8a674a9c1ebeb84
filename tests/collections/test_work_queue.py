"""The work queue reads a page's histories in a fixed number of queries and decides them in memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from lendguard.collections.service import CollectionsService
from lendguard.collections.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import EPOCH, Tenant


def load_cases(container: Container, svc: CollectionsService, tenant: Tenant, start: int, count: int) -> None:
    """``count`` open cases, one per borrower, with a varied history (every third is at the CN daily cap)."""
    collector = tenant.users[Role.COLLECTOR].username
    cases, attempts = [], []
    for n in range(start, start + count):
        borrower = f"B{n:04d}"
        cases.append(
            {
                "ref": f"L{n:04d}",
                "borrower_ref": borrower,
                "days_past_due": 30 + n % 50,
                "stage": "M2",
                "status": "open",
                "collector": collector,
                # 10:00 UTC is 18:00 in Shanghai but 05:00 in New York (the quiet period): the decisions and
                # the next allowed times differ per case.
                "timezones": "America/New_York" if n % 5 == 0 else "Asia/Shanghai",
                "flags": {"reachable": n % 7 != 0},
                "opened_at": EPOCH,
                "updated_at": EPOCH,
            }
        )
        for k in range(3 if n % 3 == 0 else n % 3):
            attempts.append(
                {
                    "borrower_ref": borrower,
                    "debt_refs": f"L{n:04d}",
                    "channel": "call",
                    "person_id": borrower,
                    "role": "debtor",
                    "number": f"n:{n}",
                    "at": EPOCH - timedelta(hours=8 - k),
                    "outcome": "conversation",
                }
            )
    with container.engine.begin() as conn:
        svc.import_cases(conn, tenant.institution_id, cases)
        svc.import_attempts(conn, tenant.institution_id, attempts)


@contextmanager
def statements(container: Container) -> Iterator[list[str]]:
    """SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(container.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(container.engine, "before_cursor_execute", count)


def test_queue_statements_do_not_grow_with_the_cases(container: Container, tenant_a: Tenant) -> None:
    svc = service(container)
    col = tenant_a.users[Role.COLLECTOR]
    load_cases(container, svc, tenant_a, 1, 3)
    with statements(container) as small:
        few = svc.work_queue(col)
    load_cases(container, svc, tenant_a, 4, 27)
    with statements(container) as large:
        queue = svc.work_queue(col)
    assert len(few) == 3 and len(queue) == 30
    # The page, the policy, and the borrowers' cases, attempts and consents: one statement each.
    assert len(large) == len(small) <= 6, large
    # The same decisions as deciding each case on its own against the stored history.
    for case in queue:
        for channel in ("call", "sms"):
            alone = svc.check(col, case["id"], {"channel": channel, "includes_opt_out": True})
            assert case["next"][channel] == alone, (case["ref"], channel)
    capped = [c["ref"] for c in queue if int(c["ref"][1:]) % 3 == 0]
    assert all(not c["due"] for c in queue if c["ref"] in capped)
    assert any(c["due"] for c in queue) and {c["next"]["sms"]["decision"] for c in queue} >= {"allow", "block"}
    assert [c["due"] for c in queue] == sorted((c["due"] for c in queue), reverse=True)
