"""A batch of audit events larger than one multi-row INSERT (SQLite) is appended whole, in order,
and the chain verifies."""

from __future__ import annotations

from contextlib import nullcontext

import sqlalchemy as sa

from lendguard.platform.audit import _SQLITE_ROWS_PER_INSERT, checkpoints
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.audit_verify import verify
from lendguard.platform.bootstrap import Container
from lendguard.platform.store import event_log
from tests.conftest import Tenant


def test_a_batch_spanning_several_inserts_is_appended_in_order_and_verifies(
    container: Container, tenant_a: Tenant
) -> None:
    inst = tenant_a.institution_id
    count = 2 * _SQLITE_ROWS_PER_INSERT + 7
    events = [AuditEvent(actor="t", action="test.batch", object_id=str(n), detail={"n": n}) for n in range(count)]
    with container.engine.begin() as conn:
        before = int(conn.execute(sa.select(sa.func.count()).where(event_log.c.institution_id == inst)).scalar_one())
        seqs = container.audit.append_many(conn, inst, events, container.clock.now())
    assert seqs == list(range(before + 1, before + count + 1))
    with container.engine.connect() as conn:
        stored = conn.execute(
            sa.select(event_log.c.seq, event_log.c.object_id)
            .where(event_log.c.institution_id == inst, event_log.c.action == "test.batch")
            .order_by(event_log.c.seq)
        ).all()
        assert [(s, o) for s, o in stored] == [(before + 1 + n, str(n)) for n in range(count)]
        assert verify(conn, container.settings.security.signing_seed.reveal(), inst).ok


def test_an_append_onto_a_head_locked_by_the_caller_and_left_queued_commits_with_a_checkpoint(
    container: Container, tenant_a: Tenant
) -> None:
    """The gateway's PostgreSQL batch: the head is read by the caller (``head_lock_sql``) and the
    entries, a due checkpoint and the new head are left queued in the caller's pipeline, sent with its
    COMMIT. On SQLite the same call runs each statement at once."""
    inst = tenant_a.institution_id
    audit = container.audit
    audit.checkpoint_every = 3  # the batch of five passes a checkpoint
    events = [AuditEvent(actor="t", action="test.queued", object_id=str(n)) for n in range(5)]
    with container.engine.connect() as conn:
        driver = conn.connection.driver_connection
        pipeline = getattr(driver, "pipeline", None)
        with pipeline() if pipeline is not None else nullcontext(), conn.begin():
            cursor = driver.cursor()
            row = cursor.execute(audit.head_lock_sql(conn), (inst,)).fetchone()
            head = audit.head_from_row(conn, row)
            seqs = audit.append_many(conn, inst, events, container.clock.now(), locked_head=head, leave_queued=True)
    assert seqs == list(range(head[0] + 1, head[0] + 6))
    with container.engine.connect() as conn:
        stored = conn.execute(
            sa.select(event_log.c.object_id).where(event_log.c.action == "test.queued").order_by(event_log.c.seq)
        ).scalars()
        assert list(stored) == [str(n) for n in range(5)]
        signed = conn.execute(sa.select(sa.func.max(checkpoints.c.seq)).where(checkpoints.c.institution_id == inst))
        assert signed.scalar_one() == seqs[-1]
        assert verify(conn, container.settings.security.signing_seed.reveal(), inst).ok
