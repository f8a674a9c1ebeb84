"""Cash-flow schedules in the shapes borrowers meet them, turned into timed flows (pure).

Sign convention: money advanced to the borrower is negative, money the borrower pays is positive
(the lender's view, as ``numpy_financial.irr`` expects). Fees follow PBoC 〔2021〕No. 3 and
Regulation Z: a fee paid up front (or withheld from the loan) reduces the amount advanced; a fee
paid with each instalment (service, insurance, membership) is part of that payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lendguard.disclosure.calculator import ZERO, RateError, RateResult, TimedFlow, rate_result
from lendguard.disclosure.periods import PERIODS_PER_YEAR, Frequency, payment_dates, unit_time

DAYS_PER_YEAR = Decimal(365)


@dataclass(frozen=True)
class Stream:
    """``count`` equal payments of ``amount``, the first on ``first_date``, spaced by the frequency."""

    amount: Decimal
    count: int
    first_date: date


def _check_money(name: str, value: Decimal, *, positive: bool = False) -> None:
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise RateError("invalid_flow", f"{name} must be {'positive' if positive else 'zero or more'}, got {value}")


def amount_advanced(principal: Decimal, upfront_fee: Decimal = ZERO) -> Decimal:
    """Principal less fees paid up front: what the borrower actually gets to use."""
    _check_money("principal", principal, positive=True)
    _check_money("upfront_fee", upfront_fee)
    if upfront_fee >= principal:
        raise RateError("invalid_flow", "the up-front fee is not less than the principal")
    return principal - upfront_fee


def regular_rate(
    principal: Decimal,
    payment: Decimal,
    count: int,
    frequency: Frequency,
    *,
    upfront_fee: Decimal = ZERO,
    fee_per_period: Decimal = ZERO,
    start_date: date | None = None,
    first_payment_date: date | None = None,
) -> RateResult:
    """Rate of ``count`` level payments; with both dates, the first period may be odd (Appendix J)."""
    _check_money("payment", payment, positive=True)
    _check_money("fee_per_period", fee_per_period)
    if count < 1:
        raise RateError("invalid_flow", f"count must be at least 1, got {count}")
    advanced = amount_advanced(principal, upfront_fee)
    if (start_date is None) != (first_payment_date is None):
        raise RateError("invalid_flow", "give both start_date and first_payment_date, or neither")
    if start_date is not None and first_payment_date is not None:
        return appendix_j_rate(
            advanced, start_date, frequency, [Stream(payment + fee_per_period, count, first_payment_date)]
        )
    flows = [TimedFlow(-advanced, ZERO)]
    flows += [TimedFlow(payment + fee_per_period, Decimal(k)) for k in range(1, count + 1)]
    return rate_result(flows, PERIODS_PER_YEAR[frequency])


def appendix_j_rate(advanced: Decimal, start_date: date, frequency: Frequency, streams: Sequence[Stream]) -> RateResult:
    """Regulation Z Appendix J actuarial APR of a single advance repaid by payment streams."""
    _check_money("amount_advanced", advanced, positive=True)
    flows = [TimedFlow(-advanced, ZERO)]
    grid_day = streams[0].first_date.day if streams else None  # the loan's payment grid (semimonthly)
    for stream in streams:
        _check_money("payment", stream.amount)
        for when in payment_dates(stream.first_date, stream.count, frequency):
            time = unit_time(start_date, when, frequency, grid_day)
            flows.append(TimedFlow(stream.amount, Decimal(time.periods), time.fraction))
    return rate_result(flows, PERIODS_PER_YEAR[frequency])


def dated_rate(flows: Sequence[tuple[date, Decimal]]) -> RateResult:
    """XIRR of signed dated flows, actual/365 from the earliest date; the period is one year."""
    if not flows:
        raise RateError("empty", "the schedule has no cash flows")
    start = min(day for day, _ in flows)
    timed = [TimedFlow(amount, Decimal((day - start).days) / DAYS_PER_YEAR) for day, amount in flows]
    return rate_result(timed, 1)


def period_rate(flows: Sequence[tuple[Decimal, Decimal]], frequency: Frequency) -> RateResult:
    """Rate of signed flows at (possibly fractional) unit-period times, compounded each period."""
    timed = [TimedFlow(amount, period) for period, amount in flows]
    return rate_result(timed, PERIODS_PER_YEAR[frequency])
