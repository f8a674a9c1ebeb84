"""Use cases of the gateway: authorised, billed, audited credit queries.

The charge, the use count, the query log, the ledger and the audit entry of a query commit together
or not at all, and every debit is a conditional UPDATE (``balance_fen >= price``): so a query is
billed exactly once, never when refused, and a balance never goes negative. The common case takes a
fast path (lock-free reads, then one short write: a transaction on SQLite, one all-or-nothing
statement on PostgreSQL); refusals, idempotent replays and lost races take the locked path, one
transaction holding the client's row (``FOR UPDATE`` on PostgreSQL; on SQLite the gateway's writer
queue and ``BEGIN IMMEDIATE``).

This module is the facade (the service and its ``query`` use case); the fast path is in
``answer_fast``, the locked path in ``locked_path``, what a query returns in ``outcomes``.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from lendguard.gateway import token_model
from lendguard.gateway.answer_fast import FastPath
from lendguard.gateway.group_commit import GroupCommit
from lendguard.gateway.model import Claims, QueryRequest, Refusal
from lendguard.gateway.outbox import AuditOutbox
from lendguard.gateway.outcomes import QueryRefused, QueryResult
from lendguard.gateway.ports import ConsentLedger, ScoreProvider
from lendguard.gateway.signing import TokenSigner
from lendguard.gateway.store import GatewayRepository
from lendguard.gateway.writers import writer_queue
from lendguard.platform.audit import AuditLog
from lendguard.platform.clock import Clock
from lendguard.platform.model import Principal, Role, require
from lendguard.platform.service import TenancyService

# Most fast-path writes one transaction takes: beyond some dozens a batch only lengthens its members'
# wait (and on PostgreSQL the client row's lock hold) for no fewer commits.
BATCH_CAP = 64


class GatewayService(FastPath):
    """The credit-data gateway of every bureau in the database (each scoped to its own tenant)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        audit: AuditLog,
        tenancy: TenancyService,
        signer: TokenSigner,
        consent: ConsentLedger,
        provider: ScoreProvider,
        defaults: tuple[int, int] = (50, 100_000),
    ) -> None:
        super().__init__(engine, clock, audit, tenancy, signer, defaults)
        self.consent = consent
        self.provider = provider
        # SQLite has one writer at a time: queue the gateway's writers (threads and worker processes)
        # without its sleeping busy handler. PostgreSQL queues on the client's row lock.
        self._writers = writer_queue(engine)
        # SQLite reads outside the writer queue (WAL snapshot); PostgreSQL reads in autocommit.
        self._read_apart = engine.dialect.name == "sqlite"
        # PostgreSQL: the fast path's write statement queues its audit event in the outbox; each batch
        # moves them onto the chain, once, at the end of its transaction (the chain head's row lock
        # is then held per batch, not per query).
        self.outbox = AuditOutbox(audit)
        # The fast path's writes of this process, group-committed (one transaction per batch). A leader
        # takes its batch once it holds the SQLite writer queue: what queued while it waited for
        # the other workers' turns goes into its batch (a batch's statements hardly grow with its size).
        self.group = GroupCommit(self.write_batch, cap=BATCH_CAP, gate=self._writers)

    # -- the query ----------------------------------------------------------------------------------
    def query(
        self, principal: Principal, token: str, request: QueryRequest, idempotency_key: str | None = None
    ) -> QueryResult:
        """Answer an authorised query, or log and raise :class:`QueryRefused` naming the reason."""
        require(principal, Role.GATEWAY_CLIENT)
        claims: Claims | None = None
        refusal: Refusal | None = None
        try:
            payload, signature = token_model.split(token)
            claims = token_model.parse_claims(payload)
        except token_model.MalformedToken:
            refusal = Refusal.BAD_TOKEN
        # Resolved before the transaction: on SQLite a second connection inside it (a cache miss)
        # would wait on our own write lock. Verifying the signature outside also keeps the lock short.
        lender_code = self.institution_code(principal.institution_id)
        token_bureau = self.institution_id_of(claims.bureau) if claims is not None else None
        signed = (
            claims is not None and token_bureau is not None and self.signer.verify(token_bureau, payload, signature)
        )
        if claims is not None and refusal is None and signed:
            answered = self._answer_fast(principal, claims, token_bureau, lender_code, request, idempotency_key)
            if answered is not None:
                return answered
        # The locked path: refusals (logged with their reason), idempotent replays and lost races.
        with self._writers, self.engine.begin() as conn:
            repo = GatewayRepository(conn)
            client = self._client_for(repo, principal, claims)
            bureau_id = int(client["institution_id"])
            if claims is not None and refusal is None and (not signed or token_bureau != bureau_id):
                refusal = Refusal.BAD_SIGNATURE
            now = self.clock.now()
            replay: QueryResult | QueryRefused | None = None
            # The client's row first (as the fast path does): retries with one key queue on it, so
            # the second sees the first's outcome.
            client = repo.lock_client(bureau_id, int(client["id"]))
            if idempotency_key:
                earlier = repo.query_by_idempotency(bureau_id, int(client["id"]), idempotency_key)
                if earlier is not None:
                    replay = self._replay(conn, principal, client, earlier, request, now)
            if replay is None:
                client["lender_code"] = lender_code
                client["bureau_code"] = claims.bureau if claims is not None else ""
                replay = self._decide(conn, principal, client, claims, refusal, request, idempotency_key, now)
        if isinstance(replay, QueryRefused):
            raise replay
        return replay
