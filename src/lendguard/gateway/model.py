"""Pure domain of the credit-data gateway: contracts, price tiers, rate-limit windows, query checks.

Sources: PBOC notice on cutting direct connections between platforms and lenders (断直连, 2021:
personal information flows platform → licensed credit bureau → lender); Credit Reporting Industry
Regulation (征信业管理条例, 2013) arts. 14, 18 and 20 (a user queries credit information only with the
subject's written authorisation, for the agreed purpose, and keeps a record of every query); PIPL
arts. 13–15 (consent may be withdrawn at any time, with effect from then on). Time is always an
argument here: nothing reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Purpose(StrEnum):
    """Purposes a client contract may permit (Credit Reporting Regulation art. 20: purpose-bound use)."""

    CREDIT_ASSESSMENT = "credit_assessment"
    ACCOUNT_REVIEW = "account_review"
    COLLECTION = "collection"


class Channel(StrEnum):
    """Channels through which the borrower deals with the client."""

    APP = "app"
    WEB = "web"
    BRANCH = "branch"


class Product(StrEnum):
    """What a query returns: a score, or a summary report (never raw personal data)."""

    SCORE = "score"
    REPORT = "report"


class ClientStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Refusal(StrEnum):
    """Why a query was refused; each maps to one HTTP status and is shown to the client verbatim."""

    BAD_TOKEN = "bad_token"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_AUTHORISATION = "unknown_authorisation"
    WRONG_CLIENT = "wrong_client"
    WRONG_PURPOSE = "wrong_purpose"
    WRONG_PRODUCT = "wrong_product"
    WRONG_BORROWER = "wrong_borrower"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    CONSENT_MISSING = "consent_missing"
    PURPOSE_NOT_IN_CONTRACT = "purpose_not_in_contract"
    CHANNEL_NOT_IN_CONTRACT = "channel_not_in_contract"
    SUSPENDED = "suspended"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    RATE_LIMITED = "rate_limited"
    NO_DATA = "no_data"


# 403: the authorisation or contract does not cover the query; 402: pay first; 429: slow down.
REFUSAL_STATUS: dict[Refusal, int] = {
    **{r: 403 for r in Refusal},
    Refusal.BAD_TOKEN: 400,
    Refusal.INSUFFICIENT_BALANCE: 402,
    Refusal.RATE_LIMITED: 429,
    Refusal.NO_DATA: 404,
}


@dataclass(frozen=True)
class PriceTier:
    """From a cumulative top-up of ``min_topup`` yuan, a call of ``product`` costs ``price``."""

    product: Product
    min_topup: Decimal
    price: Decimal


DEFAULT_TIERS: tuple[PriceTier, ...] = tuple(
    PriceTier(product, Decimal(floor), Decimal(price))
    for product, base in ((Product.SCORE, Decimal("1.00")), (Product.REPORT, Decimal("3.00")))
    for floor, price in (("150000", base * Decimal("0.80")), ("100000", base * Decimal("0.90")), ("0", base))
)


def price_for(tiers: tuple[PriceTier, ...], product: Product, topup_total: Decimal) -> PriceTier:
    """The tier that applies: the highest ``min_topup`` reached by the client's cumulative top-ups.

    Prices follow the contract's tier table (DESIGN §1: 0.80 a call with 150,000 prepaid, 0.90 with
    100,000); a product without any tier is not sold to the client.
    """
    eligible = [t for t in tiers if t.product == product and topup_total >= t.min_topup]
    if not eligible:
        raise ValueError(f"no price tier for product {product.value} at top-up {topup_total}")
    return max(eligible, key=lambda t: t.min_topup)


def parse_tiers(items: list[dict[str, str]]) -> tuple[PriceTier, ...]:
    """Tiers from their stored form ``[{"product", "min_topup", "price"}]``; rejects negative money."""
    tiers = tuple(PriceTier(Product(i["product"]), Decimal(i["min_topup"]), Decimal(i["price"])) for i in items)
    if any(t.min_topup < 0 or t.price < 0 for t in tiers):
        raise ValueError("tier amounts must not be negative")
    return tiers


def tiers_to_json(tiers: tuple[PriceTier, ...]) -> list[dict[str, str]]:
    return [{"product": t.product.value, "min_topup": str(t.min_topup), "price": str(t.price)} for t in tiers]


@dataclass(frozen=True)
class RateWindow:
    """Counters of answered queries in the current second and the current (UTC) day."""

    second_start: datetime | None = None
    second_count: int = 0
    day_start: datetime | None = None
    day_count: int = 0


def window_starts(now: datetime) -> tuple[datetime, datetime]:
    """Starts of the fixed rate windows holding ``now``: its second and its (UTC) day."""
    return now.replace(microsecond=0), now.replace(hour=0, minute=0, second=0, microsecond=0)


def rate_allows(window: RateWindow, now: datetime, per_second: int, per_day: int) -> tuple[bool, RateWindow]:
    """Fixed-window limiter: may one more query run at ``now``? Returns the window after counting it.

    A fixed one-second window is exact enough for a contract limit and needs only the client's row,
    which the caller already holds locked; when refused the window is returned unchanged.
    """
    second, day = window_starts(now)
    s_count = window.second_count if window.second_start == second else 0
    d_count = window.day_count if window.day_start == day else 0
    if s_count + 1 > per_second or d_count + 1 > per_day:
        return False, window
    return True, RateWindow(second, s_count + 1, day, d_count + 1)


@dataclass(frozen=True)
class Contract:
    """What a client may do: purposes, channels, prices, limits, and whether it is suspended."""

    client_ref: str
    purposes: frozenset[Purpose]
    channels: frozenset[Channel]
    tiers: tuple[PriceTier, ...]
    rate_per_second: int
    rate_per_day: int
    status: ClientStatus = ClientStatus.ACTIVE
    suspend_reason: str | None = None


@dataclass(frozen=True)
class Claims:
    """The signed content of an authorisation token (what the borrower agreed to)."""

    authorisation_id: str
    bureau: str
    client_ref: str
    borrower_ref: str
    purpose: Purpose
    product: Product
    expires_at: datetime
    max_uses: int


@dataclass(frozen=True)
class QueryRequest:
    """What the client asks for, besides the token."""

    borrower_ref: str
    purpose: Purpose
    product: Product
    channel: Channel


@dataclass(frozen=True)
class AuthorisationState:
    """The bureau's mutable record of an authorisation: how often used, whether revoked."""

    uses: int
    revoked_at: datetime | None


def check_contract(contract: Contract, request: QueryRequest) -> Refusal | None:
    """The client's own standing: not suspended, purpose and channel named in its contract
    (Credit Reporting Regulation art. 20: credit information is used only for the agreed purpose)."""
    if contract.status is ClientStatus.SUSPENDED:
        return Refusal.SUSPENDED
    if request.purpose not in contract.purposes:
        return Refusal.PURPOSE_NOT_IN_CONTRACT
    if request.channel not in contract.channels:
        return Refusal.CHANNEL_NOT_IN_CONTRACT
    return None


def check_query(
    contract: Contract,
    claims: Claims,
    state: AuthorisationState,
    request: QueryRequest,
    now: datetime,
) -> Refusal | None:
    """The first reason the query may not be answered, or None. Signature and consent are checked apart.

    Order matters only for the message: the client's own standing first (suspension), then the
    contract (Credit Reporting Regulation art. 20: only contracted purposes), then the borrower's
    authorisation (art. 18: written authorisation naming the user, the purpose and the term).
    """
    refusal = check_contract(contract, request)
    if refusal is not None:
        return refusal
    if claims.client_ref != contract.client_ref:
        return Refusal.WRONG_CLIENT
    if claims.borrower_ref != request.borrower_ref:
        return Refusal.WRONG_BORROWER
    if claims.purpose != request.purpose:
        return Refusal.WRONG_PURPOSE
    if claims.product != request.product:
        return Refusal.WRONG_PRODUCT
    if state.revoked_at is not None and state.revoked_at <= now:
        return Refusal.REVOKED
    if now >= claims.expires_at:
        return Refusal.EXPIRED
    if state.uses >= claims.max_uses:
        return Refusal.USED_UP
    return None


def can_charge(balance: Decimal, price: Decimal) -> bool:
    """A prepaid balance never goes below zero: charge only when it covers the whole price."""
    return balance >= price
