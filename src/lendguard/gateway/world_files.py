"""Reading a synthetic world's gateway files (``docs/data-formats.md``) with errors naming file, line, field."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lendguard.sim.formats import WORLD_COLUMNS

COLUMNS: dict[str, tuple[str, ...]] = {
    name: WORLD_COLUMNS[name]
    for name in (
        "gateway_clients",
        "gateway_queries",
        "applications",
        "institutions",
        "loans",
        "instalments",
        "truth/resellers",
    )
}


class WorldFileError(ValueError):
    """A missing or malformed world file; the message names the file, the line and the field."""


def rows(world: Path, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) pairs of ``world/<name>.csv`` after checking its pinned leading columns."""
    path = world / f"{name}.csv"
    if not path.is_file():
        raise WorldFileError(f"{path}: file not found")
    required = COLUMNS[name]
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or tuple(header[: len(required)]) != required:
            raise WorldFileError(f"{path.name}: line 1: header must start with {', '.join(required)}")
        for line, values in enumerate(reader, start=2):
            if len(values) < len(required):
                raise WorldFileError(f"{path.name}: line {line}: expected {len(required)} fields, got {len(values)}")
            yield line, dict(zip(header, values, strict=False))


def _fail(name: str, line: int, field: str, value: str, what: str) -> WorldFileError:
    return WorldFileError(f"{name}.csv: line {line}: field {field}: {what} (got {value!r})")


def timestamp(name: str, line: int, field: str, value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(name, line, field, value, "not an ISO 8601 timestamp") from None
    if at.tzinfo is None:
        raise _fail(name, line, field, value, "timestamp needs an offset")
    return at.astimezone(UTC)


def optional_timestamp(name: str, line: int, field: str, value: str) -> datetime | None:
    return timestamp(name, line, field, value) if value else None


def day(name: str, line: int, field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(name, line, field, value, "not a YYYY-MM-DD date") from None


def fen(name: str, line: int, field: str, value: str) -> int:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _fail(name, line, field, value, "not a decimal amount") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise _fail(name, line, field, value, "amount must be non-negative with at most two decimals")
    return int(amount * 100)


def integer(name: str, line: int, field: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _fail(name, line, field, value, "not an integer") from None


def job_inputs(world: Path) -> dict[str, Any]:
    """Queries, applications and contracts of a world, in the form the abuse job loads."""
    queries = [
        {
            "query_id": r["query_id"],
            "client_ref": r["client_id"],
            "borrower_ref": r["borrower_id"],
            "at": timestamp("gateway_queries", n, "at", r["at"]),
            "purpose": r["purpose"],
            "channel": r["channel"],
            "authorisation_ref": r["authorization_id"],
        }
        for n, r in rows(world, "gateway_queries")
    ]
    applications = [
        {
            "client_ref": r["client_id"],
            "borrower_ref": r["borrower_id"],
            "at": timestamp("applications", n, "at", r["at"]),
        }
        for n, r in rows(world, "applications")
    ]
    contracts = {
        r["client_id"]: ([p for p in r["purposes"].split(";") if p], [c for c in r["channels"].split(";") if c])
        for _, r in rows(world, "gateway_clients")
    }
    return {"queries": queries, "applications": applications, "contracts": contracts}


def truth(world: Path) -> set[str]:
    """Client ids the world marks as resellers."""
    return {r["client_id"] for _, r in rows(world, "truth/resellers") if r["kind"] == "reseller"}
