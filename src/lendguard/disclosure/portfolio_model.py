"""Portfolio scan: the APR of many loans at once and the legal lines each crosses (pure).

Loans whose instalments sit on their frequency's regular grid (the usual case) are solved together by
:func:`lendguard.disclosure.batch.solve_regular_batch`, with the Appendix J odd first period;
irregular schedules fall back to the exact scalar Appendix J solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from lendguard.disclosure.batch import solve_regular_batch
from lendguard.disclosure.calculator import RateError
from lendguard.disclosure.lpr import LprTable
from lendguard.disclosure.periods import PERIODS_PER_YEAR, Frequency, payment_dates, unit_time
from lendguard.disclosure.schedules import Stream, appendix_j_rate

LINES = ("24%", "36%", "4xLPR")


@dataclass(frozen=True)
class LoanSchedule:
    """One loan: disbursed on ``start`` (also the contract date), paying ``payments`` (fees included)."""

    loan_ref: str
    start: date
    principal: Decimal
    upfront_fee: Decimal
    frequency: Frequency
    payments: tuple[tuple[date, Decimal], ...]


@dataclass(frozen=True)
class ScanRow:
    """A loan's APR (fraction; ``None`` with ``error`` when it has none) and the lines it is above."""

    loan_ref: str
    apr: float | None
    lpr_line: float | None
    lines: tuple[str, ...]
    error: str | None = None


def _on_grid(loan: LoanSchedule) -> bool:
    dates = [d for d, _ in loan.payments]
    return dates == payment_dates(dates[0], len(dates), loan.frequency)


# A rate within this of a line is *at* the line, not above it: a loan priced at exactly 24 % must not be
# reported because floating-point solving lands a few ulps over.
LINE_EPSILON = 1e-9


def _lines(apr: float, lpr_line: float | None) -> tuple[str, ...]:
    crossed = [name for name, cap in (("24%", 0.24), ("36%", 0.36)) if apr > cap + LINE_EPSILON]
    if lpr_line is not None and apr > lpr_line + LINE_EPSILON:
        crossed.append("4xLPR")
    return tuple(crossed)


def scan_schedules(loans: Sequence[LoanSchedule], lpr: LprTable) -> list[ScanRow]:
    """APR and lines crossed for every loan, in input order."""
    rows: list[ScanRow | None] = [None] * len(loans)
    regular: list[int] = []
    for n, loan in enumerate(loans):
        if not loan.payments or loan.upfront_fee >= loan.principal or loan.payments[0][0] <= loan.start:
            rows[n] = ScanRow(loan.loan_ref, None, None, (), "invalid schedule")
        elif _on_grid(loan):
            regular.append(n)
    width = max((len(loans[n].payments) for n in regular), default=0)
    if regular:
        advance = np.array([float(loans[n].principal - loans[n].upfront_fee) for n in regular])
        matrix = np.zeros((len(regular), width))
        offset = np.zeros(len(regular), dtype=np.int64)
        fraction = np.zeros(len(regular))
        for row, n in enumerate(regular):
            loan = loans[n]
            matrix[row, : len(loan.payments)] = [float(amount) for _, amount in loan.payments]
            first = unit_time(loan.start, loan.payments[0][0], loan.frequency)
            offset[row], fraction[row] = first.periods, float(first.fraction)
        periodic = solve_regular_batch(advance, matrix, offset, fraction)
        for row, n in enumerate(regular):
            rows[n] = _row(loans[n], float(periodic[row]) * PERIODS_PER_YEAR[loans[n].frequency], lpr)
    for n, loan in enumerate(loans):
        if rows[n] is None:
            try:
                streams = [Stream(amount, 1, day) for day, amount in loan.payments]
                result = appendix_j_rate(loan.principal - loan.upfront_fee, loan.start, loan.frequency, streams)
                rows[n] = _row(loan, float(result.apr), lpr)
            except RateError as exc:
                rows[n] = ScanRow(loan.loan_ref, None, None, (), str(exc))
    return [row for row in rows if row is not None]


def _row(loan: LoanSchedule, apr: float, lpr: LprTable) -> ScanRow:
    line = lpr.protection_line(loan.start)
    lpr_line = None if line is None else float(line)
    if apr != apr:  # NaN: the batch found no rate
        return ScanRow(loan.loan_ref, None, lpr_line, (), "no single rate for this schedule")
    return ScanRow(loan.loan_ref, apr, lpr_line, _lines(apr, lpr_line))


def summarise(rows: Sequence[ScanRow]) -> dict[str, object]:
    """Counts per line and the loans above any line (highest APR first)."""
    above = sorted((r for r in rows if r.lines), key=lambda r: -(r.apr or 0.0))
    return {
        "loans": len(rows),
        "without_rate": sum(1 for r in rows if r.apr is None),
        "above": {name: sum(1 for r in rows if name in r.lines) for name in LINES},
        "loans_above": [
            {
                "loan_ref": r.loan_ref,
                "apr_pct": round((r.apr or 0.0) * 100, 4),
                "lpr_line_pct": None if r.lpr_line is None else round(r.lpr_line * 100, 4),
                "lines": list(r.lines),
            }
            for r in above
        ],
        "errors": [{"loan_ref": r.loan_ref, "error": r.error} for r in rows if r.error],
    }
