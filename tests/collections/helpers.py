"""Builders for policy scenarios in the contract's JSON shape."""

from __future__ import annotations

import copy
from typing import Any

from lendguard.collections.policy.engine import decide
from lendguard.collections.policy.packs import Pack, get_pack
from lendguard.collections.policy.parse import parse_scenario
from lendguard.collections.policy.screening import TextScreener


def scenario(at: str, **parts: Any) -> dict[str, Any]:
    """A scenario about debtor B1 with debt D1; ``parts`` replace or extend the top-level fields."""
    base: dict[str, Any] = {
        "id": "s1",
        "at": at,
        "contact": {
            "channel": "call",
            "person_id": "B1",
            "role": "debtor",
            "debt_ids": ["D1"],
            "number": "+1-202-555-0101",
        },
        "debtor": {"id": "B1", "timezones": ["America/New_York"]},
        "debts": [{"id": "D1", "days_past_due": 40}],
        "consents": [],
        "history": [],
    }
    for key, value in parts.items():
        if key in ("contact", "debtor") and isinstance(value, dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = copy.deepcopy(value)
    return base


def cn_scenario(at: str, **parts: Any) -> dict[str, Any]:
    """A scenario for the China pack: debtor in Asia/Shanghai, a mainland mobile number."""
    s = scenario(at, **parts)
    if "debtor" not in parts or "timezones" not in parts["debtor"]:
        s["debtor"]["timezones"] = ["Asia/Shanghai"]
    if "contact" not in parts or "number" not in parts["contact"]:
        s["contact"]["number"] = "13800138000"
    return s


def call(at: str, outcome: str = "no_answer", **extra: Any) -> dict[str, Any]:
    """A past call to B1 about D1 placed by the collector."""
    row: dict[str, Any] = {
        "at": at,
        "channel": "call",
        "person_id": "B1",
        "role": "debtor",
        "debt_ids": ["D1"],
        "outcome": outcome,
        "initiated_by": "collector",
        "number": "+1-202-555-0101",
        "agency_id": None,
    }
    row.update(extra)
    return row


def run(raw: dict[str, Any], pack: str | Pack = "us-regf", screener: TextScreener | None = None) -> dict[str, Any]:
    """The decision (contract JSON) for ``raw`` under ``pack``."""
    chosen = get_pack(pack) if isinstance(pack, str) else pack
    return decide(parse_scenario(raw), chosen, screener).as_dict()


def rules_of(decision: dict[str, Any]) -> list[str]:
    """Rule ids of a decision's violations."""
    return [v["rule"] for v in decision["violations"]]
