"""Property tests: the rate found discounts the flows to the amount advanced, and agrees with numpy-financial."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext
from itertools import pairwise

import numpy_financial as npf
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lendguard.disclosure.calculator import TimedFlow, solve_rate
from lendguard.disclosure.periods import Frequency, payment_dates, unit_time
from lendguard.disclosure.schedules import DAYS_PER_YEAR

money = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("50000.00"), places=2)
frequencies = st.sampled_from(list(Frequency))


def present_value(flows: list[TimedFlow], rate: Decimal) -> Decimal:
    """Σ payment / ((1 + f·i)(1 + i)^t) in 50-digit arithmetic, advance excluded."""
    with localcontext() as ctx:
        ctx.prec = 50
        return sum(
            (fl.amount / ((1 + fl.fraction * rate) * (1 + rate) ** fl.exponent) for fl in flows if fl.amount > 0),
            Decimal(0),
        )


@st.composite
def loans(draw: st.DrawFn) -> tuple[Decimal, list[Decimal]]:
    """An advance and 1-60 positive payments whose total exceeds half the advance (rates > -100 %)."""
    advance = draw(money)
    count = draw(st.integers(1, 60))
    payments = draw(st.lists(money, min_size=count, max_size=count))
    return advance, payments


@settings(max_examples=150, deadline=None)
@given(loans())
def test_rate_discounts_regular_flows_to_the_advance(loan: tuple[Decimal, list[Decimal]]) -> None:
    advance, payments = loan
    flows = [TimedFlow(-advance, Decimal(0))] + [TimedFlow(p, Decimal(k + 1)) for k, p in enumerate(payments)]
    rate = solve_rate(flows)
    assert abs(present_value(flows, rate) - advance) < Decimal("1e-9")


@settings(max_examples=100, deadline=None)
@given(
    advance=money,
    payment=money,
    count=st.integers(1, 48),
    frequency=frequencies,
    start=st.dates(date(2000, 1, 1), date(2040, 1, 1)),
    gap=st.integers(1, 120),
)
def test_rate_discounts_odd_period_flows_to_the_advance(
    advance: Decimal, payment: Decimal, count: int, frequency: Frequency, start: date, gap: int
) -> None:
    # A loan repays at least what it advanced (rate >= 0); a loss in a few days would put the
    # root below -100 %, where the simple-interest fraction of Appendix J has no meaning.
    assume(payment * count >= advance)
    flows = [TimedFlow(-advance, Decimal(0))]
    for when in payment_dates(start + timedelta(days=gap), count, frequency):
        time = unit_time(start, when, frequency)
        flows.append(TimedFlow(payment, Decimal(time.periods), time.fraction))
    rate = solve_rate(flows)
    assert abs(present_value(flows, rate) - advance) < Decimal("1e-9")


@settings(max_examples=100, deadline=None)
@given(
    share=st.decimals(min_value=Decimal("0.34"), max_value=Decimal("1"), places=2),
    dated=st.lists(st.tuples(st.integers(30, 3000), money), min_size=1, max_size=40),
)
def test_xirr_discounts_dated_flows_to_the_advance(share: Decimal, dated: list[tuple[int, Decimal]]) -> None:
    # The advance is 34-100 % of what is repaid over at least a month: annual rates from 0 to about 3^12.
    total = sum((amount for _, amount in dated), Decimal(0))
    advance = (total * share).quantize(Decimal("0.01"))
    flows = [TimedFlow(-advance, Decimal(0))] + [
        TimedFlow(amount, Decimal(days) / DAYS_PER_YEAR) for days, amount in dated
    ]
    rate = solve_rate(flows)
    assert abs(present_value(flows, rate) - advance) < Decimal("1e-9")


@settings(max_examples=150, deadline=None)
@given(loans())
def test_agrees_with_numpy_financial_irr(loan: tuple[Decimal, list[Decimal]]) -> None:
    advance, payments = loan
    expected = npf.irr([-float(advance)] + [float(p) for p in payments])
    flows = [TimedFlow(-advance, Decimal(0))] + [TimedFlow(p, Decimal(k + 1)) for k, p in enumerate(payments)]
    rate = solve_rate(flows)
    if expected != expected:  # numpy-financial found no real root in its range: only tiny rates near -100 %
        assert rate < Decimal("-0.5")
        return
    # 1e-9 absolute for ordinary rates; for absurd ones (e.g. 1,000,000 % a period, which the strategy
    # can draw) numpy's float root is itself only good to ~1e-13 relative, so compare relatively there.
    assert abs(float(rate) - expected) < 1e-9 * max(1.0, abs(expected))


@settings(max_examples=200, deadline=None)
@given(
    frequency=frequencies,
    start=st.dates(date(2000, 1, 1), date(2040, 1, 1)),
    gap=st.integers(1, 100),
    count=st.integers(2, 40),
)
def test_grids_and_unit_times_move_forward(frequency: Frequency, start: date, gap: int, count: int) -> None:
    dates = payment_dates(start + timedelta(days=gap), count, frequency)
    assert all(a < b for a, b in pairwise(dates))
    times = [unit_time(start, d, frequency, dates[0].day).as_decimal() for d in dates]
    assert all(a < b for a, b in pairwise(times))
    # Consecutive payments are about one unit period apart (month ends and 30-day months allow slack).
    assert all(Decimal("0.8") <= b - a <= Decimal("1.2") for a, b in pairwise(times))
