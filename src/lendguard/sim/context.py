"""Shared state of one world while it is being built: size, seed, the as-of instant and random streams."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DAY = 86400
# The world is observed at this instant (Beijing time); every event happens before it.
AS_OF = dt.date(2026, 3, 1)
AS_OF_DAY = (AS_OF - dt.date(1970, 1, 1)).days

LENDERS = (
    ("L01", "安信消费金融有限公司"),
    ("L02", "恒通网络小额贷款有限公司"),
    ("L03", "易借科技（深圳）有限公司"),
    ("L04", "普惠金服网络小贷有限公司"),
    ("L05", "融易信贷服务有限公司"),
)
LENDER_SHARE = np.array([0.3, 0.24, 0.2, 0.15, 0.11])
BUREAU = ("CB01", "百信征信有限公司")
INDUSTRY_BODY = ("IB01", "互联网金融行业协会")
AGENCIES = (("A01", "华信催收服务有限公司"), ("A02", "诚达资产管理有限公司"))


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a (proleptic Gregorian) date; inverse of ``writer.civil_parts``."""
    y = year.astype(np.int64) - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    m = month.astype(np.int64)
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + day.astype(np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@dataclass
class WorldContext:
    """The size and seed of a world and the arrays that later sections build on."""

    borrowers: int
    seed: int
    arrays: dict[str, Any] = field(default_factory=dict)

    def rng(self, section: str) -> np.random.Generator:
        """An independent random stream per section, so sections can change without shifting others."""
        key = int.from_bytes(hashlib.sha256(section.encode()).digest()[:8], "little")
        return np.random.default_rng([self.seed, key])

    def __getitem__(self, name: str) -> Any:
        return self.arrays[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.arrays[name] = value
