"""The disclosure page: paste a schedule (or enter a regular loan) and see its annualised rate (HTMX)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from lendguard.disclosure.calculator import RateError, RateResult
from lendguard.disclosure.inputs import InputError, rate_of_flows
from lendguard.disclosure.offer_model import OfferError
from lendguard.disclosure.periods import Frequency, parse_frequency
from lendguard.disclosure.schedules import regular_rate
from lendguard.disclosure.wiring import service
from lendguard.platform.deps import AppContainer
from lendguard.web.rendering import PagePrincipal, render

router = APIRouter(include_in_schema=False)


@router.get("/disclosure", response_class=HTMLResponse)
def page(request: Request, principal: PagePrincipal) -> HTMLResponse:
    return render(request, "disclosure/index.html", principal, frequencies=[f.value for f in Frequency])


def _number(name: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip() or "0")
    except InvalidOperation:
        raise RateError("invalid_flow", f"{name}: {raw!r} is not a number") from None
    return value


def _compute(
    flows: str,
    principal: str,
    payment: str,
    count: str,
    frequency: str,
    upfront_fee: str,
    fee_per_period: str,
    start_date: str,
    first_payment_date: str,
) -> RateResult:
    try:
        freq = parse_frequency(frequency)
    except ValueError as exc:
        raise RateError("invalid_flow", str(exc)) from None
    if flows.strip():
        return rate_of_flows(flows.strip() + "\n", "pasted schedule", freq)
    if not count.strip().isdigit():
        raise RateError("invalid_flow", "count: enter a whole number of payments")
    try:
        start = date.fromisoformat(start_date) if start_date.strip() else None
        first = date.fromisoformat(first_payment_date) if first_payment_date.strip() else None
    except ValueError:
        raise RateError("invalid_flow", "dates must be YYYY-MM-DD") from None
    return regular_rate(
        _number("principal", principal),
        _number("payment", payment),
        int(count),
        freq,
        upfront_fee=_number("up-front fee", upfront_fee),
        fee_per_period=_number("fee per period", fee_per_period),
        start_date=start,
        first_payment_date=first,
    )


@router.post("/disclosure/rate", response_class=HTMLResponse)
def rate(
    request: Request,
    principal: PagePrincipal,
    container: AppContainer,
    flows: Annotated[str, Form()] = "",
    loan_principal: Annotated[str, Form(alias="principal")] = "",
    payment: Annotated[str, Form()] = "",
    count: Annotated[str, Form()] = "",
    frequency: Annotated[str, Form()] = "monthly",
    upfront_fee: Annotated[str, Form()] = "0",
    fee_per_period: Annotated[str, Form()] = "0",
    start_date: Annotated[str, Form()] = "",
    first_payment_date: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The result fragment (HTMX swaps it into the page); errors are shown in place, never a 500."""
    try:
        result = service(container).rate(
            principal,
            lambda: _compute(
                flows,
                loan_principal,
                payment,
                count,
                frequency,
                upfront_fee,
                fee_per_period,
                start_date,
                first_payment_date,
            ),
        )
    except (RateError, InputError) as exc:
        return render(request, "disclosure/_result.html", principal, error=str(exc), result=None)
    apr = result.apr
    return render(
        request,
        "disclosure/_result.html",
        principal,
        error=None,
        result=result.as_dict(),
        above=[name for name, cap in (("24 %", Decimal("0.24")), ("36 %", Decimal("0.36"))) if apr > cap],
    )


@router.post("/disclosure/check", response_class=HTMLResponse)
def check(
    request: Request,
    principal: PagePrincipal,
    container: AppContainer,
    offer: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The offer-check fragment: findings and legal lines of a pasted offer document."""
    try:
        document = json.loads(offer)
    except json.JSONDecodeError as exc:
        return render(
            request, "disclosure/_check.html", principal, error=f"line {exc.lineno}: invalid JSON", report=None
        )
    try:
        report = service(container).check(principal, document).as_dict()
    except (OfferError, RateError) as exc:
        return render(request, "disclosure/_check.html", principal, error=str(exc), report=None)
    return render(request, "disclosure/_check.html", principal, error=None, report=report)
