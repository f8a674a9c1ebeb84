"""The gateway's fast path: the common case of a query, with few statements and short locks.

Reads that take no lock, then one short write that charges with a conditional UPDATE (on SQLite a
transaction in the writer queue; on PostgreSQL one all-or-nothing statement in autocommit). Anything
that refuses or races changes nothing and leaves the query to the locked path (``locked_path``),
which decides again and logs the reason.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.gateway.accounts import client_contract
from lendguard.gateway.locked_path import LockedPath, answered
from lendguard.gateway.model import AuthorisationState, Claims, Contract, QueryRequest, price_for, window_starts
from lendguard.gateway.outbox import AuditOutbox
from lendguard.gateway.outcomes import QueryResult
from lendguard.gateway.sqlite_charge import charge_and_record_sqlite
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.model import Principal


class FastPath(LockedPath):
    """The fast path of :class:`~lendguard.gateway.service.GatewayService` (set up there)."""

    _writers: AbstractContextManager[Any]
    _read_apart: bool
    outbox: AuditOutbox

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

        The checks that need no lock read first: on SQLite in a read transaction of their own (a WAL
        snapshot that takes no write lock), on PostgreSQL in autocommit (reads lock nothing, and under
        READ COMMITTED each statement has its own snapshot inside a transaction too). The write then
        charges with one conditional UPDATE that re-checks suspension, balance, rate windows and tier,
        counts the use (conditional: the authorisation's existence, revocation and remaining uses are
        decided here, not by a prior read), inserts the query line (nothing when the idempotency key
        is taken) and writes the ledger and audit lines. Anything unexpected changes nothing and
        returns None: the caller then runs the locked path, which decides again and logs the refusal
        with its reason.
        """
        now = self.clock.now()
        try:
            if self._read_apart:
                with self.engine.connect() as conn, conn.execution_options(read_only=True).begin():
                    ready = self._prepare(conn, principal, claims, token_bureau, lender_code, request, now)
                # A connection is taken only once in the writer queue: one held while queuing would
                # starve the pool (the queue's holder may need another one on the locked path).
                with self._writers, self.engine.begin() as conn:
                    return self._charge_and_record(conn, principal, ready, claims, request, idempotency_key, now)
            # PostgreSQL: autocommit, each read on its own and the write one all-or-nothing statement
            # (no BEGIN and COMMIT round trips; the reads lock nothing in a transaction either).
            with self.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                ready = self._prepare(conn, principal, claims, token_bureau, lender_code, request, now)
                result = self._charge_and_record(conn, principal, ready, claims, request, idempotency_key, now)
        except _TakeLockedPath:
            return None
        self.outbox.flush(int(ready.client["institution_id"]))
        return result

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
        client = dict(self._serving_client(conn, principal, claims))
        bureau_id = int(client["institution_id"])
        if token_bureau != bureau_id:
            raise _TakeLockedPath
        client["lender_code"], client["bureau_code"] = lender_code, claims.bureau
        contract = client_contract(client, self.defaults)  # once: the checks and the price use it
        # Uses and revocation are left to the conditional UPDATE of the write phase.
        if self._check(conn, client, claims, request, now, AuthorisationState(uses=0, revoked_at=None), contract):
            raise _TakeLockedPath
        answer = self.provider.answer(conn, bureau_id, request.borrower_ref, request.product)
        if answer is None:
            raise _TakeLockedPath
        tier = price_for(contract.tiers, request.product, Decimal(client["topup_total_fen"]) / 100)
        return _Ready(client, contract, answer, int(tier.price * 100), f"{tier.product.value}>={tier.min_topup}")

    def _charge_and_record(
        self,
        conn: Connection,
        principal: Principal,
        ready: _Ready,
        claims: Claims,
        request: QueryRequest,
        idempotency_key: str | None,
        now: datetime,
    ) -> QueryResult:
        """The fast path's writes, in the lock order of the locked path (client row, authorisation,
        idempotency key, chain head), so the two paths never deadlock on PostgreSQL."""
        client, price_fen = ready.client, ready.price_fen
        bureau_id = int(client["institution_id"])
        repo = GatewayRepository(conn)
        line = self._query_line(client, request, claims, uuid.uuid4().hex[:20], idempotency_key, now)
        line.update(outcome="answered", reason=None, price_fen=price_fen, tier=ready.tier_label, response=ready.answer)
        topup, windows = int(client["topup_total_fen"]), window_starts(now)
        limits = (ready.contract.rate_per_second, ready.contract.rate_per_day)
        record = {**line, "institution_id": bureau_id}
        if not self._read_apart:  # PostgreSQL: one statement; the audit event goes to the outbox
            event = asdict(self._query_event(principal, client, line))
            balance = repo.charge_and_record_pg(record, event, topup_total_fen=topup, windows=windows, limits=limits)
        else:  # SQLite: four plain statements inside the writer queue, then the audit entry below
            balance = charge_and_record_sqlite(conn, record, topup_total_fen=topup, windows=windows, limits=limits)
        if balance is None:
            raise _TakeLockedPath  # refused, raced or a retry: the locked path decides and logs it
        if self._read_apart:
            self.audit.append(conn, bureau_id, self._query_event(principal, client, line), now)
        return answered(line["ref"], client, request, price_fen, balance, ready.answer)


@dataclass(frozen=True)
class _Ready:
    """What the fast path read and priced before it writes."""

    client: dict[str, Any]
    contract: Contract
    answer: dict[str, Any]
    price_fen: int
    tier_label: str


class _TakeLockedPath(Exception):
    """Raised inside the fast path's transaction to roll it back and take the locked path."""
