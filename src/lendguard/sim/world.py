"""Generate a synthetic world: ``generate_world(borrowers, seed, out)`` writes every CSV file.

The same seed and size always give byte-identical files: every section draws from its own random
stream (see :class:`~lendguard.sim.context.WorldContext`) and nothing reads the clock. The file and
column list is documented in ``docs/data-formats.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from rich.progress import Progress

from lendguard.sim import (
    collect,
    complaints,
    contacts,
    events,
    gateway_gen,
    loans,
    names,
    people,
    rings,
    violations,
    writer,
)
from lendguard.sim.context import WorldContext

# Files with free text (commas, quotes) are written with quoting; the others plain.
QUOTED = frozenset({"complaints", "collection_messages", "truth/ring_indicators"})
MIN_BORROWERS = 100
MAX_BORROWERS = 1_000_000


@dataclass(frozen=True)
class WorldSummary:
    """What was written: row counts per file (relative path without ``.csv``) and the planted rings."""

    borrowers: int
    seed: int
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    agent_rings: int = 0
    agent_members: int = 0


def ring_truth(planted: list[rings.Ring]) -> dict[str, dict[str, pa.Array]]:
    """``truth/rings.csv``, ``truth/ring_members.csv`` and ``truth/ring_indicators.csv``."""
    ring_rows: dict[str, list[str]] = {"ring_id": [], "kind": [], "size": [], "care": []}
    member_ring: list[pa.Array] = []
    member_ids: list[pa.Array] = []
    ind: dict[str, list[str]] = {"ring_id": [], "kind": [], "value": []}
    for ring in planted:
        ring_rows["ring_id"].append(ring.ring_id)
        ring_rows["kind"].append(ring.kind)
        ring_rows["size"].append(str(len(ring.members)))
        ring_rows["care"].append(ring.care or "")
        ids = people.borrower_ids(np.sort(ring.members))
        member_ids.append(ids)
        member_ring.append(pa.array([ring.ring_id] * len(ring.members)))
        values = [("phone", f"{p:011d}") for p in ring.phones] + [("email", e) for e in ring.emails]
        if ring.template:
            values.append(("template", ring.template))
        if ring.segment:
            values.append(("segment", ring.segment))
        for kind, value in values:
            ind["ring_id"].append(ring.ring_id)
            ind["kind"].append(kind)
            ind["value"].append(value)
    care = pa.array([c or None for c in ring_rows["care"]], pa.string())
    return {
        "truth/rings": {
            "ring_id": pa.array(ring_rows["ring_id"]),
            "kind": pa.array(ring_rows["kind"]),
            "size": pa.array(ring_rows["size"]),
            "care": care,
        },
        "truth/ring_members": {"ring_id": pa.concat_arrays(member_ring), "borrower_id": pa.concat_arrays(member_ids)},
        "truth/ring_indicators": {k: pa.array(v, pa.string()) for k, v in ind.items()},
    }


def generate_world(borrowers: int, seed: int, out: Path, progress: bool = False) -> WorldSummary:
    """Write a world of ``borrowers`` borrowers (100 … 1,000,000) drawn from ``seed`` into ``out``."""
    if not MIN_BORROWERS <= borrowers <= MAX_BORROWERS:
        raise ValueError(f"borrowers must be between {MIN_BORROWERS} and {MAX_BORROWERS}, not {borrowers}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = WorldContext(borrowers, seed)
    rows: dict[str, int] = {}
    planted: list[rings.Ring] = []

    # Files are written by background threads while the next table is built: Arrow's CSV writer and
    # most NumPy kernels release the GIL, so both cores work. Contents do not depend on timing.
    pool = ThreadPoolExecutor(max_workers=2)
    pending: dict[str, Future[int]] = {}

    def write(name: str, columns: dict[str, pa.Array]) -> None:
        pending[name] = pool.submit(writer.write_table, out / f"{name}.csv", columns, name in QUOTED)

    def build_and_write(name: str, build: Callable[[], Mapping[str, writer.Column]]) -> None:
        # For builders that only read arrays no later step changes (each draws from its own stream),
        # the columns are built in the writer thread as well.
        pending[name] = pool.submit(lambda: writer.write_table(out / f"{name}.csv", build(), name in QUOTED))

    def plant() -> None:
        planted.extend(rings.plant(ctx))
        email_rng = np.random.default_rng(ctx["email_rng_seed"])
        ctx["email"] = names.draw_emails(email_rng, ctx["surname"], ctx["given1"], ctx["given2"], ctx["male"])
        ctx["address"] = people.addresses(ctx)

    def write_truth() -> None:
        for name, columns in ring_truth(planted).items():
            write(name, columns)

    def gateway() -> None:
        for name, columns in gateway_gen.build_gateway(ctx).items():
            write(name, columns)

    def messages() -> None:
        cols, truth = collect.message_columns(ctx)
        write("collection_messages", cols)
        write("truth/abusive_messages", truth)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("institutions", lambda: write("institutions", people.institutions())),
        ("borrowers", lambda: people.build_borrowers(ctx)),
        ("loans", lambda: loans.build_loans(ctx)),
        ("contacts", lambda: contacts.build_contacts(ctx)),
        ("rings", plant),
        ("borrowers.csv", lambda: build_and_write("borrowers", lambda: people.borrower_columns(ctx))),
        ("loans.csv", lambda: build_and_write("loans", lambda: loans.loan_columns(ctx))),
        ("instalments.csv", lambda: build_and_write("instalments", lambda: loans.instalment_columns(ctx))),
        (
            "designated_contacts.csv",
            lambda: build_and_write("designated_contacts", lambda: contacts.designated_columns(ctx)),
        ),
        ("address_book.csv", lambda: build_and_write("address_book", lambda: contacts.address_book_columns(ctx))),
        ("consents.csv", lambda: build_and_write("consents", lambda: contacts.consent_columns(ctx))),
        ("phone_changes.csv", lambda: write("phone_changes", events.build_phone_changes(ctx))),
        ("account_events.csv", lambda: write("account_events", events.build_account_events(ctx, planted))),
        ("complaints.csv", lambda: write("complaints", complaints.build_complaints(ctx, planted))),
        ("attempts", lambda: collect.build_attempts(ctx)),
        ("collection_attempts.csv", lambda: write("collection_attempts", collect.attempt_columns(ctx))),
        ("collection_messages.csv", messages),
        ("call_outcomes.csv", lambda: write("call_outcomes", violations.call_outcome_columns(ctx))),
        ("truth/violations.csv", lambda: write("truth/violations", violations.violation_columns(ctx))),
        ("gateway", gateway),
        ("truth/rings", write_truth),
    ]
    try:
        with Progress(disable=not progress, transient=True) as bar:
            task = bar.add_task(f"world of {borrowers:,} borrowers", total=len(steps) + 1)
            for label, step in steps:
                bar.update(task, description=f"world: {label}")
                step()
                bar.advance(task)
            bar.update(task, description="world: writing")
            for name, future in pending.items():
                rows[name] = future.result()
            bar.advance(task)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    agents = [r for r in planted if r.kind == "agent"]
    return WorldSummary(
        borrowers=borrowers,
        seed=seed,
        out=out,
        rows=rows,
        agent_rings=len(agents),
        agent_members=sum(len(r.members) for r in agents),
    )
