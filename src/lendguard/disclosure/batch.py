"""Vectorised rate solver for many regular schedules at once (pure: NumPy only).

Each row is one loan: ``advance`` paid out at time 0 and payments ``p_0 … p_{T-1}`` (zero-padded) at
``offset + k`` unit periods, where the first period may be odd: ``offset`` full periods plus a
simple-interest ``fraction`` (Regulation Z Appendix J). With ``x = 1/(1+i)`` the equation is

    g(i) = x^offset · P(x) / (1 + fraction·i) − advance = 0,   P(x) = Σ p_k x^k

``P`` and ``P'`` come from one Horner pass over the columns, so a Newton step over a million loans
is a few dozen whole-array operations. Rows that do not converge quickly (extreme or odd schedules)
are handed to the exact scalar solver of :mod:`lendguard.disclosure.calculator`, so the batch never
trades correctness for speed.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from lendguard.disclosure.calculator import RateError, TimedFlow, solve_rate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_NEWTON_STEPS = 60
STEP_TOLERANCE = 1e-14


def _initial_guess(advance: FloatArray, total: FloatArray, count: FloatArray) -> FloatArray:
    # The "constant ratio" approximation 2·cost / (advance·(n+1)), clipped to a sane starting range.
    guess = 2.0 * (total - advance) / (advance * (count + 1.0))
    return np.clip(guess, -0.5, 5.0)


def _newton(
    advance: FloatArray, columns: FloatArray, offset: FloatArray, fraction: FloatArray, rate: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Newton iterations on all rows; returns rates and a mask of rows that converged."""
    done = np.zeros(rate.shape, dtype=bool)
    for _ in range(MAX_NEWTON_STEPS):
        x = 1.0 / (1.0 + rate)
        poly = np.zeros_like(rate)
        slope = np.zeros_like(rate)
        for column in columns[::-1]:  # Horner from the highest power down, in place (no temporaries)
            slope *= x
            slope += poly
            poly *= x
            poly += column
        lead = x**offset
        q = lead * poly
        dq_dx = offset * lead / x * poly + lead * slope
        dq_di = -x * x * dq_dx
        simple = 1.0 + fraction * rate
        g = q / simple - advance
        dg = (dq_di * simple - q * fraction) / (simple * simple)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = g / dg
        step = np.where(np.isfinite(step), step, 0.0)
        new_rate = rate - step
        # Keep iterates above -100 % (halve the distance instead of jumping past it).
        new_rate = np.where(new_rate <= -1.0, (rate - 1.0) / 2.0, new_rate)
        converged = np.abs(new_rate - rate) <= STEP_TOLERANCE * np.maximum(1.0, np.abs(new_rate))
        rate = np.where(done, rate, new_rate)
        done |= converged
        if done.all():
            break
    return rate, done & np.isfinite(rate)


def solve_regular_batch(
    advance: FloatArray,
    payments: FloatArray,
    offset: IntArray | None = None,
    fraction: FloatArray | None = None,
) -> FloatArray:
    """Periodic rates of ``len(advance)`` loans; ``payments`` is ``(loans, periods)``, zero-padded.

    ``offset`` (default 1) is the number of full unit periods to the first payment and ``fraction``
    (default 0) the odd part of the first period. Rows with no single rate (nothing advanced, no
    payment, a negative payment) get NaN; their reason is available from the scalar solver.
    """
    advance = np.asarray(advance, dtype=np.float64)
    payments = np.asarray(payments, dtype=np.float64)
    n = advance.shape[0]
    off = np.ones(n) if offset is None else np.asarray(offset, dtype=np.float64)
    frac = np.zeros(n) if fraction is None else np.asarray(fraction, dtype=np.float64)
    total = payments.sum(axis=1)
    count = np.maximum((payments != 0).sum(axis=1), 1).astype(np.float64)
    valid = (advance > 0) & (total > 0) & (payments >= 0).all(axis=1)
    rate = np.full(n, np.nan)
    # Solve loans of the same length together: Horner then runs over each loan's own periods only,
    # not over the zero padding up to the longest loan (a 3-instalment loan costs 3 columns, not 36).
    nonzero = payments != 0
    width = np.where(nonzero.any(axis=1), payments.shape[1] - np.argmax(nonzero[:, ::-1], axis=1), 0)
    for w in np.unique(width[valid]):
        rows = np.flatnonzero(valid & (width == w))
        columns = np.ascontiguousarray(payments[rows, :w].T)
        guess = _initial_guess(advance[rows], total[rows], count[rows])
        solved, ok = _newton(advance[rows], columns, off[rows], frac[rows], guess)
        rate[rows] = solved
        for row in rows[~ok]:
            rate[row] = _scalar(advance[row], payments[row], off[row], frac[row])
    return rate


def _scalar(advance: float, payments: FloatArray, offset: float, fraction: float) -> float:
    """The exact solver for one row the batch could not settle."""
    # Decimal(float) is exact (repr of a NumPy scalar is not a number in NumPy 2).
    flows = [TimedFlow(-Decimal(float(advance)), Decimal(0))]
    flows += [
        TimedFlow(Decimal(float(p)), Decimal(int(offset) + k), Decimal(float(fraction)))
        for k, p in enumerate(payments)
        if p != 0
    ]
    try:
        return float(solve_rate(flows))
    except RateError:
        return float("nan")
