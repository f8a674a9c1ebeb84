"""The calculator on hand-checkable schedules, fees, odd periods, XIRR and its refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lendguard.disclosure.calculator import RateError, TimedFlow, solve_rate
from lendguard.disclosure.periods import Frequency, UnitTime, payment_dates, unit_time
from lendguard.disclosure.schedules import dated_rate, period_rate, regular_rate

D = Decimal


def test_the_mis_sold_loan_is_about_23_36_percent() -> None:
    result = regular_rate(D(29000), D(1524), 24, Frequency.MONTHLY)
    assert (result.apr * 100).quantize(D("0.01")) == D("23.36")
    assert result.total_interest_and_fees == D("7576")
    assert float(result.effective_annual_rate) == pytest.approx(float((1 + result.periodic_rate) ** 12 - 1))
    assert result.effective_annual_rate > result.apr


def test_zero_interest_is_zero() -> None:
    result = regular_rate(D(1200), D(100), 12, Frequency.MONTHLY)
    assert result.periodic_rate == 0
    assert result.total_interest_and_fees == 0


def test_upfront_fee_reduces_amount_advanced_and_raises_the_rate() -> None:
    plain = regular_rate(D(1200), D(100), 12, Frequency.MONTHLY)
    fee = regular_rate(D(1200), D(100), 12, Frequency.MONTHLY, upfront_fee=D(60))
    assert fee.amount_advanced == D(1140)
    assert fee.total_interest_and_fees == D(60)
    assert fee.apr > plain.apr
    # 1140 = 100 × a(12, i): the monthly rate is about 0.79809 % (numpy_financial.irr gives the same).
    assert float(fee.periodic_rate) == pytest.approx(0.00798087, abs=1e-8)


def test_fee_per_period_is_part_of_each_payment() -> None:
    with_fee = regular_rate(D(1000), D(90), 12, Frequency.MONTHLY, fee_per_period=D(10))
    same = regular_rate(D(1000), D(100), 12, Frequency.MONTHLY)
    assert with_fee.periodic_rate == same.periodic_rate
    assert with_fee.total_interest_and_fees == D(200)


def test_odd_first_period_changes_the_rate() -> None:
    regular = regular_rate(D(5000), D(230), 24, Frequency.MONTHLY)
    long_first = regular_rate(
        D(5000), D(230), 24, Frequency.MONTHLY, start_date=date(2026, 1, 10), first_payment_date=date(2026, 3, 1)
    )
    assert long_first.apr < regular.apr  # the borrower keeps the money longer for the same payments


def test_unit_time_counts_back_from_the_payment() -> None:
    assert unit_time(date(1978, 2, 10), date(1978, 4, 1), Frequency.MONTHLY) == UnitTime(1, D(19) / 30)
    assert unit_time(date(1978, 2, 23), date(1978, 3, 1), Frequency.SEMIMONTHLY) == UnitTime(0, D(6) / 15)
    assert unit_time(date(1978, 3, 20), date(1978, 4, 21), Frequency.WEEKLY) == UnitTime(4, D(4) / 7)
    # A 16th/month-end grid: Feb 28 stands for the 31st, so half a month earlier is Feb 16, then Jan 31.
    assert unit_time(date(2001, 1, 17), date(2001, 2, 28), Frequency.SEMIMONTHLY, 31) == UnitTime(2, D(14) / 15)
    assert payment_dates(date(2026, 1, 31), 3, Frequency.MONTHLY) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    assert payment_dates(date(2026, 3, 1), 3, Frequency.SEMIMONTHLY) == [
        date(2026, 3, 1),
        date(2026, 3, 16),
        date(2026, 4, 1),
    ]
    assert payment_dates(date(2026, 1, 31), 5, Frequency.SEMIMONTHLY) == [
        date(2026, 1, 31),
        date(2026, 2, 16),
        date(2026, 2, 28),
        date(2026, 3, 16),
        date(2026, 3, 31),
    ]
    assert payment_dates(date(2026, 1, 20), 3, Frequency.SEMIMONTHLY) == [
        date(2026, 1, 20),
        date(2026, 2, 5),
        date(2026, 2, 20),
    ]


def test_xirr_one_year_ten_percent() -> None:
    result = dated_rate([(date(2025, 1, 1), D(-1000)), (date(2026, 1, 1), D(1100))])
    assert result.periodic_rate.quantize(D("1e-12")) == D("0.100000000000")
    assert result.periods_per_year == 1


def test_period_flows_allow_fractional_times() -> None:
    result = period_rate([(D(0), D(-100)), (D("0.5"), D(0)), (D(1), D(101))], Frequency.MONTHLY)
    assert result.periodic_rate.quantize(D("1e-12")) == D("0.010000000000")


def test_negative_rate_when_less_is_repaid() -> None:
    assert solve_rate([TimedFlow(D(-100), D(0)), TimedFlow(D(90), D(1))]).quantize(D("1e-20")) == D("-0.1")


@pytest.mark.parametrize(
    ("flows", "reason"),
    [
        ([], "empty"),
        ([TimedFlow(D(100), D(0)), TimedFlow(D(100), D(1))], "no_sign_change"),
        ([TimedFlow(D(-100), D(0)), TimedFlow(D(230), D(1)), TimedFlow(D(-132), D(2))], "several_sign_changes"),
        ([TimedFlow(D(-100), D(-1)), TimedFlow(D(230), D(1))], "invalid_flow"),
    ],
)
def test_refuses_schedules_without_a_single_rate(flows: list[TimedFlow], reason: str) -> None:
    with pytest.raises(RateError) as info:
        solve_rate(flows)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"principal": D(0)}, "principal"),
        ({"payment": D(-1)}, "payment"),
        ({"count": 0}, "count"),
        ({"upfront_fee": D(5000)}, "up-front fee"),
        ({"start_date": date(2026, 1, 1)}, "first_payment_date"),
    ],
)
def test_bad_regular_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"principal": D(1000), "payment": D(100), "count": 12, "frequency": Frequency.MONTHLY}
    args.update(kwargs)
    with pytest.raises(RateError, match=field):
        regular_rate(**args)  # type: ignore[arg-type]
