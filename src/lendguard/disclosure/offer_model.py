"""What a loan offer advertised and the schedule actually contracted, parsed from JSON-like data (pure).

The file format (``lendguard disclosure check OFFER.json``, ``POST /v1/disclosure/check``) is
documented in ``docs/disclosure.md``. Parsing errors name the field, e.g. ``schedule[3].due_date``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from lendguard.disclosure.periods import Frequency, parse_frequency


class RateKind(StrEnum):
    """How an advertised rate is expressed.

    PBoC 〔2021〕No. 3 (CN-PBOC21-01) requires an annualised rate on the *principal actually used*:
    ``apr`` (IRR periodic rate × periods per year, as China and Regulation Z show it),
    ``effective_annual`` (IRR compounded over a year) or ``simple_annual`` (labelled simple rate on
    the outstanding principal). The others are the figures mis-selling relies on: ``flat_annual``
    and ``flat_monthly`` (cost over the *original* principal) and ``daily`` (cost per day over the
    original principal, "万分之五" style), and ``none`` (no rate shown, e.g. only "interest-free").
    """

    APR = "apr"
    EFFECTIVE_ANNUAL = "effective_annual"
    SIMPLE_ANNUAL = "simple_annual"
    FLAT_ANNUAL = "flat_annual"
    FLAT_MONTHLY = "flat_monthly"
    DAILY = "daily"
    NONE = "none"


ANNUALISED_KINDS = frozenset({RateKind.APR, RateKind.EFFECTIVE_ANNUAL, RateKind.SIMPLE_ANNUAL})


class OfferError(ValueError):
    """An offer document is malformed; ``field`` is the path of the bad field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Instalment:
    """One contracted instalment, split as the contract splits it."""

    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee


@dataclass(frozen=True)
class Advertised:
    """What the borrower was told. ``rate`` is a fraction (0.12 is 12 %); ``None`` when not shown."""

    rate: Decimal | None
    rate_kind: RateKind
    instalment_count: int | None
    interest_free_periods: int
    upfront_fee: Decimal
    fee_per_period: Decimal


@dataclass(frozen=True)
class Offer:
    """An offer: the advertised terms plus the actual schedule, disbursed on ``disbursement_date``."""

    offer_id: str
    contract_date: date
    disbursement_date: date
    principal: Decimal
    upfront_fee: Decimal
    frequency: Frequency
    advertised: Advertised
    schedule: tuple[Instalment, ...]


def _get(data: Mapping[str, Any], key: str, path: str, default: Any = ...) -> Any:
    if key in data and data[key] is not None:
        return data[key]
    if default is ...:
        raise OfferError(f"{path}{key}", "is required")
    return default


def _money(value: Any, field: str, *, allow_zero: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise OfferError(field, f"{value!r} is not a number") from None
    if not amount.is_finite() or amount < 0 or (not allow_zero and amount == 0):
        raise OfferError(field, f"must be {'zero or more' if allow_zero else 'positive'}, got {value!r}")
    return amount


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise OfferError(field, f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OfferError(field, f"must be a whole number, got {value!r}")
    return value


def _advertised(data: Any) -> Advertised:
    if not isinstance(data, Mapping):
        raise OfferError("advertised", "must be an object")
    p = "advertised."
    pct = _get(data, "rate_pct", p, None)
    try:
        kind = RateKind(str(_get(data, "rate_kind", p, "none" if pct is None else "apr")))
    except ValueError:
        raise OfferError(f"{p}rate_kind", f"use one of: {', '.join(k.value for k in RateKind)}") from None
    count = _get(data, "instalment_count", p, None)
    return Advertised(
        rate=None if pct is None else _money(pct, f"{p}rate_pct") / 100,
        rate_kind=kind,
        instalment_count=None if count is None else _count(count, f"{p}instalment_count"),
        interest_free_periods=_count(_get(data, "interest_free_periods", p, 0), f"{p}interest_free_periods"),
        upfront_fee=_money(_get(data, "upfront_fee", p, 0), f"{p}upfront_fee"),
        fee_per_period=_money(_get(data, "fee_per_period", p, 0), f"{p}fee_per_period"),
    )


def _schedule(rows: Any) -> tuple[Instalment, ...]:
    if not isinstance(rows, Sequence) or isinstance(rows, str) or not rows:
        raise OfferError("schedule", "must be a non-empty list of instalments")
    out: list[Instalment] = []
    for n, row in enumerate(rows):
        p = f"schedule[{n}]."
        if not isinstance(row, Mapping):
            raise OfferError(f"schedule[{n}]", "must be an object")
        out.append(
            Instalment(
                due_date=_date(_get(row, "due_date", p), f"{p}due_date"),
                principal=_money(_get(row, "principal", p, 0), f"{p}principal"),
                interest=_money(_get(row, "interest", p, 0), f"{p}interest"),
                fee=_money(_get(row, "fee", p, 0), f"{p}fee"),
            )
        )
    for n, (a, b) in enumerate(itertools.pairwise(out), start=1):
        if b.due_date < a.due_date:
            raise OfferError(f"schedule[{n}].due_date", "instalments must be in date order")
    return tuple(out)


def offer_from_dict(data: Any) -> Offer:
    """Validate and convert a decoded offer document; :class:`OfferError` names the first bad field."""
    if not isinstance(data, Mapping):
        raise OfferError("(document)", "must be a JSON object")
    contract = _date(_get(data, "contract_date", ""), "contract_date")
    disbursed = _date(_get(data, "disbursement_date", "", contract.isoformat()), "disbursement_date")
    try:
        frequency = parse_frequency(str(_get(data, "frequency", "", "monthly")))
    except ValueError as exc:
        raise OfferError("frequency", str(exc)) from None
    schedule = _schedule(_get(data, "schedule", ""))
    if schedule[0].due_date <= disbursed:
        raise OfferError("schedule[0].due_date", "the first instalment must fall after the disbursement date")
    return Offer(
        offer_id=str(_get(data, "offer_id", "", "offer")),
        contract_date=contract,
        disbursement_date=disbursed,
        principal=_money(_get(data, "principal", ""), "principal", allow_zero=False),
        upfront_fee=_money(_get(data, "upfront_fee", "", 0), "upfront_fee"),
        frequency=frequency,
        advertised=_advertised(_get(data, "advertised", "")),
        schedule=schedule,
    )
