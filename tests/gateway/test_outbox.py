"""The fast path's audit: every answered query is on the bureau's chain when the call returns, the
chain never forks under concurrent queries, and events an earlier version left in the audit outbox
are chained before the bureau's first batch."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import sqlalchemy as sa

from lendguard.gateway.tables import audit_outbox, ledger
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.audit_verify import verify
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from tests.gateway.conftest import make_world
from tests.gateway.test_concurrency import THREADS, outcome, run_concurrently


def chain(container: Container, institution_id: int) -> list[str]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(event_log.c.action).where(event_log.c.institution_id == institution_id).order_by(event_log.c.seq)
        )
        return [r.action for r in rows]


def outbox_size(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(audit_outbox)).scalar_one())


def verified(container: Container, institution_id: int) -> bool:
    with container.engine.connect() as conn:
        return verify(conn, container.settings.security.signing_seed.reveal(), institution_id).ok


def test_concurrent_answered_queries_are_all_chained_without_a_fork(container: Container) -> None:
    world = make_world(container)
    token = world.issue(max_uses=1000)["token"]
    user = world.lender.users[Role.GATEWAY_CLIENT]
    bureau = world.bureau.institution_id
    before = Counter(chain(container, bureau))
    counts = run_concurrently(lambda i: outcome(lambda: world.gateway.query(user, token, world.request())))
    assert counts == Counter({"answered": THREADS})
    after = Counter(chain(container, bureau)) - before
    assert after == Counter({"gateway.query.answered": THREADS})
    assert outbox_size(container) == 0
    assert verified(container, bureau)


def test_a_single_query_is_on_the_chain_when_the_call_returns(container: Container) -> None:
    world = make_world(container)
    token = world.issue()["token"]
    result = world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request())
    with container.engine.connect() as conn:
        last = conn.execute(
            sa.select(event_log.c.action, event_log.c.object_id)
            .where(event_log.c.institution_id == world.bureau.institution_id)
            .order_by(event_log.c.seq.desc())
            .limit(1)
        ).one()
    assert (last.action, last.object_id) == ("gateway.query.answered", result.query_ref)
    assert outbox_size(container) == 0
    # The fast path answered it (the locked path would have asked the consent ledger again) and
    # wrote the ledger line with the balance the caller was told.
    assert world.consent.calls == 1
    with container.engine.connect() as conn:
        line = conn.execute(sa.select(ledger).where(ledger.c.query_ref == result.query_ref)).one()
    assert (line.amount_fen, line.balance_after_fen) == (-100, 100_000 - 100)
    assert result.balance == "999.00"


def test_events_an_earlier_version_left_in_the_outbox_are_chained_before_the_bureaus_first_batch(
    container: Container,
) -> None:
    world = make_world(container)
    bureau = world.bureau.institution_id
    at = container.clock.now()
    with container.engine.begin() as conn:  # queued and committed by an earlier version that then died
        for n in range(3):
            event = AuditEvent(actor="x", action="gateway.query.left", subject_ref="B1", object_id=f"q{n}")
            conn.execute(audit_outbox.insert(), {"institution_id": bureau, "at": at, "event": asdict(event)})
    user = world.lender.users[Role.GATEWAY_CLIENT]
    first = world.gateway.query(user, world.issue()["token"], world.request())
    if container.engine.dialect.name == "postgresql":  # only PostgreSQL's fast path ever queued there
        assert outbox_size(container) == 0
        assert chain(container, bureau)[-4:] == ["gateway.query.left"] * 3 + ["gateway.query.answered"]
        assert world.gateway.outbox.drained == {bureau}
    else:
        assert outbox_size(container) == 3
    assert verified(container, bureau)
    # Nothing queues there any more: later batches of the bureau do not look again.
    second = world.gateway.query(user, world.issue()["token"], world.request())
    assert first.query_ref != second.query_ref and chain(container, bureau)[-1] == "gateway.query.answered"
    with container.engine.begin() as conn:
        assert world.gateway.outbox.move(conn, bureau) == (3 if container.engine.dialect.name == "sqlite" else 0)
