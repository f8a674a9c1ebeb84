"""A batch of audit events larger than one multi-row INSERT (SQLite) is appended whole, in order,
and the chain verifies."""

from __future__ import annotations

import sqlalchemy as sa

from lendguard.platform.audit import _SQLITE_ROWS_PER_INSERT
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
