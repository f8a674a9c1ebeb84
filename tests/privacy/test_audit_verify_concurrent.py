"""`audit verify` while another process appends: an intact chain verifies, tampering is still named (issue 5).

Verification reads a consistent prefix of each chain (head, last entry and last checkpoint in one
statement, every later read bounded to that prefix), so entries committed while it runs can never look
like a break at the chain head; the parallel walk's workers are bounded (and on PostgreSQL snapshot-
synchronised) the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import lendguard.platform.audit_verify as audit_verify
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import InstitutionKind
from lendguard.platform.store import event_log
from tests.privacy.audit_helpers import execute, fill, run_verify

ROOT = Path(__file__).resolve().parents[2]
VERIFY_SECONDS = 3.0  # how long verify runs against the appender (bounded, so the test cannot hang)
TAMPERED = 9

# Appends batches of 1..4 events, one transaction each, with a checkpoint every 3 entries (so checkpoints
# land right at the head while verify runs), until the stop file exists. Prints a line after its first
# commit and the number of batches at the end: a line per commit filled the 64 KB pipe on a fast machine
# (~12,000 batches in the test's seconds), and the child then blocked writing it and appended no more.
APPENDER = """
import os, sys
from datetime import UTC, datetime
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.db import make_engine
engine = make_engine(sys.argv[1])
institution_id, stop = int(sys.argv[2]), sys.argv[3]
log = AuditLog(signing_seed=os.environ["AUDIT_SEED"], checkpoint_every=3)
i = 0
while not os.path.exists(stop):
    events = [AuditEvent("appender", "test.append", f"B{i}", detail={"i": i, "k": k}) for k in range(1 + i % 4)]
    with engine.begin() as conn:
        log.append_many(conn, institution_id, events, datetime.now(UTC))
    if i == 0:
        print("started", flush=True)
    i += 1
print(i, flush=True)
"""


class Appender:
    """A child process appending to one chain until stopped."""

    def __init__(self, container: Container, institution_id: int, stop: Path) -> None:
        url = container.engine.url.render_as_string(hide_password=False)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "AUDIT_SEED": container.settings.security.signing_seed.reveal(),
        }
        self.stop = stop
        self.process = subprocess.Popen(
            [sys.executable, "-c", APPENDER, url, str(institution_id), str(stop)],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )

    def wait_started(self) -> None:
        """Block until the child committed its first batch (it may take seconds to import on a busy box)."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the appender died (exit {self.process.poll()})"

    def finish(self) -> int:
        """Stop the child after its current batch; return how many batches it committed."""
        self.stop.touch()
        assert self.process.stdout is not None
        rest = self.process.stdout.read()
        assert self.process.wait(timeout=60) == 0
        return int(rest.split()[-1])


@pytest.fixture
def chain(container: Container) -> int:
    institution_id = container.tenancy.create_institution("busy", "Busy Ltd", InstitutionKind.LENDER)
    fill(container, institution_id, 11, every=3)  # entries 2..12, checkpoints every 3
    return institution_id


@pytest.fixture
def appender(container: Container, chain: int, tmp_path: Path) -> Iterator[Appender]:
    child = Appender(container, chain, tmp_path / "stop")
    try:
        child.wait_started()
        yield child
    finally:
        if child.process.poll() is None:
            child.stop.touch()
            try:
                child.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def _entries(container: Container, institution_id: int) -> int:
    with container.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(event_log).where(event_log.c.institution_id == institution_id)
        return int(conn.execute(query).scalar_one())


def _verify(
    container: Container, institution_id: int | None, workers: int, *, caller_transaction: bool = False
) -> audit_verify.VerifyReport:
    seed = container.settings.security.signing_seed.reveal()
    with container.engine.connect().execution_options(read_only=True) as conn:
        if caller_transaction:  # verify then reads in the caller's transaction (READ COMMITTED on PostgreSQL)
            conn.begin()
        return audit_verify.verify(conn, seed, institution_id, workers)


def test_verify_while_another_process_appends_reports_intact_then_names_a_tampered_entry(
    container: Container, chain: int, appender: Appender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Split even short chains over worker processes on some runs (the parallel path reads in several
    # transactions: the parent's and each worker's).
    monkeypatch.setattr(audit_verify, "PARALLEL_MIN", 8)
    seen: list[int] = []
    runs = 0
    deadline = time.monotonic() + VERIFY_SECONDS
    while time.monotonic() < deadline or runs < 8:
        mode = runs % 4
        if mode == 2:  # the command itself (all institutions, default workers)
            code, out = run_verify(container, monkeypatch)
            assert code == 0, out
        elif mode == 3:
            # Inside a transaction the caller began, without a snapshot for the workers: the seq bound alone
            # (serially, then split over workers on alternate runs) must be enough.
            with monkeypatch.context() as patch:
                patch.setattr(audit_verify, "_export_snapshot", lambda conn: None)
                report = _verify(container, chain, workers=1 + runs // 4 % 2, caller_transaction=True)
            assert report.ok, (runs, report.breaks)
        else:
            report = _verify(container, chain if mode == 0 else None, workers=1 + mode)
            assert report.ok, (runs, report.breaks)
            if mode == 0:
                seen.append(report.entries)
        runs += 1
    before_tamper = _entries(container, chain)
    assert before_tamper > max(seen) > min(seen), "the appender did not append while verify ran"

    # Tampering is still caught, and named, while the appender goes on appending.
    execute(
        container,
        "UPDATE event_log SET actor = 'user:mallory' WHERE institution_id = :i AND seq = :s",
        i=chain,
        s=TAMPERED,
    )
    for workers in (1, 2):
        report = _verify(container, chain, workers)
        assert report.first_break == audit_verify.Break(
            chain, TAMPERED, "content does not match its hash (modified or moved)"
        ), report.breaks
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"first broken entry: institution {chain}, entry {TAMPERED}: content does not match" in out

    batches = appender.finish()
    assert batches > 1 and _entries(container, chain) > before_tamper
