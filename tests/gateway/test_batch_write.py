"""The fast path's group commit on the real gateway: in one batch each query is all or nothing on its
own — one refused member takes the locked path, the others are billed once — and a batch whose
commit fails charges nobody."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from lendguard.gateway.answer_fast import FastWrite, Outcome
from lendguard.gateway.group_commit import GroupCommit
from lendguard.gateway.model import Refusal
from lendguard.gateway.outcomes import QueryRefused, QueryResult
from lendguard.gateway.tables import authorisations, ledger, queries
from lendguard.platform.audit import chain_heads, checkpoints
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from tests.gateway.conftest import World, make_world
from tests.gateway.test_concurrency import totals
from tests.gateway.test_group_commit import wait_for
from tests.gateway.test_outbox import outbox_size, verified


class HeldGroup:
    """Replaces the gateway's group: the first batch is held until the followers have queued, so
    they make one batch; records every batch's size."""

    def __init__(self, world: World) -> None:
        self.world, self.gateway = world, world.gateway
        self.user = world.lender.users[Role.GATEWAY_CLIENT]
        self.sizes: list[int] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.group: GroupCommit[FastWrite, Outcome] = GroupCommit(self.write)
        self.gateway.group = self.group

    def write(self, items: Sequence[FastWrite]) -> list[Outcome]:
        self.sizes.append(len(items))
        if len(self.sizes) == 1:
            self.entered.set()
            assert self.release.wait(30)
        return self.gateway.write_batch(items)

    def run(self, first: str, followers: list[str], key: str | None = None) -> list[object]:
        """Query with token ``first`` (the held leader), then with each of ``followers`` at once; the
        followers with idempotency key ``key``, if given."""

        def call(token: str, key: str | None = None) -> object:
            try:
                return self.gateway.query(self.user, token, self.world.request(), key)
            except QueryRefused as exc:
                return exc.reason
            except InjectedCommitFailure as exc:
                return exc

        with ThreadPoolExecutor(max_workers=len(followers) + 1) as pool:
            lead = pool.submit(call, first)
            assert self.entered.wait(30)
            rest = [pool.submit(call, token, key) for token in followers]
            wait_for(lambda: self.group.queued == len(followers))
            self.release.set()
            return [lead.result(), *(f.result() for f in rest)]


def uses(world: World, ref: str) -> int:
    with world.container.engine.connect() as conn:
        return int(conn.execute(sa.select(authorisations.c.uses).where(authorisations.c.ref == ref)).scalar_one())


def locked_path_calls(world: World, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records each query the locked path decides (its arguments), from now on."""
    decided: list[object] = []
    decide = world.gateway._decide

    def counted(*args: Any, **kwargs: Any) -> Any:
        decided.append(args)
        return decide(*args, **kwargs)

    monkeypatch.setattr(world.gateway, "_decide", counted)
    return decided


def refused_reasons(world: World) -> list[str]:
    with world.container.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(queries.c.reason).where(queries.c.outcome == "refused"))]


@pytest.mark.parametrize("refused", [1, 2])
def test_refused_members_take_the_locked_path_alone_and_the_others_are_billed_once(
    world: World, monkeypatch: pytest.MonkeyPatch, refused: int
) -> None:
    """With two refused members, PostgreSQL's second try of the batch (savepoints) meets the second."""
    user = world.lender.users[Role.GATEWAY_CLIENT]
    spent = [world.issue(max_uses=1) for _ in range(refused)]
    for issued in spent:
        world.gateway.query(user, issued["token"], world.request())  # its only use
    good = world.issue(max_uses=100)
    decided = locked_path_calls(world, monkeypatch)
    group = HeldGroup(world)
    # The fast path reads no uses: the used-up members reach the batch's write, amid the others.
    followers = [good["token"]] * 4
    for n, issued in enumerate(spent):
        followers.insert(2 + 2 * n, issued["token"])
    results = group.run(good["token"], followers)
    assert group.sizes == [1, 4 + refused]
    expected = ["answered" if token == good["token"] else Refusal.USED_UP for token in [good["token"], *followers]]
    assert [r if isinstance(r, Refusal) else "answered" for r in results] == expected
    assert len(decided) == refused  # only the refused members took the locked path
    assert refused_reasons(world) == ["used_up"] * refused
    assert totals(world.container, world.client["id"]) == (
        100_000 - 100 * (refused + 5),
        100 * (refused + 5),
        refused + 5,
    )
    assert uses(world, good["id"]) == 5
    assert [uses(world, issued["id"]) for issued in spent] == [1] * refused
    assert outbox_size(world.container) == 0
    assert verified(world.container, world.bureau.institution_id)


def test_batch_members_sharing_an_idempotency_key_are_billed_once_and_the_others_replay(world: World) -> None:
    """SQLite inserts a batch's query lines in one statement: the key's second line is not inserted,
    so that member (and only it) is undone and replays the first's outcome through the locked path."""
    good = world.issue(max_uses=100)
    group = HeldGroup(world)
    results = group.run(good["token"], [good["token"]] * 3, key="retry-7")
    assert group.sizes == [1, 3]
    assert all(isinstance(r, QueryResult) for r in results)
    followers = [r for r in results[1:] if isinstance(r, QueryResult)]
    assert sorted(r.replayed for r in followers) == [False, True, True]
    assert len({r.query_ref for r in followers}) == 1  # the replays name the query that was billed
    assert totals(world.container, world.client["id"]) == (100_000 - 200, 200, 2)
    assert uses(world, good["id"]) == 2
    assert verified(world.container, world.bureau.institution_id)


def test_a_batch_of_one_client_is_charged_together_with_each_members_own_balance(world: World) -> None:
    """SQLite charges a run of one client's queries in one UPDATE: each member is still told, and
    its ledger line holds, the balance after its own charge."""
    good = world.issue(max_uses=100)
    group = HeldGroup(world)
    results = group.run(good["token"], [good["token"]] * 3)
    assert group.sizes == [1, 3]
    balances = [r.balance for r in results if isinstance(r, QueryResult)]
    assert balances[0] == "999.00" and sorted(balances[1:]) == ["996.00", "997.00", "998.00"]
    with world.container.engine.connect() as conn:
        after = conn.execute(
            sa.select(ledger.c.balance_after_fen).where(
                ledger.c.client_id == world.client["id"], ledger.c.kind == "charge"
            )
        ).scalars()
        assert sorted(after) == [99_600, 99_700, 99_800, 99_900]
    assert totals(world.container, world.client["id"]) == (99_600, 400, 4)
    assert uses(world, good["id"]) == 4


def test_a_batch_beyond_the_rate_limit_charges_as_many_as_fit_and_refuses_the_rest(container: Container) -> None:
    world = make_world(container, rate_per_second=3)  # the clock stands still: one window for all
    good = world.issue(max_uses=100)
    group = HeldGroup(world)
    results = group.run(good["token"], [good["token"]] * 4)
    assert group.sizes == [1, 4]
    assert [r for r in results if not isinstance(r, QueryResult)] == [Refusal.RATE_LIMITED] * 2
    assert totals(world.container, world.client["id"]) == (100_000 - 300, 300, 3)
    assert refused_reasons(world) == ["rate_limited"] * 2
    assert uses(world, good["id"]) == 3
    assert verified(world.container, world.bureau.institution_id)


class InjectedCommitFailure(Exception):
    """Raised by the engine's commit hook in place of the batch's COMMIT."""


@contextmanager
def failing_commit_of_batches(world: World, group: HeldGroup) -> Iterator[None]:
    """Fail the COMMIT of every batch of more than one query (before it reaches the database)."""
    local = threading.local()
    write = group.write

    def flagged(items: Sequence[FastWrite]) -> list[Outcome]:
        local.fail = len(items) > 1
        try:
            return write(items)
        finally:
            local.fail = False

    def on_commit(conn: sa.Connection) -> None:
        if getattr(local, "fail", False):
            raise InjectedCommitFailure("commit failed")

    group.group = GroupCommit(flagged)
    world.gateway.group = group.group
    sa.event.listen(world.container.engine, "commit", on_commit)
    try:
        yield
    finally:
        sa.event.remove(world.container.engine, "commit", on_commit)


def test_a_batch_whose_commit_fails_charges_nobody_and_every_member_hears_of_it(world: World) -> None:
    good = world.issue(max_uses=100)
    group = HeldGroup(world)
    with failing_commit_of_batches(world, group):
        results = group.run(good["token"], [good["token"]] * 4)
    assert group.sizes == [1, 4]
    assert isinstance(results[0], QueryResult)
    assert all(isinstance(r, InjectedCommitFailure) for r in results[1:])  # none lost silently
    # Only the lone first batch committed: one charge, one use, one query line, nothing queued.
    assert totals(world.container, world.client["id"]) == (100_000 - 100, 100, 1)
    assert uses(world, good["id"]) == 1
    assert refused_reasons(world) == []
    assert outbox_size(world.container) == 0
    assert verified(world.container, world.bureau.institution_id)


def test_a_batch_whose_audit_entries_the_database_refuses_charges_nobody_and_each_query_is_answered_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the batch's audit entries are sent with its COMMIT (pipelined): the database's
    refusal arrives as the COMMIT's error, the transaction is rolled back, and the locked path answers
    each member. On SQLite the refusal comes before the commit, with the same outcome."""
    good = world.issue(max_uses=100)
    append_many = world.gateway.audit.append_many

    def refused_after(conn: sa.Connection, *args: Any, **kwargs: Any) -> list[int]:
        seqs = append_many(conn, *args, **kwargs)
        if len(args[1]) > 1:  # the batch's entries, not the locked path's one at a time
            conn.connection.driver_connection.cursor().execute("SELECT * FROM no_such_table")  # type: ignore[union-attr]
        return seqs

    monkeypatch.setattr(world.gateway.audit, "append_many", refused_after)
    decided = locked_path_calls(world, monkeypatch)
    group = HeldGroup(world)
    results = group.run(good["token"], [good["token"]] * 4)
    assert group.sizes == [1, 4]
    assert all(isinstance(r, QueryResult) for r in results)
    assert len(decided) == 4  # the batch's members, each decided again by the locked path
    assert totals(world.container, world.client["id"]) == (100_000 - 500, 500, 5)
    assert uses(world, good["id"]) == 5
    assert refused_reasons(world) == []
    assert verified(world.container, world.bureau.institution_id)


def test_a_bureaus_first_queries_before_its_audit_chain_has_a_head_are_answered_and_billed_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL locks the chain head with the batch's charges; with no head yet (the bureau's very
    first entry) the query is left to the locked path, which creates the chain, and later batches
    find it. SQLite creates it in the batch."""
    good = world.issue(max_uses=100)
    user = world.lender.users[Role.GATEWAY_CLIENT]
    # One query first: this process's check of the bureau's outbox is done, so the next batches are
    # pipelined on PostgreSQL.
    world.gateway.query(user, good["token"], world.request())
    bureau = world.bureau.institution_id
    with world.container.engine.begin() as conn:  # an empty chain: as if nothing had been audited yet
        for table in (checkpoints, event_log, chain_heads):
            conn.execute(table.delete().where(table.c.institution_id == bureau))
    decided = locked_path_calls(world, monkeypatch)
    # The first query after: a batch of one (nothing else in flight, so no race with a batch that
    # starts before the locked path has created the head).
    assert isinstance(world.gateway.query(user, good["token"], world.request()), QueryResult)
    assert len(decided) == (0 if world.container.engine.dialect.name == "sqlite" else 1)
    group = HeldGroup(world)
    results = group.run(good["token"], [good["token"]] * 4)
    assert group.sizes == [1, 4]
    assert all(isinstance(r, QueryResult) for r in results)
    assert len(decided) == (0 if world.container.engine.dialect.name == "sqlite" else 1)  # the head is there
    assert totals(world.container, world.client["id"]) == (100_000 - 700, 700, 7)
    assert uses(world, good["id"]) == 7
    with world.container.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).where(event_log.c.institution_id == bureau)).scalar_one()
    assert count == 6
    assert verified(world.container, bureau)
