"""The dated one-year LPR table and the 4 × LPR judicial protection line (pure).

Rule CN-SPC20-01 (RULES.md; 法释〔2020〕17号 Art. 25): courts do not support contractual interest above
four times the one-year Loan Prime Rate in force when the contract was formed. The table itself is
package data (``data/lpr_1y.csv``); :mod:`lendguard.disclosure.lpr_data` loads it, this module only
parses text and looks dates up, so it stays pure.
"""

from __future__ import annotations

import bisect
import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

LPR_MULTIPLE = 4
FIRST_LPR_DATE = date(2019, 8, 20)


@dataclass(frozen=True)
class LprTable:
    """One-year LPR changes in date order: ``(effective_date, rate as a fraction)``."""

    changes: tuple[tuple[date, Decimal], ...]

    def __post_init__(self) -> None:
        if not self.changes:
            raise ValueError("the LPR table is empty")
        dates = [d for d, _ in self.changes]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("LPR table dates must be strictly increasing")

    @property
    def last_change(self) -> date:
        return self.changes[-1][0]

    def rate_on(self, day: date) -> Decimal | None:
        """The one-year LPR in force on ``day``; ``None`` before the first LPR quote (2019-08-20)."""
        index = bisect.bisect_right([d for d, _ in self.changes], day) - 1
        return None if index < 0 else self.changes[index][1]

    def protection_line(self, contract_date: date) -> Decimal | None:
        """4 × the one-year LPR at ``contract_date`` (a fraction), or ``None`` when no LPR existed."""
        rate = self.rate_on(contract_date)
        return None if rate is None else rate * LPR_MULTIPLE


def parse_lpr_csv(text: str) -> LprTable:
    """Parse ``effective_date,rate_pct`` CSV text; errors name the line."""
    rows: list[tuple[date, Decimal]] = []
    reader = csv.DictReader(io.StringIO(text))
    for line, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat(row["effective_date"].strip())
            pct = Decimal(row["rate_pct"].strip())
        except (KeyError, AttributeError, ValueError, InvalidOperation) as exc:
            raise ValueError(f"LPR table line {line}: expected effective_date,rate_pct ({exc})") from exc
        if not Decimal(0) < pct < Decimal(100):
            raise ValueError(f"LPR table line {line}: rate_pct {pct} out of range")
        rows.append((day, pct / 100))
    return LprTable(tuple(rows))
