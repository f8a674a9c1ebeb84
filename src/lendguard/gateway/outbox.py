"""The gateway's audit outbox: answered queries reach the bureau's hash chain in batches.

Every audit append locks the bureau's chain head until commit, so with one entry per query's
transaction all queries of a bureau queue on that one row. On PostgreSQL the fast path's write
statement queues its audit event in ``gateway_audit_outbox`` (so a committed query always has its
event, durable), and each group-committed batch moves the bureau's queue onto the chain once, at the
end of its own transaction (:meth:`AuditOutbox.move`): one commit for the batch's charges and their
chain entries. Rows a process left behind (it died between its commit and the move) are chained by
the bureau's next move, which takes every queued row, oldest first.
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
