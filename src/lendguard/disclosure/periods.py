"""Payment frequencies, payment-date grids and Regulation Z Appendix J unit-period counting (pure).

Appendix J (12 CFR 1026, Appendix J (b)(4)-(5)) measures the time from the advance to each payment in
*unit periods*: full unit periods are counted backwards from the payment date towards the advance,
and what is left over is a fraction of a unit period (a month counts as 30 days, a half month as 15,
weeks exactly). That fraction is charged simple interest, so each payment is discounted by
``(1 + f·i)(1 + i)^t``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class Frequency(StrEnum):
    """How often payments fall due; the value is the name used in files, the CLI and the API."""

    WEEKLY = "weekly"
    EVERY_2_WEEKS = "every_2_weeks"
    EVERY_4_WEEKS = "every_4_weeks"
    SEMIMONTHLY = "semimonthly"
    MONTHLY = "monthly"
    EVERY_2_MONTHS = "every_2_months"
    QUARTERLY = "quarterly"


# Unit periods per year (Appendix J (b)(4)): 52 weeks, 26 fortnights, 13 four-week periods, ...
PERIODS_PER_YEAR: dict[Frequency, int] = {
    Frequency.WEEKLY: 52,
    Frequency.EVERY_2_WEEKS: 26,
    Frequency.EVERY_4_WEEKS: 13,
    Frequency.SEMIMONTHLY: 24,
    Frequency.MONTHLY: 12,
    Frequency.EVERY_2_MONTHS: 6,
    Frequency.QUARTERLY: 4,
}
_DAYS: dict[Frequency, int] = {Frequency.WEEKLY: 7, Frequency.EVERY_2_WEEKS: 14, Frequency.EVERY_4_WEEKS: 28}
_MONTHS: dict[Frequency, int] = {Frequency.MONTHLY: 1, Frequency.EVERY_2_MONTHS: 2, Frequency.QUARTERLY: 3}


def parse_frequency(text: str) -> Frequency:
    """The frequency named ``text`` (e.g. ``monthly``), or ``ValueError`` listing the accepted names."""
    try:
        return Frequency(text.strip().lower())
    except ValueError:
        names = ", ".join(f.value for f in Frequency)
        raise ValueError(f"unknown frequency {text!r}; use one of: {names}") from None


def add_months(day: date, months: int, day_of_month: int | None = None) -> date:
    """``day`` moved by ``months`` calendar months, keeping ``day_of_month`` (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day_of_month or day.day, last))


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _half_month_back(day: date, high_day: int) -> date:
    """Half a month earlier on a semimonthly grid whose later day is ``high_day`` (16..30, or 31 = month end).

    A month end earlier than ``high_day`` (Feb 28 on a 16th/31st grid) stands for the grid's high day, so
    stepping back from it lands on the 16th, not the 13th.
    """
    nominal = high_day if _is_month_end(day) and day.day < high_day else day.day
    if nominal != high_day - 15 and nominal > 15:  # the grid's high day (or a late off-grid day)
        return day.replace(day=nominal - 15)
    # The grid's low day (or an early off-grid day): back to last month's day 15 later (clamped).
    previous = add_months(day, -1, day_of_month=1)
    last = calendar.monthrange(previous.year, previous.month)[1]
    return previous.replace(day=min(nominal + 15, last))


def semimonthly_high_day(grid_day: int) -> int:
    """The later of the two monthly days of the semimonthly grid through day ``grid_day`` (1st → 16th)."""
    return grid_day + 15 if grid_day <= 15 else grid_day


def payment_dates(first: date, count: int, frequency: Frequency) -> list[date]:
    """``count`` dates from ``first`` spaced by ``frequency`` (month ends clamped, day of month kept)."""
    if count < 0:
        raise ValueError("count cannot be negative")
    if frequency in _DAYS:
        return [first + timedelta(days=_DAYS[frequency] * k) for k in range(count)]
    if frequency in _MONTHS:
        return [add_months(first, _MONTHS[frequency] * k, day_of_month=first.day) for k in range(count)]
    # Semimonthly: two days 15 apart each month (1st/16th, 5th/20th, 16th/31st...), month ends clamped.
    # The k-th date is computed from the first rather than stepped, so clamping never drifts the grid.
    low, phase = (first.day, 0) if first.day <= 15 else (first.day - 15, 1)
    dates = []
    for k in range(count):
        step = phase + k
        dates.append(add_months(first, step // 2, day_of_month=low if step % 2 == 0 else low + 15))
    return dates


@dataclass(frozen=True)
class UnitTime:
    """Time from the advance to a payment: ``periods`` full unit periods plus ``fraction`` of one."""

    periods: int
    fraction: Decimal

    def as_decimal(self) -> Decimal:
        return self.periods + self.fraction


def unit_time(advance: date, payment: date, frequency: Frequency, grid_day: int | None = None) -> UnitTime:
    """Appendix J (b)(5): full unit periods counted back from ``payment`` to ``advance``, plus the rest.

    Odd days are converted as the regulation says: a month is 30 days, a half month 15 days, and
    a week-based period its exact number of days. For multi-month unit periods (every 2 months,
    quarterly) the leftover whole months and odd days together form the fraction. For semimonthly
    schedules ``grid_day`` (the day of month of the first payment; default: ``payment``'s) fixes the
    grid the half months are counted back along.
    """
    if payment < advance:
        raise ValueError(f"payment date {payment} is before the advance {advance}")
    if frequency in _DAYS:
        days = (payment - advance).days
        length = _DAYS[frequency]
        return UnitTime(days // length, Decimal(days % length) / Decimal(length))
    if frequency in _MONTHS:
        months = (payment.year - advance.year) * 12 + payment.month - advance.month
        while months > 0 and add_months(payment, -months) < advance:
            months -= 1
        odd_days = (add_months(payment, -months) - advance).days
        unit = _MONTHS[frequency]
        fraction = (Decimal(months % unit) + Decimal(odd_days) / 30) / unit
        return UnitTime(months // unit, fraction)
    halves = 0
    current = payment
    high = semimonthly_high_day(grid_day if grid_day is not None else payment.day)
    while _half_month_back(current, high) >= advance:
        current = _half_month_back(current, high)
        halves += 1
    return UnitTime(halves, Decimal((current - advance).days) / 15)
