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


def _half_month_back(day: date) -> date:
    """The date half a month earlier on a 1st/16th-style semimonthly grid (15 days within the month)."""
    if day.day > 15:
        return day - timedelta(days=15)
    previous = add_months(day, -1, day_of_month=1)
    last = calendar.monthrange(previous.year, previous.month)[1]
    return previous.replace(day=min(day.day + 15, last))


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


def unit_time(advance: date, payment: date, frequency: Frequency) -> UnitTime:
    """Appendix J (b)(5): full unit periods counted back from ``payment`` to ``advance``, plus the rest.

    Odd days are converted as the regulation says: a month is 30 days, a half month 15 days, and
    a week-based period its exact number of days. For multi-month unit periods (every 2 months,
    quarterly) the leftover whole months and odd days together form the fraction.
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
    while _half_month_back(current) >= advance:
        current = _half_month_back(current)
        halves += 1
    return UnitTime(halves, Decimal((current - advance).days) / 15)
