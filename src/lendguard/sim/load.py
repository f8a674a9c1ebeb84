"""Load a synthetic world (the CSV files of ``lendguard sim generate``) into the database.

The kernel part (institutions, users, the loan book) is loaded here; every capability loads its own
files through its ``world_import.load(container, world_dir, institutions, progress)``, listed in
:data:`WORLD_IMPORTERS` in the order they must run.

Every file is checked before anything is written (a bad file is named with its line and column), the
loan book is written in one transaction (batches of ``executemany`` inside it), and a database that
already holds the world's institutions is refused. The loan book holds no personal identifiers: names,
ID numbers and phone numbers are loaded by the privacy capability's importer from ``borrowers.csv``.
"""

from __future__ import annotations

import csv
import importlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress

from lendguard.platform.model import InstitutionKind, Role
from lendguard.sim.formats import WORLD_COLUMNS

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

# Capability importers, each a module with ``load(container, world_dir, institutions, progress)``
# where ``institutions`` maps the world's institution_id (e.g. "L01") to the database id.
WORLD_IMPORTERS: tuple[str, ...] = (
    "lendguard.privacy.world_import",
    "lendguard.collections.world_import",
    "lendguard.gateway.world_import",
    "lendguard.intel.world_import",
)

DEMO_PASSWORD = "lendguard-demo"
BATCH = 20_000
STAFF_ROLES = (Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE, Role.ANALYST, Role.ADMIN, Role.GATEWAY_CLIENT)

# The files the kernel loader reads or checks itself; capabilities check their own files.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    name: WORLD_COLUMNS[name] for name in ("institutions", "borrowers", "loans", "instalments", "complaints")
}


class WorldFormatError(ValueError):
    """A world directory or file is missing or malformed; the message names file, line and column."""


@dataclass(frozen=True)
class DemoLogin:
    """A user created for the demo (password :data:`DEMO_PASSWORD`)."""

    role: str
    username: str
    institution: str


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file, after checking its header against the pinned columns."""
    name = path.stem
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        required = REQUIRED_COLUMNS.get(name, ())
        if header is None or tuple(header[: len(required)]) != required:
            raise WorldFormatError(f"{path.name}: line 1: header must start with {', '.join(required)}")
        for line, values in enumerate(reader, start=2):
            if len(values) != len(header):
                raise WorldFormatError(f"{path.name}: line {line}: {len(values)} fields, expected {len(header)}")
            yield line, dict(zip(header, values, strict=True))


def _parse(file: str, line: int, column: str, value: str, kind: type) -> Any:
    try:
        if kind is datetime:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("no UTC offset")
            return parsed
        if kind is date:
            return date.fromisoformat(value)
        if kind is Decimal:
            return Decimal(value)
        return kind(value)
    except (ValueError, InvalidOperation) as exc:
        raise WorldFormatError(f"{file}: line {line}: column {column}: bad value {value!r} ({exc})") from exc


def check_world(world_dir: Path) -> None:
    """Raise :class:`WorldFormatError` unless every required file exists with the pinned header."""
    if not world_dir.is_dir():
        raise WorldFormatError(f"{world_dir}: not a directory")
    for name, required in REQUIRED_COLUMNS.items():
        path = world_dir / f"{name}.csv"
        if not path.is_file():
            raise WorldFormatError(f"{path.name}: missing from {world_dir}")
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh), None)
        if header is None or tuple(header[: len(required)]) != required:
            raise WorldFormatError(f"{path.name}: line 1: header must start with {', '.join(required)}")


def _read_loan_book(world_dir: Path) -> tuple[list[dict[str, str]], dict[str, dict[str, list[dict[str, Any]]]]]:
    """Parse institutions and the loan-book files completely (nothing is written on an error)."""
    institutions = [row for _, row in _rows(world_dir / "institutions.csv")]
    kinds = {k.value for k in InstitutionKind}
    for line, row in enumerate(institutions, start=2):
        if row["kind"] not in kinds:
            raise WorldFormatError(f"institutions.csv: line {line}: column kind: unknown kind {row['kind']!r}")
    known = {row["institution_id"] for row in institutions}
    book: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"borrowers": [], "loans": [], "instalments": []}
    )
    for line, row in _rows(world_dir / "borrowers.csv"):
        inst = _institution("borrowers.csv", line, row, known)
        book[inst]["borrowers"].append(
            {
                "ref": row["borrower_id"],
                "province": row["province"] or None,
                "timezone": row["timezone"] or "Asia/Shanghai",
                "registered_at": _parse("borrowers.csv", line, "registered_at", row["registered_at"], datetime),
            }
        )
    money = ("principal", "upfront_fee", "fee_per_period", "outstanding")
    for line, row in _rows(world_dir / "loans.csv"):
        inst = _institution("loans.csv", line, row, known)
        loan: dict[str, Any] = {
            "ref": row["loan_id"],
            "borrower_ref": row["borrower_id"],
            "product": row["product"],
            "frequency": row["frequency"],
            "status": row["status"],
            "stage": row["stage"],
        }
        for col in money:
            loan[col] = _parse("loans.csv", line, col, row[col], Decimal)
        loan["nominal_rate"] = _parse("loans.csv", line, "nominal_rate", row["nominal_rate"], Decimal)
        loan["instalment_count"] = _parse("loans.csv", line, "instalment_count", row["instalment_count"], int)
        loan["days_past_due"] = _parse("loans.csv", line, "days_past_due", row["days_past_due"], int)
        loan["disbursed_at"] = _parse("loans.csv", line, "disbursed_at", row["disbursed_at"], datetime)
        if loan["stage"] not in ("current", "M1", "M2", "M3+", "written_off"):
            raise WorldFormatError(f"loans.csv: line {line}: column stage: unknown stage {loan['stage']!r}")
        book[inst]["loans"].append(loan)
    for line, row in _rows(world_dir / "instalments.csv"):
        inst = _institution("instalments.csv", line, row, known)
        item: dict[str, Any] = {"loan_ref": row["loan_id"]}
        item["seq"] = _parse("instalments.csv", line, "seq", row["seq"], int)
        item["due_date"] = _parse("instalments.csv", line, "due_date", row["due_date"], date)
        for col in ("principal_due", "interest_due", "fee_due", "paid_amount"):
            item[col] = _parse("instalments.csv", line, col, row[col], Decimal)
        item["paid_at"] = (
            _parse("instalments.csv", line, "paid_at", row["paid_at"], datetime) if row["paid_at"] else None
        )
        book[inst]["instalments"].append(item)
    return institutions, book


def _institution(file: str, line: int, row: dict[str, str], known: set[str]) -> str:
    inst = row["institution_id"]
    if inst not in known:
        raise WorldFormatError(f"{file}: line {line}: column institution_id: unknown institution {inst!r}")
    return inst


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def load_world(container: Container, world_dir: Path, progress: bool = False) -> list[DemoLogin]:
    """Load ``world_dir`` into the database of ``container`` and return the demo logins created."""
    from lendguard.lending.wiring import service as lending_service

    world_dir = Path(world_dir)
    check_world(world_dir)
    world_institutions, book = _read_loan_book(world_dir)
    existing = {row["code"] for row in container.tenancy.institutions()}
    clash = sorted(existing & {row["institution_id"] for row in world_institutions})
    if clash:
        raise WorldFormatError(
            f"the database already holds institutions {', '.join(clash)}; load a world into an empty database"
        )
    ids: dict[str, int] = {}
    logins: list[DemoLogin] = []
    shared_hash = container.tenancy.hash_password(DEMO_PASSWORD)  # scrypt is slow on purpose: hash once
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("institutions and users", total=len(world_institutions))
        for row in world_institutions:
            code, kind = row["institution_id"], InstitutionKind(row["kind"])
            ids[code] = container.tenancy.create_institution(code, row["name"], kind)
            logins += _demo_users(container, code, ids[code], kind, book, shared_hash)
            bar.advance(task)
        total = sum(len(part) for parts in book.values() for part in parts.values())
        task = bar.add_task("loan book", total=total)
        lending = lending_service(container)
        with container.engine.begin() as conn:
            for code, parts in book.items():
                for key in ("borrowers", "loans", "instalments"):
                    for batch in _batches(parts[key]):
                        lending.import_rows(conn, ids[code], **{key: batch})
                        bar.advance(task, len(batch))
    for module_name in WORLD_IMPORTERS:
        importlib.import_module(module_name).load(container, world_dir, ids, progress)
    return logins


def _demo_users(
    container: Container,
    code: str,
    institution_id: int,
    kind: InstitutionKind,
    book: dict[str, Any],
    shared_hash: str,
) -> list[DemoLogin]:
    """One user per role that makes sense at this kind of institution."""
    wanted: list[tuple[Role, str | None]] = []
    if kind is InstitutionKind.LENDER:
        wanted = [(role, None) for role in STAFF_ROLES]
        borrowers = book[code]["borrowers"] if code in book else []
        if borrowers:
            wanted.append((Role.BORROWER, borrowers[0]["ref"]))
    elif kind in (InstitutionKind.INDUSTRY_BODY, InstitutionKind.REGULATOR):
        wanted = [(Role.REGULATOR, None)]
    elif kind is InstitutionKind.CREDIT_BUREAU:
        wanted = [(Role.ADMIN, None)]
    elif kind is InstitutionKind.COLLECTION_AGENCY:
        wanted = [(Role.COLLECTOR, None)]
    out = []
    for role, subject in wanted:
        username = f"{code.lower()}-{role.value}"
        container.tenancy.create_user(
            institution_id, username, None, {role}, subject_id=subject, password_hash=shared_hash
        )
        out.append(DemoLogin(role.value, username, code))
    return out
