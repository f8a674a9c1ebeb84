"""Load a synthetic world's gateway data into the bureau's own tables.

Reads ``gateway_clients.csv``, ``gateway_queries.csv`` (the historical query log), ``applications.csv``
and the repayment history (``loans.csv`` + ``instalments.csv``) that lenders report to the bureau,
reduced per loan to the counts the scorecard uses. Everything is parsed before anything is written,
so a malformed file leaves the database untouched.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress

from lendguard.gateway import world_files as wf
from lendguard.gateway.model import DEFAULT_TIERS, tiers_to_json
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.audit_model import AuditEvent

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

BATCH = 20_000


def _bureau(world: Path, institutions: dict[str, int]) -> int:
    bureaus = [r["institution_id"] for _, r in wf.rows(world, "institutions") if r["kind"] == "credit_bureau"]
    if len(bureaus) != 1:
        raise wf.WorldFileError(f"institutions.csv: expected exactly one credit_bureau, found {len(bureaus)}")
    return institutions[bureaus[0]]


def read_clients(world: Path, institutions: dict[str, int], now: datetime) -> list[dict[str, Any]]:
    out = []
    for n, r in wf.rows(world, "gateway_clients"):
        if r["institution_id"] not in institutions:
            raise wf.WorldFileError(
                f"gateway_clients.csv: line {n}: field institution_id: unknown {r['institution_id']!r}"
            )
        prepaid = wf.fen("gateway_clients", n, "prepaid", r["prepaid"])
        out.append(
            {
                "ref": r["client_id"],
                "name": r["name"],
                "lender_institution_id": institutions[r["institution_id"]],
                "purposes": r["purposes"],
                "channels": r["channels"],
                "tiers": tiers_to_json(DEFAULT_TIERS),
                "balance_fen": prepaid,
                "topup_total_fen": prepaid,
                "rate_per_second": wf.integer("gateway_clients", n, "rate_per_second", r["rate_per_second"]),
                "rate_per_day": wf.integer("gateway_clients", n, "rate_per_day", r["rate_per_day"]),
                "status": "active",
                "created_at": now,
            }
        )
    return out


def read_credit_records(world: Path) -> tuple[list[dict[str, Any]], date]:
    """One record per loan: instalments due by the world's as-of date, paid on time, late, unpaid."""
    instalments: dict[str, list[tuple[date, datetime | None]]] = defaultdict(list)
    as_of = date.min
    for n, r in wf.rows(world, "instalments"):
        due = wf.day("instalments", n, "due_date", r["due_date"])
        paid = wf.optional_timestamp("instalments", n, "paid_at", r["paid_at"])
        instalments[r["loan_id"]].append((due, paid))
        if paid is not None and paid.date() > as_of:
            as_of = paid.date()
    records = []
    for n, r in wf.rows(world, "loans"):
        items = [(d, p) for d, p in instalments.get(r["loan_id"], []) if d <= as_of]
        on_time = sum(1 for d, p in items if p is not None and p.date() <= d)
        late = sum(1 for d, p in items if p is not None and p.date() > d)
        records.append(
            {
                "borrower_ref": r["borrower_id"],
                "loan_ref": r["loan_id"],
                "reported_by": r["institution_id"],
                "principal_fen": wf.fen("loans", n, "principal", r["principal"]),
                "instalments_due": len(items),
                "paid_on_time": on_time,
                "paid_late": late,
                "unpaid": len(items) - on_time - late,
                "days_past_due": wf.integer("loans", n, "days_past_due", r["days_past_due"]),
                "outstanding_fen": wf.fen("loans", n, "outstanding", r["outstanding"]),
                "status": r["status"],
            }
        )
    return records, as_of


def read_queries(world: Path, client_ids: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for n, r in wf.rows(world, "gateway_queries"):
        if r["client_id"] not in client_ids:
            raise wf.WorldFileError(
                f"gateway_queries.csv: line {n}: field client_id: unknown client {r['client_id']!r}"
            )
        out.append(
            {
                "ref": r["query_id"],
                "client_id": client_ids[r["client_id"]],
                "at": wf.timestamp("gateway_queries", n, "at", r["at"]),
                "borrower_ref": r["borrower_id"],
                "authorisation_ref": r["authorization_id"] or None,
                "purpose": r["purpose"],
                "channel": r["channel"],
                "product": r["product"],
                "outcome": "imported",
                "price_fen": 0,
            }
        )
    return out


def read_applications(world: Path, client_ids: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for n, r in wf.rows(world, "applications"):
        if r["client_id"] not in client_ids:
            raise wf.WorldFileError(f"applications.csv: line {n}: field client_id: unknown client {r['client_id']!r}")
        out.append(
            {
                "ref": r["application_id"],
                "client_id": client_ids[r["client_id"]],
                "borrower_ref": r["borrower_id"],
                "at": wf.timestamp("applications", n, "at", r["at"]),
                "outcome": r["outcome"],
            }
        )
    return out


def load(container: Container, world_dir: Path, institutions: dict[str, int], progress: bool) -> dict[str, int]:
    """Import the world's gateway files into the bureau's tables; return row counts."""
    world = Path(world_dir)
    bureau = _bureau(world, institutions)
    now = container.clock.now()
    clients = read_clients(world, institutions, now)
    records, _ = read_credit_records(world)
    counts: dict[str, int] = {}
    with Progress(disable=not progress, transient=True) as bar, container.engine.begin() as conn:
        repo = GatewayRepository(conn)
        client_ids = {c["ref"]: repo.add_client(bureau, c) for c in clients}
        for c in clients:
            repo.add_ledger(
                bureau,
                {
                    "client_id": client_ids[c["ref"]],
                    "at": now,
                    "kind": "topup",
                    "amount_fen": c["balance_fen"],
                    "balance_after_fen": c["balance_fen"],
                },
            )
        queries = read_queries(world, client_ids)
        applications = read_applications(world, client_ids)
        task = bar.add_task(
            "gateway: bureau data, query log, applications", total=len(records) + len(queries) + len(applications)
        )
        for name, rows, add in (
            ("credit_records", records, repo.add_credit_records),
            ("queries", queries, repo.add_queries),
            ("applications", applications, repo.add_applications),
        ):
            for start in range(0, len(rows), BATCH):
                add(bureau, rows[start : start + BATCH])
                bar.advance(task, len(rows[start : start + BATCH]))
            counts[name] = len(rows)
        counts["clients"] = len(clients)
        container.audit.append(
            conn,
            bureau,
            AuditEvent(
                actor="system", action="gateway.world_import", object_type="world", object_id=world.name, detail=counts
            ),
            now,
        )
    return counts
