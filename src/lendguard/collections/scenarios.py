"""Build engine scenarios from stored cases, attempts and consents (no I/O of its own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lendguard.collections.policy.parse import parse_scenario


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def contact_json(spec: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's ``contact`` object for a planned contact on ``case`` (defaults: the debtor, this debt)."""
    return {
        "channel": spec["channel"],
        "person_id": spec.get("person_id") or case["borrower_ref"],
        "role": spec.get("role") or "debtor",
        "debt_ids": list(spec.get("debt_ids") or [case["ref"]]),
        "purpose": spec.get("purpose") or "collection",
        "number": spec.get("number"),
        "place": spec.get("place"),
        "address_kind": spec.get("address_kind"),
        "includes_opt_out": spec.get("includes_opt_out"),
        "text": spec.get("text"),
        "recorded": spec.get("recorded"),
        "staff": spec.get("staff"),
    }


def scenario_json(
    *,
    scenario_id: str,
    at: datetime,
    contact: Mapping[str, Any],
    case: Mapping[str, Any],
    borrower_cases: Sequence[Mapping[str, Any]],
    history: Sequence[Mapping[str, Any]],
    consents: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """A scenario in the contract's JSON shape from stored rows.

    Debtor facts (cease, attorney, employer, opt-outs, inconvenient windows) are those of the cases the
    contact is about, combined so that any of them restricting the contact counts.
    """
    about = set(contact["debt_ids"])
    flagged = [c for c in borrower_cases if c["ref"] in about] or [case]

    def any_flag(name: str) -> bool:
        return any(bool(c["flags"].get(name)) for c in flagged)

    debtor = {
        "id": case["borrower_ref"],
        "timezones": [z for z in str(case["timezones"]).split(";") if z],
        "inconvenient_windows": [w for c in flagged for w in c["flags"].get("inconvenient_windows", [])],
        "opted_out_channels": sorted({ch for c in flagged for ch in c["flags"].get("opted_out_channels", [])}),
        "cease_requested": any_flag("cease_requested"),
        "attorney_represented": any_flag("attorney_represented"),
        "employer_prohibits_contact": any_flag("employer_prohibits_contact"),
        "reachable": not any(c["flags"].get("reachable") is False for c in flagged),
    }
    return {
        "id": scenario_id,
        "at": _iso(at),
        "contact": dict(contact),
        "debtor": debtor,
        "debts": [
            {
                "id": c["ref"],
                "days_past_due": int(c["days_past_due"]),
                "disputed": bool(c["flags"].get("disputed")),
                "time_barred": bool(c["flags"].get("time_barred")),
            }
            for c in borrower_cases
        ],
        "consents": [
            {
                "person_id": r["person_id"],
                "channel": r["channel"],
                "from": _iso(r["starts_at"]),
                "until": None if r["ends_at"] is None else _iso(r["ends_at"]),
            }
            for r in consents
        ],
        "history": [
            {
                "at": _iso(a["at"]),
                "channel": a["channel"],
                "person_id": a["person_id"],
                "role": a["role"],
                "debt_ids": [d for d in str(a["debt_refs"]).split(";") if d],
                "outcome": a["outcome"],
                "initiated_by": a["initiated_by"],
                "number": a["number"],
                "agency_id": a["agency_id"],
            }
            for a in history
        ],
    }


def parse(raw: Mapping[str, Any]) -> Any:
    """Validate a built scenario (a stored row that does not fit the contract is a bug, so it raises)."""
    return parse_scenario(raw)
