"""Offer checks: every mismatch of advertised terms and every legal line crossed."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest

from lendguard.disclosure.lpr import parse_lpr_csv
from lendguard.disclosure.lpr_data import packaged_lpr_table
from lendguard.disclosure.offer_check import check_offer
from lendguard.disclosure.offer_model import OfferError, offer_from_dict

MIS_SOLD = json.loads((Path(__file__).parent / "data" / "mis_sold_offer.json").read_text(encoding="utf-8"))


def clean_offer() -> dict[str, Any]:
    """12 × 100 on 1,200 with no cost, advertised truthfully as 0 % over 12 interest-free instalments."""
    return {
        "offer_id": "clean",
        "contract_date": "2026-01-15",
        "principal": "1200",
        "frequency": "monthly",
        "advertised": {"rate_pct": "0", "rate_kind": "apr", "instalment_count": 12, "interest_free_periods": 12},
        "schedule": [
            {"due_date": f"{2026 + (m // 12)}-{m % 12 + 1:02d}-15", "principal": "100", "interest": "0", "fee": "0"}
            for m in range(1, 13)
        ],
    }


def codes(doc: dict[str, Any]) -> set[str]:
    return {f.code for f in check_offer(offer_from_dict(doc), packaged_lpr_table()).findings}


def test_the_mis_sold_offer_is_caught_on_every_count() -> None:
    report = check_offer(offer_from_dict(MIS_SOLD), packaged_lpr_table())
    assert (report.rate.apr * 100).quantize(Decimal("0.01")) == Decimal("23.36")
    assert {f.code for f in report.findings} == {
        "instalment_count",
        "interest_free_charged",
        "interest_free_term",
        "rate_not_annualised",
    }
    crossed = {line.name for line in report.lines if line.crossed}
    assert crossed == {"4xLPR"}  # 23.36 % is under 24 % but above 4 × 3.00 %
    assert not report.ok


def test_a_truthful_offer_passes() -> None:
    report = check_offer(offer_from_dict(clean_offer()), packaged_lpr_table())
    assert report.findings == []
    assert report.ok
    assert report.as_dict()["lines_crossed"] == []


def test_hidden_fees_are_reported() -> None:
    doc = clean_offer()
    doc["upfront_fee"] = "50"
    doc["schedule"][4]["fee"] = "15"
    doc["schedule"][4]["principal"] = "100"
    found = codes(doc)
    assert {"upfront_fee", "fee_per_period", "interest_free_charged", "interest_free_upfront_fee"} <= found


def test_understated_apr_is_a_mismatch_but_within_tolerance_is_not() -> None:
    doc = copy.deepcopy(MIS_SOLD)
    doc["advertised"] = {"rate_pct": "23.30", "rate_kind": "apr", "instalment_count": 24}
    assert codes(doc) == set()  # within 1/8 percentage point (Regulation Z 1026.22(a)(2))
    doc["advertised"]["rate_pct"] = "18"
    assert codes(doc) == {"rate_mismatch"}


def test_flat_rate_advertising_is_not_an_annualised_rate() -> None:
    doc = copy.deepcopy(MIS_SOLD)
    doc["advertised"] = {"rate_pct": "13.06", "rate_kind": "flat_annual", "instalment_count": 24}
    report = check_offer(offer_from_dict(doc), packaged_lpr_table())
    # The flat figure is computed correctly (no rate_mismatch), but it is not what the law asks for.
    assert [f.code for f in report.findings] == ["rate_not_annualised"]


def test_lines_at_24_and_36_percent() -> None:
    doc = clean_offer()
    for row in doc["schedule"]:
        row["interest"] = "40"  # 480 of interest on 1,200 over a year: far above 36 %
    doc["advertised"] = {"rate_pct": "0", "rate_kind": "apr"}
    report = check_offer(offer_from_dict(doc), packaged_lpr_table())
    assert {line.name for line in report.lines if line.crossed} == {"24%", "36%", "4xLPR"}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("contract_date"), "contract_date"),
        (lambda d: d.update(principal="abc"), "principal"),
        (lambda d: d["schedule"][3].update(due_date="2026-13-01"), "schedule[3].due_date"),
        (lambda d: d["schedule"][2].update(interest="-1"), "schedule[2].interest"),
        (lambda d: d["advertised"].update(rate_kind="weekly-ish"), "advertised.rate_kind"),
        (lambda d: d.update(frequency="fortnightly"), "frequency"),
        (lambda d: d.update(schedule=[]), "schedule"),
    ],
)
def test_malformed_offers_name_the_field(mutate: Any, field: str) -> None:
    doc = clean_offer()
    mutate(doc)
    with pytest.raises(OfferError) as info:
        offer_from_dict(doc)
    assert info.value.field == field


def test_lpr_table_lookup_by_contract_date() -> None:
    table = packaged_lpr_table()
    assert table.rate_on(date(2019, 8, 19)) is None
    assert table.rate_on(date(2019, 8, 20)) == Decimal("0.0425")
    assert table.rate_on(date(2024, 10, 20)) == Decimal("0.0335")
    assert table.protection_line(date(2024, 10, 21)) == Decimal("0.124")
    assert table.protection_line(date(2018, 1, 1)) is None


def test_lpr_parse_errors_name_the_line() -> None:
    with pytest.raises(ValueError, match="line 3"):
        parse_lpr_csv("effective_date,rate_pct\n2020-01-01,4\n2020-02-01,lots\n")
    with pytest.raises(ValueError, match="increasing"):
        parse_lpr_csv("effective_date,rate_pct\n2020-02-01,4\n2020-01-01,4\n")


def test_loans_priced_exactly_at_24_percent_are_not_above_the_line() -> None:
    """144 loans at exactly 2 % a month: floating-point solving lands a few ulps over 24 % for many of them."""
    from lendguard.disclosure.periods import Frequency, payment_dates
    from lendguard.disclosure.portfolio_model import LoanSchedule, scan_schedules

    loans = []
    for count in range(1, 37):
        for principal in (1000, 1200, 5000, 29000):
            with localcontext() as ctx:
                ctx.prec = 34
                payment = Decimal(principal) * Decimal("0.02") / (1 - Decimal("1.02") ** -count)
            dues = payment_dates(date(2026, 2, 15), count, Frequency.MONTHLY)
            loans.append(
                LoanSchedule(
                    f"{count}-{principal}",
                    date(2026, 1, 15),
                    Decimal(principal),
                    Decimal(0),
                    Frequency.MONTHLY,
                    tuple((d, payment) for d in dues),
                )
            )
    rows = scan_schedules(loans, packaged_lpr_table())
    assert all(abs((row.apr or 0) - 0.24) < 1e-12 for row in rows)
    assert {row.lines for row in rows} == {("4xLPR",)}
    doc = {
        "contract_date": "2026-01-15",
        "principal": "1200",
        "advertised": {"rate_pct": "24", "rate_kind": "apr", "instalment_count": 12},
        "schedule": [
            {"due_date": d.isoformat(), "principal": str(amount), "interest": "0"} for d, amount in loans[45].payments
        ],
    }
    report = check_offer(offer_from_dict(doc), packaged_lpr_table())
    assert [line.name for line in report.lines if line.crossed] == ["4xLPR"]


def test_simple_and_daily_rates_are_compared_like_with_like() -> None:
    doc = copy.deepcopy(MIS_SOLD)
    # The PBoC simple rate on the outstanding principal is close to the IRR APR for a level loan.
    doc["advertised"] = {"rate_pct": "23.40", "rate_kind": "simple_annual", "instalment_count": 24}
    report = check_offer(offer_from_dict(doc), packaged_lpr_table())
    assert report.findings == []
    assert abs(report.actual_rates["simple_annual"] - Decimal("0.2340")) < Decimal("0.0001")
    # "万分之3.58 a day" on the original principal: correct as a daily figure, yet not an annualised rate.
    doc["advertised"] = {"rate_pct": "0.0358", "rate_kind": "daily", "instalment_count": 24}
    assert codes(doc) == {"rate_not_annualised"}
    doc["advertised"]["rate_pct"] = "0.02"  # 万分之2: understates the daily cost
    assert codes(doc) == {"rate_not_annualised", "rate_mismatch"}
