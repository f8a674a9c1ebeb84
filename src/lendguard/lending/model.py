"""Pure rules of the loan book: delinquency stages."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Delinquency stage by days past due (30-day buckets, as Chinese lenders count them)."""

    CURRENT = "current"
    M1 = "M1"
    M2 = "M2"
    M3_PLUS = "M3+"
    WRITTEN_OFF = "written_off"


class LoanStatus(StrEnum):
    """Where a loan is in its life."""

    CURRENT = "current"
    OVERDUE = "overdue"
    PAID_OFF = "paid_off"
    WRITTEN_OFF = "written_off"


def stage_for(days_past_due: int, written_off: bool = False) -> Stage:
    """Stage of a loan: M1 is 1-30 days past due, M2 31-60, M3+ beyond 60.

    >>> stage_for(0), stage_for(1), stage_for(30), stage_for(31), stage_for(61)
    (<Stage.CURRENT: 'current'>, <Stage.M1: 'M1'>, <Stage.M1: 'M1'>, <Stage.M2: 'M2'>, <Stage.M3_PLUS: 'M3+'>)
    """
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    if written_off:
        return Stage.WRITTEN_OFF
    if days_past_due == 0:
        return Stage.CURRENT
    if days_past_due <= 30:
        return Stage.M1
    if days_past_due <= 60:
        return Stage.M2
    return Stage.M3_PLUS
