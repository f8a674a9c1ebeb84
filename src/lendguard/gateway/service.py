"""Use cases of the gateway: authorised, billed, audited credit queries.

The charge, the use count, the query log, the ledger and the audit entry of a query commit together
or not at all, and every debit is a conditional UPDATE (``balance_fen >= price``): so a query is
billed exactly once, never when refused, and a balance never goes negative. The common case takes a
fast path (reads in a read transaction, then one short write transaction); refusals, idempotent
replays and lost races take the locked path, one transaction holding the client's row (``FOR
UPDATE`` on PostgreSQL; on SQLite the gateway's writer queue and ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.gateway import token_model
from lendguard.gateway.accounts import aware, client_contract, fen_to_yuan
from lendguard.gateway.detection import Detection
from lendguard.gateway.model import (
    REFUSAL_STATUS,
    AuthorisationState,
    Claims,
    Contract,
    QueryRequest,
    RateWindow,
    Refusal,
    can_charge,
    check_contract,
    check_query,
    price_for,
    rate_allows,
    window_starts,
)
from lendguard.gateway.outbox import AuditOutbox
from lendguard.gateway.ports import ConsentLedger, ConsentQuestion, ScoreProvider
from lendguard.gateway.signing import TokenSigner
from lendguard.gateway.store import GatewayRepository
from lendguard.gateway.writers import writer_queue
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.model import Conflict, PermissionDenied, Principal, Role, require
from lendguard.platform.service import TenancyService

# How long the fast path reuses a lender's client rows (contract terms only; see ``_serving_client``).
CLIENT_CACHE_SECONDS = 1.0


class QueryRefused(Exception):
    """A query the gateway refused (and logged); ``reason`` names the failed check."""

    def __init__(self, reason: Refusal, message: str, query_ref: str | None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = REFUSAL_STATUS[reason]
        self.query_ref = query_ref


@dataclass(frozen=True)
class QueryResult:
    query_ref: str
    client_ref: str
    borrower_ref: str
    product: str
    purpose: str
    price: str
    balance: str
    answer: dict[str, Any]
    replayed: bool = False


MESSAGES: dict[Refusal, str] = {
    Refusal.BAD_TOKEN: "the authorisation token is malformed",
    Refusal.BAD_SIGNATURE: "the authorisation token's signature is not the bureau's",
    Refusal.UNKNOWN_AUTHORISATION: "the bureau has no record of this authorisation",
    Refusal.WRONG_CLIENT: "the authorisation names another client",
    Refusal.WRONG_PURPOSE: "the authorisation does not cover this purpose",
    Refusal.WRONG_PRODUCT: "the authorisation does not cover this product",
    Refusal.WRONG_BORROWER: "the authorisation was given by another borrower",
    Refusal.EXPIRED: "the authorisation has expired",
    Refusal.USED_UP: "the authorisation has no uses left",
    Refusal.REVOKED: "the authorisation was revoked",
    Refusal.CONSENT_MISSING: "the consent ledger holds no valid consent of the borrower for this purpose",
    Refusal.PURPOSE_NOT_IN_CONTRACT: "the purpose is not in the client's contract",
    Refusal.CHANNEL_NOT_IN_CONTRACT: "the channel is not in the client's contract",
    Refusal.SUSPENDED: "the client is suspended",
    Refusal.INSUFFICIENT_BALANCE: "the prepaid balance does not cover the price of this query",
    Refusal.RATE_LIMITED: "the client's rate limit is reached",
    Refusal.NO_DATA: "the bureau holds no credit history for this borrower",
}


class GatewayService(Detection):
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
        self._writers: AbstractContextManager[Any] = writer_queue(engine)
        # SQLite reads outside the writer queue (WAL snapshot); PostgreSQL reads in the one transaction.
        self._read_apart = engine.dialect.name == "sqlite"
        # PostgreSQL: the fast path's audit events go through the outbox (the chain head's row lock
        # would serialise the bureau's queries); SQLite's writers are serialised anyway.
        self.outbox = AuditOutbox(engine, audit)

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
        snapshot that takes no write lock), on PostgreSQL at the start of the one transaction (reads
        lock nothing there). The writes then charge with one conditional UPDATE that re-checks
        suspension, balance, rate windows and tier, count the use (conditional: the authorisation's
        existence, revocation and remaining uses are decided here, not by a prior read), insert the
        query line (nothing when the idempotency key is taken) and write the ledger and audit lines.
        Anything unexpected rolls all of it back and returns None: the caller then runs the locked
        path, which decides again and logs the refusal with its reason.
        """
        now = self.clock.now()
        try:
            if self._read_apart:
                with self.engine.connect() as conn, conn.execution_options(read_only=True).begin():
                    ready = self._prepare(conn, principal, claims, token_bureau, lender_code, request, now)
                with self._writers, self.engine.begin() as conn:
                    return self._charge_and_record(conn, principal, ready, claims, request, idempotency_key, now)
            with self.engine.begin() as conn:
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
        # Uses and revocation are left to the conditional UPDATE of the write phase.
        if self._check(conn, client, claims, request, now, AuthorisationState(uses=0, revoked_at=None)):
            raise _TakeLockedPath
        answer = self.provider.answer(conn, bureau_id, request.borrower_ref, request.product)
        if answer is None:
            raise _TakeLockedPath
        contract = client_contract(client, self.defaults)
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
        if not self._read_apart:  # PostgreSQL: one statement; the audit event goes to the outbox
            event = asdict(self._query_event(principal, client, line))
            balance = repo.charge_and_record_pg(
                {**line, "institution_id": bureau_id}, event, topup_total_fen=topup, windows=windows, limits=limits
            )
            if balance is None:
                raise _TakeLockedPath
            balance_after = balance
        else:
            balance = repo.charge_within_limits(
                bureau_id, int(client["id"]), price_fen, topup_total_fen=topup, windows=windows, limits=limits
            )
            if balance is None or not repo.use_authorisation(bureau_id, claims.authorisation_id):
                raise _TakeLockedPath
            if not repo.add_query_once(bureau_id, line):
                raise _TakeLockedPath  # a retry: the locked path replays the first outcome
            balance_after = balance
            self._ledger_and_audit(conn, principal, client, line, balance_after, now)
        return QueryResult(
            line["ref"],
            client["ref"],
            request.borrower_ref,
            request.product.value,
            request.purpose.value,
            fen_to_yuan(price_fen),
            fen_to_yuan(balance_after),
            ready.answer,
        )

    def _serving_client(self, conn: Connection, principal: Principal, claims: Claims) -> dict[str, Any]:
        """The client row the caller acts as, cached for ``CLIENT_CACHE_SECONDS``.

        Only its contract (purposes, channels, tiers, limits) is used from the cache: the charge
        re-checks status and top-up total in SQL, so a stale entry can only send a query to the
        locked path, never answer one that should be refused.
        """
        key = principal.institution_id
        hit = self._serving.get(key)
        if hit is None or hit[0] <= time.monotonic():
            hit = self._serving[key] = (
                time.monotonic() + CLIENT_CACHE_SECONDS,
                GatewayRepository(conn).clients_of_lender(key),
            )
        serving = hit[1]
        if len(serving) > 1:
            serving = [c for c in serving if c["ref"] == claims.client_ref] or serving[:1]
        if not serving:
            raise PermissionDenied("this institution is not a client of the gateway")
        return serving[0]

    def _decide(
        self,
        conn: Connection,
        principal: Principal,
        client: dict[str, Any],
        claims: Claims | None,
        refusal: Refusal | None,
        request: QueryRequest,
        idempotency_key: str | None,
        now: datetime,
    ) -> QueryResult | QueryRefused:
        """Check, price, charge, log and audit one query inside the caller's transaction.

        The locked path: the caller holds the client's row (re-read), so every check sees the state
        the charge will change. The authorisation's use is counted by a conditional update;
        anything that refuses after the use was counted gives the use back in the same transaction.
        """
        repo = GatewayRepository(conn)
        bureau_id = int(client["institution_id"])
        answer: dict[str, Any] | None = None
        if refusal is None:
            assert claims is not None
            refusal = self._check(conn, client, claims, request, now)
        if refusal is None:
            answer = self.provider.answer(conn, bureau_id, request.borrower_ref, request.product)
            if answer is None:
                refusal = Refusal.NO_DATA
        used = False
        if refusal is None:
            assert claims is not None
            used = repo.use_authorisation(bureau_id, claims.authorisation_id)
            if not used:  # revoked or used up since it was read: say which
                row = repo.authorisation(bureau_id, claims.authorisation_id)
                refusal = Refusal.REVOKED if row is not None and row["revoked_at"] is not None else Refusal.USED_UP
        price_fen, tier_label = 0, None
        if refusal is None:
            contract = client_contract(client, self.defaults)
            refusal = check_contract(contract, request)  # suspension takes effect at once
        if refusal is None:
            tier = price_for(contract.tiers, request.product, Decimal(client["topup_total_fen"]) / 100)
            price_fen, tier_label = int(tier.price * 100), f"{tier.product.value}>={tier.min_topup}"
            allowed, window = rate_allows(_window(client), now, contract.rate_per_second, contract.rate_per_day)
            if not allowed:
                refusal = Refusal.RATE_LIMITED
            elif not can_charge(Decimal(client["balance_fen"]), Decimal(price_fen)) or not repo.charge(
                bureau_id, int(client["id"]), price_fen, asdict(window)
            ):
                refusal = Refusal.INSUFFICIENT_BALANCE
        if refusal is not None and used:
            assert claims is not None
            repo.unuse_authorisation(bureau_id, claims.authorisation_id)
        query_ref = uuid.uuid4().hex[:20]
        line = self._query_line(client, request, claims, query_ref, idempotency_key, now)
        if refusal is None:
            assert answer is not None
            balance_after = int(client["balance_fen"]) - price_fen
        else:
            balance_after, price_fen, tier_label, answer = int(client["balance_fen"]), 0, None, None
        line.update(
            outcome="refused" if refusal else "answered",
            reason=refusal.value if refusal else None,
            price_fen=price_fen,
            tier=tier_label,
            response=answer,
        )
        repo.add_query(bureau_id, line)
        self._ledger_and_audit(conn, principal, client, line, balance_after, now)
        if refusal is not None:
            return QueryRefused(refusal, MESSAGES[refusal], query_ref)
        assert answer is not None
        return QueryResult(
            query_ref,
            client["ref"],
            request.borrower_ref,
            request.product.value,
            request.purpose.value,
            fen_to_yuan(price_fen),
            fen_to_yuan(balance_after),
            answer,
        )

    @staticmethod
    def _query_line(
        client: dict[str, Any],
        request: QueryRequest,
        claims: Claims | None,
        query_ref: str,
        idempotency_key: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """The query log line of a query, before its outcome is known."""
        return {
            "ref": query_ref,
            "client_id": client["id"],
            "idempotency_key": idempotency_key or None,
            "at": now,
            "borrower_ref": request.borrower_ref,
            "authorisation_ref": claims.authorisation_id if claims else None,
            "purpose": request.purpose.value,
            "channel": request.channel.value,
            "product": request.product.value,
        }

    def _ledger_and_audit(
        self,
        conn: Connection,
        principal: Principal,
        client: dict[str, Any],
        line: dict[str, Any],
        balance_after: int,
        now: datetime,
    ) -> None:
        """The ledger line of a charged query and the audit entry of every decided query."""
        bureau_id = int(client["institution_id"])
        price_fen = int(line["price_fen"])
        repo = GatewayRepository(conn)
        if line["outcome"] == "answered":
            repo.add_ledger(
                bureau_id,
                {
                    "client_id": client["id"],
                    "at": now,
                    "kind": "charge",
                    "amount_fen": -price_fen,
                    "balance_after_fen": balance_after,
                    "query_ref": line["ref"],
                    "tier": line["tier"],
                },
            )
        event = self._query_event(principal, client, line)
        self.audit.append(conn, bureau_id, event, now)

    @staticmethod
    def _query_event(principal: Principal, client: dict[str, Any], line: dict[str, Any]) -> AuditEvent:
        """The audit entry of a decided query, on the bureau's chain under the borrower's id."""
        return AuditEvent(
            actor=principal.username,
            action=f"gateway.query.{line['outcome']}",
            subject_ref=line["borrower_ref"],
            object_type="gateway_query",
            object_id=line["ref"],
            purpose=line["purpose"],
            detail={
                "client": client["ref"],
                "product": line["product"],
                "channel": line["channel"],
                "authorisation": line["authorisation_ref"],
                "reason": line["reason"],
                "price": fen_to_yuan(int(line["price_fen"])),
            },
        )

    def _client_for(self, repo: GatewayRepository, principal: Principal, claims: Claims | None) -> dict[str, Any]:
        """The client record the lender's user acts as (found through the lender's institution)."""
        serving = repo.clients_of_lender(principal.institution_id)
        if claims is not None and len(serving) > 1:
            serving = [c for c in serving if c["ref"] == claims.client_ref] or serving[:1]
        if not serving:
            raise PermissionDenied("this institution is not a client of the gateway")
        return serving[0]

    def _check(
        self,
        conn: Connection,
        client: dict[str, Any],
        claims: Claims,
        request: QueryRequest,
        now: datetime,
        state: AuthorisationState | None = None,
    ) -> Refusal | None:
        """The first refusal of the checks that need no lock (``state``: the authorisation's, else read)."""
        bureau_id = int(client["institution_id"])
        if state is None:
            row = GatewayRepository(conn).authorisation(bureau_id, claims.authorisation_id)
            if row is None:
                return Refusal.UNKNOWN_AUTHORISATION
            state = AuthorisationState(uses=int(row["uses"]), revoked_at=aware(row["revoked_at"]))
        refusal = check_query(client_contract(client, self.defaults), claims, state, request, now)
        if refusal is not None:
            return refusal
        question = ConsentQuestion(
            bureau_institution_id=bureau_id,
            bureau_code=client["bureau_code"],
            lender_institution_id=client["lender_institution_id"],
            lender_code=client["lender_code"],
            borrower_ref=request.borrower_ref,
            purpose=request.purpose.value,
            at=now,
        )
        if not self.consent.allows(conn, question):
            return Refusal.CONSENT_MISSING
        return None

    def _replay(
        self,
        conn: Connection,
        principal: Principal,
        client: dict[str, Any],
        earlier: dict[str, Any],
        request: QueryRequest,
        now: datetime,
    ) -> QueryResult | QueryRefused:
        """A retry with a known idempotency key returns the first outcome and is never billed again."""
        same = (earlier["borrower_ref"], earlier["purpose"], earlier["product"], earlier["channel"]) == (
            request.borrower_ref,
            request.purpose.value,
            request.product.value,
            request.channel.value,
        )
        if not same:
            raise Conflict("idempotency key reused for a different query")
        self.audit.append(
            conn,
            int(client["institution_id"]),
            AuditEvent(
                actor=principal.username,
                action="gateway.query.replayed",
                subject_ref=earlier["borrower_ref"],
                object_type="gateway_query",
                object_id=earlier["ref"],
                purpose=earlier["purpose"],
                detail={"client": client["ref"], "outcome": earlier["outcome"]},
            ),
            now,
        )
        if earlier["outcome"] == "refused":
            reason = Refusal(earlier["reason"])
            return QueryRefused(reason, MESSAGES[reason], earlier["ref"])
        return QueryResult(
            earlier["ref"],
            client["ref"],
            earlier["borrower_ref"],
            earlier["product"],
            earlier["purpose"],
            fen_to_yuan(int(earlier["price_fen"])),
            fen_to_yuan(int(client["balance_fen"])),
            dict(earlier["response"] or {}),
            replayed=True,
        )


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


def _window(client: dict[str, Any]) -> RateWindow:
    return RateWindow(
        second_start=aware(client["second_start"]),
        second_count=int(client["second_count"]),
        day_start=aware(client["day_start"]),
        day_count=int(client["day_count"]),
    )
