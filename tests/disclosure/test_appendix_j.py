"""The 11 Regulation Z Appendix J worked examples reproduce to the published two decimals."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lendguard.disclosure.periods import PERIODS_PER_YEAR, parse_frequency
from lendguard.disclosure.schedules import Stream, appendix_j_rate

DATA = Path(__file__).resolve().parents[2] / "datasets" / "appendix-j-apr" / "appendix_j_actuarial_examples.csv"
ROWS = list(csv.DictReader(DATA.open(encoding="utf-8")))


def test_all_eleven_examples_are_present() -> None:
    assert len(ROWS) == 11


@pytest.mark.parametrize("row", ROWS, ids=[r["example_id"] for r in ROWS])
def test_example_reproduces_published_apr(row: dict[str, str]) -> None:
    frequency = parse_frequency(row["payment_frequency"])
    assert PERIODS_PER_YEAR[frequency] == int(row["unit_periods_per_year"])
    streams = [
        Stream(
            Decimal(row[f"stream{k}_amount"]),
            int(row[f"stream{k}_count"]),
            date.fromisoformat(row[f"stream{k}_first_date"]),
        )
        for k in (1, 2, 3)
        if row[f"stream{k}_amount"]
    ]
    result = appendix_j_rate(
        Decimal(row["amount_advanced"]), date.fromisoformat(row["consummation_date"]), frequency, streams
    )
    assert (result.apr * 100).quantize(Decimal("0.01")) == Decimal(row["expected_apr_pct"])
