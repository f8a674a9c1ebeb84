"""The gateway's small interfaces to things it does not own: the consent ledger and the score source.

The consent ledger belongs to the privacy capability (``PrivacyService.consent_allows``); the gateway
codes against :class:`ConsentLedger` so that tests use a fake and ``gateway.wiring`` adapts the real
one. Scores come from a :class:`ScoreProvider` so that a real model can replace the demo scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from lendguard.gateway import score_model
from lendguard.gateway.model import Product
from lendguard.gateway.store import GatewayRepository


@dataclass(frozen=True)
class ConsentQuestion:
    """Which disclosure a query would make: the bureau answering, the lender asking, whose data, why, when."""

    bureau_institution_id: int
    bureau_code: str
    lender_institution_id: int | None
    lender_code: str | None
    borrower_ref: str
    purpose: str
    at: datetime


class ConsentLedger(Protocol):
    """Does the borrower's consent, as recorded in the ledger, cover this disclosure at ``at``?"""

    def allows(
        self,
        conn: Connection,
        question: ConsentQuestion,
    ) -> bool: ...


class ScoreProvider(Protocol):
    """The bureau's answer to an authorised query, or None when it holds nothing on the borrower."""

    def answer(
        self, conn: Connection, bureau_institution_id: int, borrower_ref: str, product: Product
    ) -> dict[str, Any] | None: ...


class RepaymentHistoryProvider:
    """Demo provider: the scorecard of ``score_model`` over the repayment history the bureau holds."""

    def answer(
        self, conn: Connection, bureau_institution_id: int, borrower_ref: str, product: Product
    ) -> dict[str, Any] | None:
        rows = GatewayRepository(conn).credit_history(bureau_institution_id, borrower_ref)
        if not rows:
            return None
        history = [
            score_model.LoanHistory(
                instalments_due=r["instalments_due"],
                paid_on_time=r["paid_on_time"],
                paid_late=r["paid_late"],
                unpaid=r["unpaid"],
                days_past_due=r["days_past_due"],
                outstanding_fen=r["outstanding_fen"],
                status=r["status"],
            )
            for r in rows
        ]
        if product is Product.SCORE:
            return {"score": score_model.score(history), "scale": [score_model.SCORE_MIN, score_model.SCORE_MAX]}
        return score_model.report(history)


class UnavailableConsentLedger:
    """Refuses every disclosure: used when no consent ledger is wired, so nothing leaks by default."""

    def allows(
        self,
        conn: Connection,
        question: ConsentQuestion,
    ) -> bool:
        return False
