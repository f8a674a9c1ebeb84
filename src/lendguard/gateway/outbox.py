"""The gateway's audit outbox: events an earlier version queued, chained onto the bureau's chain.

Earlier versions of the PostgreSQL fast path queued each answered query's audit event in
``gateway_audit_outbox`` and moved the queue onto the bureau's hash chain after commit, so a process
that died in between left events there. The fast path now appends its events in the batch's own
transaction (nothing queues here any more); before a bureau's first batch in a process, whatever an
earlier version left is chained first, oldest first (:meth:`AuditOutbox.move`), so no event is lost.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from lendguard.gateway.accounts import aware
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent


class AuditOutbox:
    """Moves a bureau's queued audit events onto its chain inside the caller's transaction."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        # bureaus whose queue a committed batch of this process has emptied (nothing refills it)
        self.drained: set[int] = set()

    def move(self, conn: Connection, institution_id: int) -> int:
        """Move every queued event of the bureau onto its chain, oldest first, in the caller's
        transaction (which then also holds the chain head); return how many."""
        rows = GatewayRepository(conn).take_outbox(institution_id)
        if not rows:
            return 0
        events = [AuditEvent(**row["event"]) for row in rows]
        times = [aware(row["at"]) or row["at"] for row in rows]
        self.audit.append_many(conn, institution_id, events, times)
        return len(rows)
