"""Appends are safe under concurrency (threads and processes), survive SIGKILL, and never false-alarm."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.audit_verify import verify
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import InstitutionKind
from lendguard.platform.store import event_log

ROOT = Path(__file__).resolve().parents[2]


def seqs(container: Container, institution_id: int) -> list[int]:
    with container.engine.connect() as conn:
        query = sa.select(event_log.c.seq).where(event_log.c.institution_id == institution_id).order_by(event_log.c.seq)
        return [int(r[0]) for r in conn.execute(query)]


def test_threads_appending_to_a_new_chain_never_fork_it(container: Container) -> None:
    # A fresh institution id with no chain head yet: the threads also race to create the head.
    with container.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO institutions (id, code, name, kind, created_at) VALUES (77, 'race', 'Race', 'lender', :at)"
            ),
            {"at": container.clock.now()},
        )
    log = AuditLog(checkpoint_every=10)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(25):
                with container.engine.begin() as conn:
                    log.append(conn, 77, AuditEvent(f"t{n}", "test.append", detail={"i": i}), container.clock.now())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert seqs(container, 77) == list(range(1, 101))
    with container.engine.connect() as conn:
        report = verify(conn, log.signing_seed, 77)
    assert report.ok, report.breaks
    assert report.checkpoints == 10


CHILD = """
import sys
from lendguard.platform.bootstrap import bootstrap
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.settings import Settings
container = bootstrap(Settings(environment="test", database_url=sys.argv[1]))
institution_id = int(sys.argv[2])
i = 0
while True:
    with container.engine.begin() as conn:
        seq = container.audit.append(conn, institution_id, AuditEvent("child", "test.append", detail={"i": i}),
                                     container.clock.now())
    print(seq, flush=True)  # printed only after the commit returned
    i += 1
"""


@pytest.mark.slow
def test_sigkill_mid_append_leaves_a_valid_chain_with_every_returned_append(container: Container) -> None:
    institution_id = container.tenancy.create_institution("crash", "Crash Ltd", InstitutionKind.LENDER)
    url = container.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(institution_id)], stdout=subprocess.PIPE, env=env, text=True
        )
        for _ in range(2)
    ]
    returned: list[int] = []
    deadline = time.monotonic() + 60
    first = children[0]
    assert first.stdout is not None
    while len(returned) < 60 and time.monotonic() < deadline:
        line = first.stdout.readline()
        if not line:
            break
        returned.append(int(line))
    for child in children:
        os.kill(child.pid, signal.SIGKILL)
    for child in children:
        child.wait()
        assert child.stdout is not None
        if child is first:
            returned += [int(line) for line in child.stdout.read().split()]
    assert len(returned) >= 60, "the child did not get going"
    present = set(seqs(container, institution_id))
    assert set(returned) <= present
    with container.engine.connect() as conn:
        report = verify(conn, container.settings.security.signing_seed.reveal(), institution_id)
    assert report.ok, report.breaks


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(min_value=1, max_value=7)),
        st.tuples(st.just("verify"), st.just(0)),
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=90)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, every=st.integers(min_value=1, max_value=6))
def test_random_append_verify_interleavings_never_report_a_false_break(
    container: Container, ops: list[tuple[str, int]], every: int
) -> None:
    institution_id = container.tenancy.create_institution(
        f"p{os.urandom(4).hex()}", "Property Ltd", InstitutionKind.LENDER
    )
    log = AuditLog(signing_seed="property", checkpoint_every=every, checkpoint_minutes=2)
    clock = container.clock
    for op, n in ops:
        if op == "append":
            with container.engine.begin() as conn:
                events = [AuditEvent("p", "test.append", f"B{k}", detail={"k": k, "text": "é中"}) for k in range(n)]
                if n == 1:
                    log.append(conn, institution_id, events[0], clock.now())
                else:
                    log.append_many(conn, institution_id, events, clock.now())
        elif op == "tick":
            clock.advance(minutes=n)  # type: ignore[attr-defined]
        with container.engine.connect() as conn:
            report = verify(conn, "property", institution_id)
        assert report.ok, report.breaks
