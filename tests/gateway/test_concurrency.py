"""Many concurrent queries of one client: no overspend, no double charge, no over-used authorisation."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import sqlalchemy as sa

from lendguard.gateway.outcomes import QueryRefused
from lendguard.gateway.tables import authorisations, clients, ledger, queries
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.gateway.conftest import make_world

THREADS = 50


def run_concurrently(job: Callable[[int], str], n: int = THREADS) -> Counter[str]:
    """Start ``n`` jobs together (a barrier lines them up) and count their outcomes."""
    barrier = threading.Barrier(n)

    def start(i: int) -> str:
        barrier.wait()
        return job(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return Counter(pool.map(start, range(n)))


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except QueryRefused as exc:
        return exc.reason.value
    return "answered"


def totals(container: Container, client_id: int) -> tuple[int, int, int]:
    with container.engine.connect() as conn:
        balance = conn.execute(sa.select(clients.c.balance_fen).where(clients.c.id == client_id)).scalar_one()
        charged = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(-ledger.c.amount_fen), 0)).where(
                ledger.c.client_id == client_id, ledger.c.kind == "charge"
            )
        ).scalar_one()
        answered = conn.execute(
            sa.select(sa.func.count()).where(queries.c.client_id == client_id, queries.c.outcome == "answered")
        ).scalar_one()
    return int(balance), int(charged), int(answered)


def test_fifty_concurrent_queries_never_overspend_the_balance(container: Container) -> None:
    world = make_world(container, prepaid=Decimal("20.00"))
    token = world.issue(max_uses=1000)["token"]
    user = world.lender.users[Role.GATEWAY_CLIENT]
    counts = run_concurrently(lambda i: outcome(lambda: world.gateway.query(user, token, world.request())))
    assert counts == Counter({"answered": 20, "insufficient_balance": THREADS - 20})
    balance, charged, answered = totals(container, world.client["id"])
    assert (balance, charged, answered) == (0, 2000, 20)
    # Uses counted by the refused queries were given back: exactly one per answered query remains.
    with container.engine.connect() as conn:
        assert conn.execute(sa.select(authorisations.c.uses)).scalar_one() == 20


def test_concurrent_uses_of_one_authorisation_never_exceed_its_limit(container: Container) -> None:
    world = make_world(container)
    token = world.issue(max_uses=7)["token"]
    user = world.lender.users[Role.GATEWAY_CLIENT]
    counts = run_concurrently(lambda i: outcome(lambda: world.gateway.query(user, token, world.request())))
    assert counts == Counter({"answered": 7, "used_up": THREADS - 7})
    assert totals(container, world.client["id"]) == (100_000 - 700, 700, 7)


def test_concurrent_retries_with_one_idempotency_key_are_billed_once(container: Container) -> None:
    world = make_world(container)
    token = world.issue(max_uses=1000)["token"]
    user = world.lender.users[Role.GATEWAY_CLIENT]
    counts = run_concurrently(
        lambda i: outcome(lambda: world.gateway.query(user, token, world.request(), idempotency_key="same"))
    )
    assert counts == Counter({"answered": THREADS})
    assert totals(container, world.client["id"]) == (100_000 - 100, 100, 1)
