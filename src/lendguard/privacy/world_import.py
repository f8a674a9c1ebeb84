"""Load a synthetic world's personal data: borrowers.csv, designated_contacts.csv, consents.csv.

Personal fields are sealed in bulk (per-subject data keys) and written in batches, each batch with one
batched audit append recording which fields of which subject were written (never the values), like any
other writer of personal data. Consents get signed receipts. The address book is never loaded.

The world's consents carry no "separate" flag: a consent collected by signature or a dedicated dialog
(``method`` in :data:`SEPARATE_METHODS`) is recorded as separate consent; a plain checkbox is not, so
sensitive fields under checkbox-only consents stay unreadable (PIPL art. 29), as they should.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress

from lendguard.privacy.model import Category, Purpose, expand_categories
from lendguard.privacy.wiring import service

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

BATCH = 2_000
SEPARATE_METHODS = frozenset({"app_signature", "app_separate_dialog", "paper_form", "written"})
FIELD_COLUMNS = {
    "name": "name",
    "id_number": "id_number",
    "mobile": "phone",
    "email": "email",
    "address": "address",
    "bank_card": "bank_card",
}


class WorldImportError(ValueError):
    """A personal-data file of the world is malformed; the message names file, line and column."""


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from enumerate(csv.DictReader(fh), start=2)


def _time(file: str, line: int, column: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WorldImportError(f"{file}: line {line}: column {column}: not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise WorldImportError(f"{file}: line {line}: column {column}: time without offset: {value!r}")
    return parsed


def _institution(file: str, line: int, row: dict[str, str], institutions: dict[str, int]) -> int:
    code = row.get("institution_id", "")
    if code not in institutions:
        raise WorldImportError(f"{file}: line {line}: column institution_id: unknown institution {code!r}")
    return institutions[code]


def read_world(world_dir: Path, institutions: dict[str, int]) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    """Parse and check the three files; return subjects and consent specs grouped by institution id."""
    contacts: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for line, row in _rows(world_dir / "designated_contacts.csv"):
        inst = _institution("designated_contacts.csv", line, row, institutions)
        when = _time("designated_contacts.csv", line, "consented_at", row["consented_at"])
        if when is None or not row["phone"]:
            raise WorldImportError(f"designated_contacts.csv: line {line}: phone and consented_at are required")
        contacts[(inst, row["borrower_id"])].append(
            {
                "contact_ref": row["contact_id"],
                "name": row["name"],
                "phone": row["phone"],
                "relation": row["relation"],
                "consented_at": when,
            }
        )
    subjects: dict[int, list[Any]] = defaultdict(list)
    for line, row in _rows(world_dir / "borrowers.csv"):
        inst = _institution("borrowers.csv", line, row, institutions)
        values = {field: row[column] for field, column in FIELD_COLUMNS.items() if row.get(column)}
        if row.get("id_number"):
            values["id_type"] = "resident_id"
        subjects[inst].append((row["borrower_id"], values, contacts.pop((inst, row["borrower_id"]), [])))
    if contacts:
        (inst, ref), _ = next(iter(contacts.items()))
        raise WorldImportError(f"designated_contacts.csv: contact of unknown borrower {ref!r}")
    consents: dict[int, list[Any]] = defaultdict(list)
    known_purposes = {p.value for p in Purpose}
    known_categories = {c.value for c in Category}
    for line, row in _rows(world_dir / "consents.csv"):
        inst = _institution("consents.csv", line, row, institutions)
        purposes = [p for p in row["purposes"].split(";") if p]
        categories = sorted(expand_categories(c for c in row["categories"].split(";") if c))
        bad = [p for p in purposes if p not in known_purposes] or [c for c in categories if c not in known_categories]
        if bad or not purposes or not categories:
            raise WorldImportError(f"consents.csv: line {line}: unknown or missing purpose/category {bad}")
        given = _time("consents.csv", line, "given_at", row["given_at"])
        if given is None:
            raise WorldImportError(f"consents.csv: line {line}: column given_at is required")
        consents[inst].append(
            {
                "subject_ref": row["borrower_id"],
                "consent_ref": row["consent_id"],
                "purposes": purposes,
                "categories": categories,
                "recipients": [r for r in row["recipients"].split(";") if r],
                "method": row["method"],
                "notice_version": row["notice_version"],
                "given_at": given,
                "expires_at": _time("consents.csv", line, "expires_at", row["expires_at"]),
                "withdrawn_at": _time("consents.csv", line, "withdrawn_at", row["withdrawn_at"]),
                "separate": row["method"] in SEPARATE_METHODS,
            }
        )
    return subjects, consents


def load(container: Container, world_dir: Path, institutions: dict[str, int], progress: bool) -> None:
    """Import the world's personal data into the privacy store (audited, in batches)."""
    svc = service(container)
    subjects, consents = read_world(Path(world_dir), institutions)
    now = container.clock.now()
    total = sum(len(v) for v in subjects.values())
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("personal data (encrypting)", total=total)
        for inst, rows in subjects.items():
            by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for spec in consents.pop(inst, []):
                by_subject[spec["subject_ref"]].append(spec)
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                consent_rows = [
                    svc.consent_row(inst, spec.pop("subject_ref"), **spec)
                    for ref, _, _ in batch
                    for spec in by_subject.pop(ref, [])
                ]
                with container.engine.begin() as conn:
                    svc.import_batch(conn, inst, batch, consent_rows, "system:world-import", now)
                bar.advance(task, len(batch))
            if by_subject:
                raise WorldImportError(f"consents.csv: consent of unknown borrower {next(iter(by_subject))!r}")
    if consents:
        raise WorldImportError("consents.csv: consents of an institution without borrowers")
