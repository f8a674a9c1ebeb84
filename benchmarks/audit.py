"""Benchmark (issue 5): audit-log append throughput and verification time, against no-hashing baselines.

Measured in the same run, on the same database, with the same code path:

- **append, single**: one event per transaction (``AuditLog.append``), vs the baseline: the identical
  appends with hashing and checkpoint signing switched off (constant hashes), so the ratio is the cost of
  tamper evidence. Target: none (reported).
- **append, batched**: ``AuditLog.append_many`` with ``--batch`` events per transaction. Target:
  >= 5,000 appends/s on SQLite.
- **verify**: ``audit_verify.verify`` over ``--verify-entries`` entries (default 1,000,000) vs the baseline
  of reading the same rows without hashing. Target: <= 5 s for 1M entries.

Medians of ``--repeats`` runs. PostgreSQL is measured when ``--pg URL`` is given (a scratch schema is
created and dropped).

    .venv/bin/python benchmarks/audit.py [--single 2000] [--batched 50000] [--batch 500]
        [--verify-entries 1000000] [--repeats 3] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import lendguard.platform.audit as audit_module
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.audit_verify import _rows, verify
from lendguard.platform.db import make_engine, normalise_url
from lendguard.platform.migrate import upgrade
from lendguard.platform.model import InstitutionKind
from lendguard.platform.store import InstitutionRepository

SEED = "benchmark-seed"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@contextmanager
def no_hashing() -> Iterator[None]:
    """The baseline: same appends, constant hashes, no checkpoint signatures."""
    saved = audit_module.entry_hash, audit_module.checkpoint_due
    audit_module.entry_hash = lambda **_: "0" * 64
    audit_module.checkpoint_due = lambda **_: False
    try:
        yield
    finally:
        audit_module.entry_hash, audit_module.checkpoint_due = saved


def event(i: int) -> AuditEvent:
    return AuditEvent(
        f"user:u{i % 17}",
        "personal_data.read",
        f"B{i:07d}",
        "subject",
        f"B{i:07d}",
        "collection",
        {"fields": ["name", "mobile"], "masked": ["mobile"], "consent": f"C{i % 9973}"},
    )


def new_institution(engine: Engine) -> int:
    with engine.begin() as conn:
        return InstitutionRepository(conn).add(f"b{uuid.uuid4().hex[:10]}", "Bench", InstitutionKind.LENDER, T0)


def run_single(engine: Engine, n: int) -> float:
    inst, log = new_institution(engine), AuditLog(signing_seed=SEED)
    start = time.perf_counter()
    for i in range(n):
        with engine.begin() as conn:
            log.append(conn, inst, event(i), T0 + timedelta(milliseconds=i))
    return n / (time.perf_counter() - start)


def run_batched(engine: Engine, n: int, batch: int) -> float:
    inst, log = new_institution(engine), AuditLog(signing_seed=SEED)
    start = time.perf_counter()
    for b in range(0, n, batch):
        with engine.begin() as conn:
            log.append_many(conn, inst, [event(i) for i in range(b, min(n, b + batch))], T0 + timedelta(seconds=b))
    return n / (time.perf_counter() - start)


def median_of(repeats: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeats))


def appends(label: str, engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    single = median_of(args.repeats, lambda: run_single(engine, args.single))
    batched = median_of(args.repeats, lambda: run_batched(engine, args.batched, args.batch))
    with no_hashing():
        single_base = median_of(args.repeats, lambda: run_single(engine, args.single))
        batched_base = median_of(args.repeats, lambda: run_batched(engine, args.batched, args.batch))
    print(
        f"[{label}] append single : {single:10,.0f}/s   baseline (no hashing) {single_base:10,.0f}/s   "
        f"cost ratio {single_base / single:.2f}x"
    )
    print(
        f"[{label}] append batched: {batched:10,.0f}/s   baseline (no hashing) {batched_base:10,.0f}/s   "
        f"cost ratio {batched_base / batched:.2f}x   (batch {args.batch})"
    )
    return {"single": single, "batched": batched}


def verification(label: str, engine: Engine, args: argparse.Namespace) -> float:
    inst, log = new_institution(engine), AuditLog(signing_seed=SEED)
    chunk = 20_000
    for b in range(0, args.verify_entries, chunk):
        with engine.begin() as conn:
            events = [event(i) for i in range(b, min(args.verify_entries, b + chunk))]
            log.append_many(conn, inst, events, T0 + timedelta(seconds=b))

    def timed_verify() -> tuple[float, float]:
        with engine.connect().execution_options(read_only=True) as conn:
            start, cpu = time.perf_counter(), cpu_seconds()
            report = verify(conn, SEED, inst, workers=args.workers)
            elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
        assert report.ok and report.entries == args.verify_entries, report.breaks
        return elapsed, used

    def timed_read() -> tuple[float, float]:
        with engine.connect() as conn:
            start, cpu = time.perf_counter(), cpu_seconds()
            count = sum(1 for _ in _rows(conn, inst))
            elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
        assert count == args.verify_entries
        return elapsed, used

    runs = [timed_verify() for _ in range(args.repeats)]
    reads = [timed_read() for _ in range(args.repeats)]
    took, took_cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    base, base_cpu = statistics.median(r[0] for r in reads), statistics.median(r[1] for r in reads)
    target = "meets" if took <= 5.0 * args.verify_entries / 1_000_000 else "MISSES"
    print(
        f"[{label}] verify {args.verify_entries:,} entries: {took:6.2f} s (CPU of this process and its workers "
        f"{took_cpu:.2f} s)   baseline (read rows into Python, no hashing, one process) {base:6.2f} s (CPU "
        f"{base_cpu:.2f} s)   ratio {took / base:.2f}x   ({target} the 5 s per 1M target; runs "
        f"{', '.join(f'{r[0]:.2f}' for r in runs)} s; load average {os.getloadavg()[0]:.1f})"
    )
    return took


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (the verify workers).

    On PostgreSQL most of the verification runs in the server's backends, which this does not count.
    """
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--single", type=int, default=2000, help="events appended one per transaction")
    parser.add_argument("--batched", type=int, default=50_000, help="events appended in batches")
    parser.add_argument("--batch", type=int, default=500, help="events per batched transaction")
    parser.add_argument("--verify-entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="processes verifying a long chain")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL to measure as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        result = appends("sqlite", engine, args)
        verdict = "meets" if result["batched"] >= 5000 else "MISSES"
        print(f"[sqlite] batched appends {verdict} the 5,000/s target")
        verification("sqlite", engine, args)
        engine.dispose()
    if args.pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.pg)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = make_engine(f"{normalise_url(args.pg)}?options=-csearch_path%3D{schema}")
            upgrade(engine)
            appends("postgresql", engine, args)
            verification("postgresql", engine, args)
            engine.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
