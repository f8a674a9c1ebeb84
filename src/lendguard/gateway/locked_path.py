"""The gateway's locked path, and the pieces both paths share.

One transaction holds the client's row (``FOR UPDATE`` on PostgreSQL; on SQLite the gateway's writer
queue and ``BEGIN IMMEDIATE``), so every check sees the state the charge will change: refusals (logged
with their reason), idempotent replays and queries that lost a race on the fast path are decided here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.gateway.accounts import aware, client_contract, fen_to_yuan
from lendguard.gateway.detection import Detection
from lendguard.gateway.model import (
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
)
from lendguard.gateway.outcomes import MESSAGES, QueryRefused, QueryResult
from lendguard.gateway.ports import ConsentLedger, ConsentQuestion, ScoreProvider
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.model import Conflict, PermissionDenied, Principal

# How long the fast path reuses a lender's client rows (contract terms only; see ``_serving_client``).
CLIENT_CACHE_SECONDS = 1.0


class LockedPath(Detection):
    """The locked path of :class:`~lendguard.gateway.service.GatewayService` (set up there)."""

    consent: ConsentLedger
    provider: ScoreProvider

    def _serving_client(
        self, conn: Connection, principal: Principal, claims: Claims
    ) -> tuple[dict[str, Any], Contract]:
        """The client row the caller acts as and its contract, cached for ``CLIENT_CACHE_SECONDS``.

        Only its contract (purposes, channels, tiers, limits) is used from the cache: the charge
        re-checks status and top-up total in SQL, so a stale entry can only send a query to the
        locked path, never answer one that should be refused. The contract is derived once per
        cache fill (a pure function of the row), not per query.
        """
        key = principal.institution_id
        hit = self._serving.get(key)
        if hit is None or hit[0] <= time.monotonic():
            rows = GatewayRepository(conn).clients_of_lender(key)
            hit = self._serving[key] = (
                time.monotonic() + CLIENT_CACHE_SECONDS,
                [(row, client_contract(row, self.defaults)) for row in rows],
            )
        serving = hit[1]
        if len(serving) > 1:
            serving = [c for c in serving if c[0]["ref"] == claims.client_ref] or serving[:1]
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
        return answered(query_ref, client, request, price_fen, balance_after, answer)

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
        contract: Contract | None = None,
    ) -> Refusal | None:
        """The first refusal of the checks that need no lock (``state``: the authorisation's, else read;
        ``contract``: the client's, else derived from ``client``)."""
        bureau_id = int(client["institution_id"])
        if state is None:
            row = GatewayRepository(conn).authorisation(bureau_id, claims.authorisation_id)
            if row is None:
                return Refusal.UNKNOWN_AUTHORISATION
            state = AuthorisationState(uses=int(row["uses"]), revoked_at=aware(row["revoked_at"]))
        contract = contract or client_contract(client, self.defaults)
        refusal = check_query(contract, claims, state, request, now)
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


def answered(
    query_ref: str,
    client: dict[str, Any],
    request: QueryRequest,
    price_fen: int,
    balance_fen: int,
    answer: dict[str, Any],
) -> QueryResult:
    """The result of a query answered and charged now (both paths build it the same way)."""
    return QueryResult(
        query_ref,
        client["ref"],
        request.borrower_ref,
        request.product.value,
        request.purpose.value,
        fen_to_yuan(price_fen),
        fen_to_yuan(balance_fen),
        answer,
    )


def _window(client: dict[str, Any]) -> RateWindow:
    return RateWindow(
        second_start=aware(client["second_start"]),
        second_count=int(client["second_count"]),
        day_start=aware(client["day_start"]),
        day_count=int(client["day_count"]),
    )
