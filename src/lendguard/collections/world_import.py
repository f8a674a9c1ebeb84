"""Load a synthetic world's collections: a case per overdue loan and the history of contact attempts.

Reads ``loans.csv`` (cases for loans past due), ``borrowers.csv`` (the debtor's time zone),
``account_events.csv`` (cease requests, powers of attorney and disputes become case flags) and
``collection_attempts.csv``. Numbers are stored as keyed pseudonyms. Everything is parsed before anything
is written; a malformed row raises ``ValueError`` naming the file, line and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress

from lendguard.collections.numbers import NumberPseudonymiser
from lendguard.collections.policy.model import Channel, Outcome, PartyRole
from lendguard.collections.wiring import service

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

BATCH = 20_000
EVENT_FLAGS = {"cease_request": "cease_requested", "power_of_attorney": "attorney_represented", "dispute": "disputed"}


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        yield from enumerate(csv.DictReader(fh), start=2)


def _time(file: str, line: int, column: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{file}: line {line}: column {column}: not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{file}: line {line}: column {column}: needs a UTC offset")
    return parsed.astimezone(UTC)


def _check(file: str, line: int, column: str, value: str, allowed: set[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{file}: line {line}: column {column}: {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def read_cases(world: Path, institutions: dict[str, int], now: datetime) -> dict[int, list[dict[str, Any]]]:
    """Cases per database institution id, from loans past due (with the debtor's zone and event flags)."""
    zones = {(r["institution_id"], r["borrower_id"]): r["timezone"] for _, r in _rows(world / "borrowers.csv")}
    flags: dict[str, dict[str, bool]] = {}
    for _, r in _rows(world / "account_events.csv"):
        if r.get("kind") in EVENT_FLAGS:
            flags.setdefault(r["borrower_id"], {})[EVENT_FLAGS[r["kind"]]] = True
    out: dict[int, list[dict[str, Any]]] = {}
    for line, r in _rows(world / "loans.csv"):
        try:
            dpd = int(r["days_past_due"])
            outstanding = Decimal(r["outstanding"] or "0")
        except (ValueError, InvalidOperation):
            raise ValueError(f"loans.csv: line {line}: column days_past_due/outstanding: not a number") from None
        if dpd <= 0 or r["institution_id"] not in institutions:
            continue
        out.setdefault(institutions[r["institution_id"]], []).append(
            {
                "ref": r["loan_id"],
                "borrower_ref": r["borrower_id"],
                "days_past_due": dpd,
                "stage": r["stage"],
                "status": "open",
                "outstanding": outstanding,
                "collector": f"{r['institution_id'].lower()}-collector",
                "agency_id": None,
                "timezones": zones.get((r["institution_id"], r["borrower_id"]), "Asia/Shanghai"),
                "flags": dict(flags.get(r["borrower_id"], {})),
                "opened_at": now,
                "updated_at": now,
            }
        )
    return out


def read_attempts(
    world: Path, institutions: dict[str, int], numbers: NumberPseudonymiser
) -> dict[int, list[dict[str, Any]]]:
    """Historical attempts per database institution id."""
    file = "collection_attempts.csv"
    channels, roles, outcomes = {c.value for c in Channel}, {r.value for r in PartyRole}, {o.value for o in Outcome}
    out: dict[int, list[dict[str, Any]]] = {}
    for line, r in _rows(world / file):
        if r["institution_id"] not in institutions:
            raise ValueError(f"{file}: line {line}: column institution_id: unknown {r['institution_id']!r}")
        role = _check(file, line, "role", r["role"], roles)
        duration = r.get("duration_s") or ""
        out.setdefault(institutions[r["institution_id"]], []).append(
            {
                "ref": r["attempt_id"],
                "borrower_ref": r["borrower_id"],
                "debt_refs": r["loan_id"],
                "agency_id": r.get("agency_id") or None,
                "collector": r.get("collector_id") or None,
                "channel": _check(file, line, "channel", r["channel"], channels),
                "person_id": r["person_id"] or r["borrower_id"],
                "role": role,
                "number": numbers(r.get("number")),
                "at": _time(file, line, "at", r["at"]),
                "outcome": _check(file, line, "outcome", r["outcome"], outcomes),
                "initiated_by": "collector",
                "purpose": "collection" if role == "debtor" else "location_info",
                "duration_s": int(duration) if duration.isdigit() else None,
                "recording_ref": r.get("recording_ref") or None,
                "decision": "allow",
            }
        )
    return out


def load(container: Container, world_dir: Path, institutions: dict[str, int], progress: bool = False) -> None:
    """Create cases from overdue loans and load the attempt history, in batches, one transaction."""
    world = Path(world_dir)
    numbers = NumberPseudonymiser(container.settings.security.index_key.reveal())
    cases = read_cases(world, institutions, container.clock.now())
    attempts = read_attempts(world, institutions, numbers)
    svc = service(container)
    total = sum(len(v) for v in cases.values()) + sum(len(v) for v in attempts.values())
    with Progress(disable=not progress, transient=True) as bar, container.engine.begin() as conn:
        task = bar.add_task("collections", total=total)
        for inst, rows in cases.items():
            for start in range(0, len(rows), BATCH):
                bar.advance(task, svc.import_cases(conn, inst, rows[start : start + BATCH]))
        for inst, rows in attempts.items():
            for start in range(0, len(rows), BATCH):
                bar.advance(task, svc.import_attempts(conn, inst, rows[start : start + BATCH]))
