"""The vectorised solver agrees with the exact scalar solver and with numpy-financial."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy_financial as npf
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.disclosure.batch import solve_regular_batch
from lendguard.disclosure.calculator import TimedFlow, solve_rate


def test_batch_matches_numpy_financial_on_random_level_loans() -> None:
    rng = np.random.default_rng(42)
    n, width = 2000, 36
    advance = rng.uniform(500, 60000, n)
    count = rng.integers(1, width + 1, n)
    monthly = rng.uniform(0, 0.06, n)
    payment = np.where(monthly > 0, advance * monthly / (1 - (1 + monthly) ** -count), advance / count)
    payments = np.where(np.arange(width)[None, :] < count[:, None], payment[:, None], 0.0)
    rates = solve_regular_batch(advance, payments)
    assert np.max(np.abs(rates - monthly)) < 1e-9
    for row in range(0, n, 97):
        flows = np.concatenate([[-advance[row]], payments[row, : count[row]]])
        assert abs(rates[row] - npf.irr(flows)) < 1e-9


@settings(max_examples=60, deadline=None)
@given(
    advance=st.floats(100, 100000),
    payments=st.lists(st.floats(1, 20000), min_size=1, max_size=48),
    offset=st.integers(0, 2),
    fraction=st.sampled_from([0.0, 0.2, 19 / 30, 0.9]),
)
def test_batch_matches_scalar_solver_with_odd_first_period(
    advance: float, payments: list[float], offset: int, fraction: float
) -> None:
    if offset == 0 and fraction == 0.0:
        offset = 1  # a first payment at the very moment of the advance is not a loan
    flows = [TimedFlow(-Decimal(repr(advance)), Decimal(0))]
    flows += [TimedFlow(Decimal(repr(p)), Decimal(offset + k), Decimal(repr(fraction))) for k, p in enumerate(payments)]
    # Rates beyond -50 % per period mean a loan losing most of its value; outside the domain here.
    if sum(payments) < advance * 0.6:
        return
    expected = float(solve_rate(flows))
    got = solve_regular_batch(np.array([advance]), np.array([payments]), np.array([offset]), np.array([fraction]))[0]
    assert abs(got - expected) < 1e-9 * max(1.0, abs(expected))


def test_rows_without_a_rate_are_nan_and_do_not_disturb_others() -> None:
    advance = np.array([1000.0, 0.0, 1000.0, 1000.0])
    payments = np.array([[0.0, 0.0], [100.0, 100.0], [600.0, -50.0], [550.0, 550.0]])
    rates = solve_regular_batch(advance, payments)
    assert np.isnan(rates[:3]).all()
    assert abs(rates[3] - npf.irr([-1000.0, 550.0, 550.0])) < 1e-12


def test_rows_newton_cannot_settle_fall_back_to_the_exact_solver() -> None:
    # Payments ~130 times the advance: the rate is far beyond Newton's starting range.
    advance = np.array([142.76190353560492, 1000.0])
    payments = np.array([[4305.34375, 13129.125, 1340.0], [400.0, 400.0, 400.0]])
    rates = solve_regular_batch(advance, payments, np.array([2, 1]), np.array([0.9, 0.0]))
    flows = [TimedFlow(-Decimal(float(advance[0])), Decimal(0))] + [
        TimedFlow(Decimal(float(p)), Decimal(2 + k), Decimal("0.9")) for k, p in enumerate(payments[0])
    ]
    assert abs(rates[0] - float(solve_rate(flows))) < 1e-9 * abs(rates[0])
    assert abs(rates[1] - npf.irr([-1000.0, 400.0, 400.0, 400.0])) < 1e-12
