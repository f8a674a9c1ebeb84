"""Reading schedules from CSV text with errors that name the line and the field."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from lendguard.disclosure.calculator import RateResult
from lendguard.disclosure.periods import Frequency, parse_frequency
from lendguard.disclosure.portfolio_model import LoanSchedule
from lendguard.disclosure.schedules import dated_rate, period_rate

T = TypeVar("T")

SCHEDULE_COLUMNS = ("loan_ref", "start_date", "principal", "upfront_fee", "frequency", "due_date", "amount")


class InputError(ValueError):
    """Bad input; the message names the source, line and field."""


def _field(source: str, line: int, row: dict[str, str], name: str, convert: Callable[[str], T]) -> T:
    raw = (row.get(name) or "").strip()
    try:
        return convert(raw)
    except (ValueError, InvalidOperation):
        raise InputError(f"{source} line {line}: field {name!r}: bad value {raw!r}") from None


def _decimal(raw: str) -> Decimal:
    value = Decimal(raw)
    if not value.is_finite():
        raise ValueError(raw)
    return value


def _reader(text: str, source: str, required: tuple[str, ...]) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{source} line 1: missing column(s) {', '.join(missing)}")
    return reader


def rate_of_flows(text: str, source: str, frequency: Frequency) -> RateResult:
    """Rate of a flows CSV: ``date,amount`` (XIRR, actual/365) or ``period,amount`` (unit periods of ``frequency``).

    Amounts are signed: money advanced negative, money paid by the borrower positive.
    """
    header = [name.strip() for name in next(csv.reader(io.StringIO(text)), [])]
    if "date" in header:
        reader = _reader(text, source, ("date", "amount"))
        dated = [
            (_field(source, n, r, "date", date.fromisoformat), _field(source, n, r, "amount", _decimal))
            for n, r in enumerate(reader, start=2)
        ]
        return dated_rate(dated)
    reader = _reader(text, source, ("period", "amount"))
    periods = [
        (_field(source, n, r, "period", _decimal), _field(source, n, r, "amount", _decimal))
        for n, r in enumerate(reader, start=2)
    ]
    if any(period < 0 for period, _ in periods):
        raise InputError(f"{source}: field 'period' cannot be negative")
    return period_rate(periods, frequency)


def read_schedules(text: str, source: str) -> list[LoanSchedule]:
    """Schedules CSV, one row per instalment (see ``docs/disclosure.md``), grouped by ``loan_ref`` in order."""
    loans: dict[str, tuple[tuple[date, Decimal, Decimal, Frequency], list[tuple[date, Decimal]]]] = {}
    for n, row in enumerate(_reader(text, source, SCHEDULE_COLUMNS), start=2):
        ref = _field(source, n, row, "loan_ref", lambda s: s if s else _fail(s))
        head = (
            _field(source, n, row, "start_date", date.fromisoformat),
            _field(source, n, row, "principal", _decimal),
            _field(source, n, row, "upfront_fee", lambda s: _decimal(s or "0")),
            _field(source, n, row, "frequency", parse_frequency),
        )
        due = _field(source, n, row, "due_date", date.fromisoformat)
        amount = _field(source, n, row, "amount", _decimal)
        if ref in loans and loans[ref][0] != head:
            raise InputError(f"{source} line {n}: loan {ref!r} changes its start_date/principal/fee/frequency")
        loans.setdefault(ref, (head, []))[1].append((due, amount))
    return [
        LoanSchedule(ref, start, principal, fee, frequency, tuple(sorted(payments)))
        for ref, ((start, principal, fee, frequency), payments) in loans.items()
    ]


def _fail(raw: str) -> str:
    raise ValueError(raw)
