"""HTTP API of the loan book."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from lendguard.lending.model import Stage
from lendguard.lending.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal

router = APIRouter(prefix="/v1/lending", tags=["lending"])


class Overview(BaseModel):
    borrowers: int
    loans_by_stage: dict[str, int]


class InstalmentOut(BaseModel):
    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal
    paid_amount: Decimal
    paid_at: datetime | None


class LoanOut(BaseModel):
    id: int
    ref: str
    borrower_ref: str
    product: str
    principal: Decimal
    nominal_rate: Decimal
    instalment_count: int
    frequency: str
    disbursed_at: datetime
    upfront_fee: Decimal
    fee_per_period: Decimal
    status: str
    days_past_due: int
    stage: Stage
    outstanding: Decimal


class LoanDetail(LoanOut):
    schedule: list[InstalmentOut]


@router.get("/overview", response_model=Overview, summary="Borrowers and loans per stage of my institution")
def overview(principal: CurrentPrincipal, container: AppContainer) -> Overview:
    return Overview(**service(container).overview(principal))


@router.get("/loans", response_model=list[LoanOut], summary="Loans of my institution")
def list_loans(
    principal: CurrentPrincipal,
    container: AppContainer,
    stage: Stage | None = None,
    borrower_ref: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[LoanOut]:
    rows = service(container).loans(
        principal, stage=stage.value if stage else None, borrower_ref=borrower_ref, limit=limit, offset=offset
    )
    return [LoanOut(**r) for r in rows]


@router.get("/loans/{loan_id}", response_model=LoanDetail, summary="One loan with its schedule")
def get_loan(loan_id: int, principal: CurrentPrincipal, container: AppContainer) -> LoanDetail:
    return LoanDetail(**service(container).loan(principal, loan_id))
