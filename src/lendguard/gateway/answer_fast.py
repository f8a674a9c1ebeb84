"""The gateway's fast path: the common case of a query, with few statements and short locks.

Reads that take no lock, then a short write that charges with a conditional UPDATE. Concurrent
writes of a process are group-committed (``group_commit``): one transaction — on SQLite one turn of
the writer queue — applies each query's write in arrival order with its own all-or-nothing semantics
and commits once, so a hot client's row lock is held, and the commit flushed, once per batch rather
than once per query. Anything that refuses or races changes nothing and leaves the query to the
locked path (``locked_path``), which decides again and logs the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.gateway.client_store import ChargedNotRecorded
from lendguard.gateway.group_commit import GroupCommit
from lendguard.gateway.locked_path import LockedPath, answered
from lendguard.gateway.model import AuthorisationState, Claims, Contract, QueryRequest, price_for, window_starts
from lendguard.gateway.outbox import AuditOutbox
from lendguard.gateway.outcomes import QueryResult
from lendguard.gateway.sqlite_charge import charge_and_record_sqlite, charge_and_record_sqlite_many, savepoint
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.audit import ChainHead
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.model import Principal

Outcome = QueryResult | None  # None: take the locked path


class FastPath(LockedPath):
    """The fast path of :class:`~lendguard.gateway.service.GatewayService` (set up there)."""

    _writers: AbstractContextManager[Any]
    _read_apart: bool
    outbox: AuditOutbox
    group: GroupCommit[FastWrite, Outcome]

    def _answer_fast(
        self,
        principal: Principal,
        claims: Claims,
        token_bureau: int | None,
        lender_code: str,
        request: QueryRequest,
        idempotency_key: str | None,
    ) -> QueryResult | None:
        """The common case with few statements and short locks; None when anything refuses or races.

        The checks that need no lock read first, each statement in its own snapshot and taking no
        lock: on SQLite outside any transaction (WAL readers never take the write lock), on PostgreSQL
        in autocommit (under READ COMMITTED each statement has its own snapshot inside a transaction
        too). The write, in a group-committed batch (:meth:`write_batch`), then charges with one
        conditional UPDATE that re-checks suspension, balance, rate windows and tier, counts the use (conditional: the
        authorisation's existence, revocation and remaining uses are decided there, not by a prior
        read), inserts the query line (nothing when the idempotency key is taken) and writes the
        ledger and audit lines. Anything unexpected changes nothing and returns None: the caller then
        runs the locked path, which decides again and logs the refusal with its reason.
        """
        now = self.clock.now()
        try:
            with self.lock_free_reads() as conn:
                ready = self._prepare(conn, principal, claims, token_bureau, lender_code, request, now)
        except _TakeLockedPath:
            return None
        # The query line, its audit event and the charge's terms are built here, before the batch:
        # on SQLite the batch runs in the writer queue, serial across the database's writers.
        client = ready.client
        line = self._query_line(client, request, claims, uuid.uuid4().hex[:20], idempotency_key, now)
        line.update(outcome="answered", reason=None, price_fen=ready.price_fen, tier=ready.tier_label)
        line["response"] = ready.answer
        terms: dict[str, Any] = {
            "topup_total_fen": int(client["topup_total_fen"]),
            "windows": window_starts(now),
            "limits": (ready.contract.rate_per_second, ready.contract.rate_per_day),
        }
        write = FastWrite(ready, request, line, self._query_event(principal, client, line), terms, now)
        # No connection is held while waiting for the batch: the leader takes one for all.
        return self.group.submit(write)

    @contextmanager
    def lock_free_reads(self) -> Iterator[Connection]:
        """A connection for reads that take no lock, as the fast path reads (and the benchmark's
        baseline, so that both read alike). SQLite: no transaction is begun — the hot reads (consent,
        history) run on the driver connection, each in its own WAL snapshot; a read through SQLAlchemy
        (a client cache miss) begins a plain, deferred read transaction (``read_only``), never the
        writers' ``BEGIN IMMEDIATE``, and closing the connection ends it. PostgreSQL: autocommit, each
        statement in its own snapshot, with no BEGIN or ROLLBACK round trip around them."""
        with self.engine.connect() as conn:
            if self._read_apart:
                conn.execution_options(read_only=True)
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def _prepare(
        self,
        conn: Connection,
        principal: Principal,
        claims: Claims,
        token_bureau: int | None,
        lender_code: str,
        request: QueryRequest,
        now: datetime,
    ) -> _Ready:
        """The fast path's reads: client (cached), checks, consent and the answer, then the price."""
        row, contract = self._serving_client(conn, principal, claims)  # the checks and the price use it
        client = dict(row)
        bureau_id = int(client["institution_id"])
        if token_bureau != bureau_id:
            raise _TakeLockedPath
        client["lender_code"], client["bureau_code"] = lender_code, claims.bureau
        # Uses and revocation are left to the conditional UPDATE of the write phase.
        if self._check(conn, client, claims, request, now, AuthorisationState(uses=0, revoked_at=None), contract):
            raise _TakeLockedPath
        answer = self.provider.answer(conn, bureau_id, request.borrower_ref, request.product)
        if answer is None:
            raise _TakeLockedPath
        tier = price_for(contract.tiers, request.product, Decimal(client["topup_total_fen"]) / 100)
        return _Ready(client, contract, answer, int(tier.price * 100), f"{tier.product.value}>={tier.min_topup}")

    def write_batch(self, items: Sequence[FastWrite]) -> list[Outcome]:
        """Write a batch of fast-path queries in one transaction; each item's result, or None (take
        the locked path) for those refused or raced, which change nothing.

        Items are applied in arrival order per client, clients in id order: two processes' batches
        then lock client rows in the same order and never deadlock. A failure before the commit
        charged nobody: every item takes the locked path. A failed commit raises to every member:
        its outcome may be unknown (the connection lost), and a second try here could charge twice;
        the client's retry with its idempotency key is safe.
        """
        order = sorted(range(len(items)), key=lambda i: _client_key(items[i]))
        results: list[Outcome] = [None] * len(items)
        pending, guarded = order, False
        while pending:
            committing = pipelined = False
            try:
                # On SQLite in the writer queue's turn: the group's leader holds it (``GroupCommit``'s gate).
                # Pipelined (PostgreSQL), the COMMIT as the transaction ends is queued behind the audit
                # entries and goes in their round trip; a failed COMMIT is rolled back there too.
                with (
                    self.engine.connect() as conn,
                    self._pipeline(conn, items, pending, guarded) as pipelined,
                    conn.begin(),
                ):
                    applied, moved = self._apply(conn, items, pending, guarded, pipelined)
                    committing = True
            except _Spoilt as spoilt:  # a member charged but could not record: the try is rolled back
                # Again without it (every item when it is not known which), each in a savepoint this
                # time: at most two tries per batch.
                pending, guarded = [i for i in pending if i != spoilt.index], True
                continue
            except Exception as exc:
                if committing and not (pipelined and _refused_by_server(exc)):
                    raise
                return [None] * len(items)
            for i, result in applied.items():
                results[i] = result
            self.outbox.drained.update(moved)  # committed: their outbox leftovers are on the chain
            break
        return results

    @contextmanager
    def _pipeline(
        self, conn: Connection, items: Sequence[FastWrite], order: list[int], guarded: bool
    ) -> Iterator[bool]:
        """PostgreSQL: holds the driver connection in pipeline mode for a batch's write (True), so that
        while the hot client rows and the audit chain head are locked the batch waits for the server
        twice — its charges with the chain heads' locks, then its audit entries with the COMMIT —
        rather than once per step. Not for a guarded try (savepoints), nor before a bureau's outbox is
        drained (those statements go through SQLAlchemy, which cannot run in pipeline mode)."""
        if self._read_apart or guarded or any(_client_key(items[i])[0] not in self.outbox.drained for i in order):
            yield False
            return
        with conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
            yield True

    def _apply(
        self, conn: Connection, items: Sequence[FastWrite], order: list[int], guarded: bool, pipelined: bool
    ) -> tuple[dict[int, Outcome], list[int]]:
        """Each item's write in ``order``, all or nothing per item, in the caller's transaction; then
        the charged items' audit entries onto their bureaus' chains, once per bureau, last (the lock
        order of the locked path: client rows, authorisations, idempotency keys, chain head).

        PostgreSQL: before a bureau's first batch in this process, events an earlier version left in
        its audit outbox are chained first (see ``outbox``; nothing queues there any more).
        ``guarded``: each item in a savepoint (a first try found one that fails). ``pipelined``
        (PostgreSQL, see ``_pipeline``): the chain heads are locked in the charges' round trip and the
        audit entries left queued for the caller's COMMIT. Returns each item's outcome and the bureaus
        whose outbox was emptied.
        """
        applied: dict[int, Outcome] = {}
        events: dict[int, tuple[list[AuditEvent], list[datetime]]] = {}
        repo = GatewayRepository(conn)
        records = {i: {**items[i].line, "institution_id": int(items[i].ready.client["institution_id"])} for i in order}
        together: dict[int, int | None] = {}
        heads: dict[int, ChainHead] = {}
        if not guarded:
            # Every item's write with as few statements as the database allows: PostgreSQL pipelines
            # them (one round trip: the leader holds the hot client's row lock until commit, and each
            # round trip also waited to get the GIL back); SQLite counts the batch's uses and inserts
            # its query and ledger lines in one statement each (its writer queue is serial for the
            # database).
            writes = [(records[i], items[i].terms) for i in order]
            try:
                if self._read_apart:
                    balances = charge_and_record_sqlite_many(conn, writes)
                else:
                    bureaus = sorted({_client_key(items[i])[0] for i in order}) if pipelined else []
                    heads_then = [(self.audit.head_lock_sql(conn), (b,)) for b in bureaus]
                    balances, rows = repo.charge_and_record_pg_many(writes, heads_then)
                    for bureau_id, row in zip(bureaus, rows, strict=True):
                        if row is None:  # the bureau's first entry: the locked path creates its chain
                            raise _NoChainHead
                        heads[bureau_id] = self.audit.head_from_row(conn, row)
            except ChargedNotRecorded as failed:
                # Without it, or every item when it is not known which, again, each in a savepoint.
                raise _Spoilt(None if failed.position is None else order[failed.position]) from None
            together = dict(zip(order, balances, strict=True))
        for i in order:
            item = items[i]
            client, ready, line = item.ready.client, item.ready, item.line
            bureau_id = int(client["institution_id"])
            if not guarded:
                balance = together[i]
            elif self._read_apart:  # SQLite: plain statements in a savepoint
                balance = _charge_sqlite_guarded(conn, records[i], item.terms)
            else:  # PostgreSQL: one statement in a savepoint
                balance = _charge_pg_guarded(conn, repo, records[i], item.terms)
            if balance is not None:
                chain = events.setdefault(bureau_id, ([], []))
                chain[0].append(item.event)
                chain[1].append(item.now)
            applied[i] = (
                None
                if balance is None
                else answered(line["ref"], client, item.request, ready.price_fen, balance, ready.answer)
            )
        moved = []
        for bureau_id, (bureau_events, times) in events.items():
            if not self._read_apart and bureau_id not in self.outbox.drained:
                self.outbox.move(conn, bureau_id)
                moved.append(bureau_id)
            self.audit.append_many(
                conn, bureau_id, bureau_events, times, locked_head=heads.get(bureau_id), leave_queued=pipelined
            )
        return applied, moved


def _charge_pg_guarded(
    conn: Connection, repo: GatewayRepository, record: dict[str, Any], terms: dict[str, Any]
) -> int | None:
    """PostgreSQL, one item's statement in a savepoint (after a batch met one that fails): a charge it
    cannot record undoes only that savepoint (None). Savepoints cost two round trips, so only then."""
    try:
        with conn.begin_nested():  # rolled back to when the statement fails
            return repo.charge_and_record_pg(record, **terms)
    except ChargedNotRecorded:
        return None


def _charge_sqlite_guarded(conn: Connection, record: dict[str, Any], terms: dict[str, Any]) -> int | None:
    """SQLite, one item's statements in a savepoint (after a batch met one that fails): a charge that
    cannot be recorded undoes only that savepoint (None)."""
    with savepoint(conn) as undo:
        try:
            return charge_and_record_sqlite(conn, record, **terms)
        except ChargedNotRecorded:
            undo()
            return None


def _refused_by_server(exc: BaseException) -> bool:
    """Whether the server answered ``exc`` with an error (it has a SQLSTATE): a pipelined batch's
    statement or its COMMIT then failed, and PostgreSQL rolled the transaction back, so nothing was
    charged. Without one (the connection lost), whether the COMMIT ran is unknown."""
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) is not None


def _client_key(item: FastWrite) -> tuple[int, int]:
    return int(item.ready.client["institution_id"]), int(item.ready.client["id"])


@dataclass(frozen=True)
class _Ready:
    """What the fast path read and priced before it writes."""

    client: dict[str, Any]
    contract: Contract
    answer: dict[str, Any]
    price_fen: int
    tier_label: str


@dataclass(frozen=True)
class FastWrite:
    """One query's fast-path write, queued for a group commit: what it read and priced, its query
    line (answered), its audit event and the charge's terms (``charge_and_record_*`` keywords)."""

    ready: _Ready
    request: QueryRequest
    line: dict[str, Any]
    event: AuditEvent
    terms: dict[str, Any]
    now: datetime


class _TakeLockedPath(Exception):
    """Raised by the fast path's reads to take the locked path."""


class _NoChainHead(Exception):
    """A bureau's audit chain has no head yet: its first entry is left to the locked path."""


class _Spoilt(Exception):
    """Item ``index`` (None: one of the items) charged but could not record: the batch's transaction
    must be rolled back."""

    def __init__(self, index: int | None) -> None:
        super().__init__(index)
        self.index = index
