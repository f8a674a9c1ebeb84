"""The annualised rate (IRR-based APR) of any cash-flow schedule (pure).

One equation covers every case. Each flow ``c`` (negative: money advanced to the borrower; positive:
money the borrower pays) sits ``e`` unit periods after the start, with a simple-interest fraction
``f`` of an odd first period, and the periodic rate ``i`` solves

    Σ c / ((1 + f·i) · (1 + i)^e) = 0

- Regulation Z Appendix J (12 CFR 1026 App. J (b)(8)): ``e`` full unit periods, ``f`` the odd
  fraction; the APR is ``i`` × unit periods per year.
- Irregular dated flows (XIRR, actual/365): ``e`` = days / 365, ``f`` = 0; ``i`` is then annual.
- PBoC Announcement 〔2021〕No. 3 (RULES.md CN-PBOC21-01): the annualised rate counts *all* costs the
  borrower pays; so fees paid up front reduce the amount advanced and per-period fees (service,
  insurance, membership) are part of the payments — the callers build flows that way.

The root is bracketed and bisected/Newton-stepped in floating point, then polished by Newton steps
in 40-digit ``Decimal`` so the rate discounts the flows to the amount advanced far below 1e-9.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

ZERO = Decimal(0)
ONE = Decimal(1)


class RateError(ValueError):
    """No single rate exists for a schedule; ``reason`` says why (see :data:`REASONS`)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


REASONS = ("empty", "no_sign_change", "several_sign_changes", "no_convergence", "invalid_flow")


@dataclass(frozen=True)
class TimedFlow:
    """A signed amount ``exponent`` unit periods after the start, with an odd-period ``fraction``."""

    amount: Decimal
    exponent: Decimal
    fraction: Decimal = ZERO


def sign_changes(flows: Sequence[TimedFlow]) -> int:
    """Sign changes of the non-zero amounts in time order (Descartes: at most that many rates)."""
    ordered = sorted(flows, key=lambda fl: fl.exponent + fl.fraction)
    signs = [1 if fl.amount > 0 else -1 for fl in ordered if fl.amount != 0]
    return sum(1 for a, b in itertools.pairwise(signs) if a != b)


def _npv_float(flows: Sequence[tuple[float, float, float]], rate: float) -> float:
    total = 0.0
    log_growth = math.log1p(rate)
    for amount, exponent, fraction in flows:
        # Clip the exponent so rates near -100 % give huge but finite values instead of overflowing.
        total += amount * math.exp(min(-exponent * log_growth, 700.0)) / (1.0 + fraction * rate)
    return total


def _bracket(flows: Sequence[tuple[float, float, float]]) -> float:
    """A float root by bisection on (-1, hi]: with one sign change the NPV is monotone in the rate."""
    lo, hi = 0.0, 1.0
    f_lo = _npv_float(flows, lo)
    f_hi = _npv_float(flows, hi)
    while f_lo * f_hi > 0 and (hi < 1e9 or lo > -0.999999999):
        # Widen both ends: towards -100 % (negative rates) and towards very high rates.
        lo = -1.0 + (1.0 + lo) / 8.0
        hi *= 4.0
        f_lo = _npv_float(flows, lo)
        f_hi = _npv_float(flows, hi)
    if f_lo == 0.0:
        return lo
    if f_hi == 0.0:
        return hi
    if f_lo * f_hi > 0:
        raise RateError("no_convergence", "the rate lies outside (-100 %, 1e11 %) per period")
    for _ in range(200):
        mid = (lo + hi) / 2.0
        f_mid = _npv_float(flows, mid)
        if f_mid == 0.0 or hi - lo < 1e-15 * max(1.0, abs(mid)):
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def _npv_and_slope(flows: Sequence[TimedFlow], rate: Decimal) -> tuple[Decimal, Decimal]:
    npv = ZERO
    slope = ZERO
    growth = ONE + rate
    for fl in flows:
        simple = ONE + fl.fraction * rate
        factor = simple * (growth**fl.exponent if fl.exponent != ZERO else ONE)
        term = fl.amount / factor
        npv += term
        slope -= term * (fl.fraction / simple + fl.exponent / growth)
    return npv, slope


def solve_rate(flows: Sequence[TimedFlow]) -> Decimal:
    """The periodic rate ``i`` at which the flows' present value is zero.

    Raises :class:`RateError` when there is no flow, when the amounts never change sign (nothing is
    lent or nothing repaid: no rate exists), when they change sign more than once (several rates
    may exist, none is *the* rate) or when the solver cannot converge.
    """
    if not flows:
        raise RateError("empty", "the schedule has no cash flows")
    for fl in flows:
        if fl.exponent < 0 or not ZERO <= fl.fraction <= 2:
            raise RateError("invalid_flow", f"flow at time {fl.exponent}+{fl.fraction} is before the start")
    changes = sign_changes(flows)
    if changes == 0:
        raise RateError("no_sign_change", "the amounts never change sign (an advance and repayments are needed)")
    if changes > 1:
        raise RateError("several_sign_changes", f"the amounts change sign {changes} times, so the rate is not unique")
    as_float = [(float(fl.amount), float(fl.exponent), float(fl.fraction)) for fl in flows]
    guess = _bracket(as_float)
    with localcontext() as ctx:
        ctx.prec = 40
        rate = Decimal(repr(guess))
        scale = sum((abs(fl.amount) for fl in flows), ZERO)
        for _ in range(30):
            npv, slope = _npv_and_slope(flows, rate)
            if slope == 0:
                break
            step = npv / slope
            rate -= step
            if abs(step) < Decimal("1e-30") or abs(npv) <= scale * Decimal("1e-32"):
                break
        npv, _ = _npv_and_slope(flows, rate)
        if rate <= -1 or abs(npv) > scale * Decimal("1e-20"):
            raise RateError("no_convergence", "the solver did not converge on a rate")
    return +rate


@dataclass(frozen=True)
class RateResult:
    """What a borrower is told: rates as fractions (0.2336 is 23.36 %), money in yuan/dollars."""

    periodic_rate: Decimal
    periods_per_year: int
    apr: Decimal
    effective_annual_rate: Decimal
    amount_advanced: Decimal
    total_payments: Decimal
    total_interest_and_fees: Decimal

    def as_dict(self, places: int = 10) -> dict[str, str | int]:
        """JSON-ready figures: rates rounded to ``places`` decimals, money to cents, all as strings."""
        q = Decimal(1).scaleb(-places)
        cents = Decimal("0.01")
        return {
            "periodic_rate": str(self.periodic_rate.quantize(q)),
            "periods_per_year": self.periods_per_year,
            "apr": str(self.apr.quantize(q)),
            "apr_pct": str((self.apr * 100).quantize(cents)),
            "effective_annual_rate": str(self.effective_annual_rate.quantize(q)),
            "amount_advanced": str(self.amount_advanced.quantize(cents)),
            "total_payments": str(self.total_payments.quantize(cents)),
            "total_interest_and_fees": str(self.total_interest_and_fees.quantize(cents)),
        }


def rate_result(flows: Sequence[TimedFlow], periods_per_year: int) -> RateResult:
    """Solve ``flows`` and derive the nominal APR (periodic × periods per year) and the effective rate."""
    periodic = solve_rate(flows)
    advanced = -sum((fl.amount for fl in flows if fl.amount < 0), ZERO)
    paid = sum((fl.amount for fl in flows if fl.amount > 0), ZERO)
    with localcontext() as ctx:
        ctx.prec = 40
        effective = (ONE + periodic) ** periods_per_year - ONE
        apr = periodic * periods_per_year
    return RateResult(
        periodic_rate=periodic,
        periods_per_year=periods_per_year,
        apr=apr,
        effective_annual_rate=effective,
        amount_advanced=advanced,
        total_payments=paid,
        total_interest_and_fees=paid - advanced,
    )
