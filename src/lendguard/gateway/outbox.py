"""The gateway's audit outbox: answered queries reach the bureau's hash chain in batches.

Every audit append locks the bureau's chain head until commit, so with one entry per query's
transaction all queries of a bureau queue on that one row. On PostgreSQL the fast path's write
statement queues its audit event in ``gateway_audit_outbox`` (so a committed query always has its
event, durable), and each group-committed batch moves the bureau's queue onto the chain once, at the
end of its own transaction (:meth:`AuditOutbox.move`): one commit for the batch's charges and their
chain entries. :meth:`AuditOutbox.flush` and :meth:`AuditOutbox.drain` do it after a commit, in a
transaction of their own (flushes group-commit: a thread that finds its event already moved by
another thread's drain returns at once). Rows a process left behind (it died between its commit and
the move of an older version, or an event queued elsewhere) are chained by the next move or drain.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from lendguard.gateway.accounts import aware
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent


class AuditOutbox:
    """Queues audit events in the caller's transaction and chains them in batches after commit."""

    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self.engine = engine
        self.audit = audit
        self._drain = threading.Lock()  # one drainer per process; processes queue on the rows' locks
        self._count = threading.Lock()
        self._issued: dict[int, int] = {}  # bureau -> tickets handed out (each after a commit)
        self._chained: dict[int, int] = {}  # bureau -> every ticket up to this one is on the chain

    def add(self, repo: GatewayRepository, institution_id: int, event: AuditEvent, at: datetime) -> None:
        """Queue ``event`` inside the transaction of the change it records."""
        repo.add_outbox(institution_id, at, asdict(event))

    def flush(self, institution_id: int) -> None:
        """After the caller's commit: make sure its queued events are on the chain."""
        with self._count:
            ticket = self._issued[institution_id] = self._issued.get(institution_id, 0) + 1
        with self._drain:
            if self._chained.get(institution_id, 0) >= ticket:
                return  # a batch that started after our commit took our event
            with self._count:
                mark = self._issued[institution_id]  # all these committed before the drain reads
            self.drain(institution_id)
            self._chained[institution_id] = mark

    def drain(self, institution_id: int) -> int:
        """Move every queued event of the bureau onto its chain, oldest first; return how many."""
        with self.engine.begin() as conn:
            return self.move(conn, institution_id)

    def move(self, conn: Connection, institution_id: int) -> int:
        """:meth:`drain` in the caller's transaction (which then also holds the chain head)."""
        rows = GatewayRepository(conn).take_outbox(institution_id)
        if not rows:
            return 0
        events = [AuditEvent(**row["event"]) for row in rows]
        times = [aware(row["at"]) or row["at"] for row in rows]
        self.audit.append_many(conn, institution_id, events, times)
        return len(rows)
