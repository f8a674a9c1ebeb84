"""What a gateway query returns: its result, or the refusal naming the failed check (and its message)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lendguard.gateway.model import REFUSAL_STATUS, Refusal


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
