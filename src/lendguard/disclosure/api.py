"""HTTP API of loan disclosure under ``/v1/disclosure``: rate, offer check, portfolio scan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, Field

from lendguard.disclosure.calculator import RateError, RateResult
from lendguard.disclosure.offer_model import OfferError
from lendguard.disclosure.periods import Frequency
from lendguard.disclosure.schedules import dated_rate, period_rate, regular_rate
from lendguard.disclosure.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal

router = APIRouter(prefix="/v1/disclosure", tags=["disclosure"])


class DatedFlow(BaseModel):
    date: date
    amount: Decimal = Field(description="Signed: money advanced negative, money paid by the borrower positive.")


class PeriodFlow(BaseModel):
    period: Decimal = Field(ge=0, description="Time in unit periods of `frequency` (may be fractional).")
    amount: Decimal


class RateRequest(BaseModel):
    """Either a regular schedule (`principal`, `payment`, `count`) or explicit flows."""

    principal: Decimal | None = None
    payment: Decimal | None = None
    count: int | None = Field(None, ge=1)
    frequency: Frequency = Frequency.MONTHLY
    upfront_fee: Decimal = Decimal(0)
    fee_per_period: Decimal = Decimal(0)
    start_date: date | None = None
    first_payment_date: date | None = None
    dated_flows: list[DatedFlow] | None = Field(None, description="XIRR, actual/365.")
    period_flows: list[PeriodFlow] | None = None


class RateOut(BaseModel):
    periodic_rate: str
    periods_per_year: int
    apr: str
    apr_pct: str
    effective_annual_rate: str
    amount_advanced: str
    total_payments: str
    total_interest_and_fees: str


def _unprocessable(exc: Exception) -> HTTPException:
    return HTTPException(422, str(exc))


def _compute(body: RateRequest) -> RateResult:
    if body.dated_flows is not None:
        return dated_rate([(f.date, f.amount) for f in body.dated_flows])
    if body.period_flows is not None:
        return period_rate([(f.period, f.amount) for f in body.period_flows], body.frequency)
    if body.principal is None or body.payment is None or body.count is None:
        raise RateError("invalid_flow", "give principal, payment and count, or dated_flows, or period_flows")
    return regular_rate(
        body.principal,
        body.payment,
        body.count,
        body.frequency,
        upfront_fee=body.upfront_fee,
        fee_per_period=body.fee_per_period,
        start_date=body.start_date,
        first_payment_date=body.first_payment_date,
    )


@router.post("/rate", response_model=RateOut, summary="Annualised rate (IRR-based APR) of a schedule")
def rate(body: RateRequest, principal: CurrentPrincipal, container: AppContainer) -> RateOut:
    try:
        result = service(container).rate(principal, lambda: _compute(body))
    except RateError as exc:
        raise _unprocessable(exc) from None
    return RateOut.model_validate(result.as_dict())


@router.post("/check", summary="Check an offer's advertised terms against its schedule and the legal lines")
def check(
    principal: CurrentPrincipal,
    container: AppContainer,
    offer: dict[str, Any] = Body(..., description="An offer document (format in docs/disclosure.md)."),
) -> dict[str, Any]:
    try:
        return service(container).check(principal, offer).as_dict()
    except (OfferError, RateError) as exc:
        raise _unprocessable(exc) from None


@router.post("/scan", summary="APR of every loan of my institution and the loans above 24 %, 36 %, 4 × LPR")
def scan(principal: CurrentPrincipal, container: AppContainer) -> dict[str, object]:
    return service(container).scan(principal)
