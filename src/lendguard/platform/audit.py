"""The append side of the tamper-evident audit log (verification and checkpoints: ``audit_verify``).

Each institution has its own chain. Appends lock the chain head row, so concurrent writers on
PostgreSQL queue instead of forking the chain; SQLite's BEGIN IMMEDIATE serialises writers already.
The unique (institution_id, seq) constraint is the last line of defence against a fork.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.platform.audit_model import GENESIS_HASH, AuditEvent, canonical_detail, entry_hash
from lendguard.platform.db import metadata
from lendguard.platform.store import UTC_TS, event_log

chain_heads = sa.Table(
    "event_chain_heads",
    metadata,
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
    sa.Column("updated_at", UTC_TS, nullable=False),
)


class AuditLog:
    """Appends events to an institution's hash chain inside the caller's transaction.

    Appending inside the same transaction as the change it records means a change is never
    committed without its audit entry, and an entry never exists for a change that rolled back.
    """

    def append(self, conn: Connection, institution_id: int, event: AuditEvent, at: datetime) -> int:
        """Append one event; return its sequence number in the institution's chain."""
        return self.append_many(conn, institution_id, [event], at)[-1]

    def append_many(
        self, conn: Connection, institution_id: int, events: Sequence[AuditEvent], at: datetime
    ) -> list[int]:
        """Append events in order with one lock of the chain head; return their sequence numbers."""
        if not events:
            return []
        seq, prev = self._lock_head(conn, institution_id, at)
        rows = []
        seqs = []
        for event in events:
            seq += 1
            detail_text = canonical_detail(event.detail)
            digest = entry_hash(
                institution_id=institution_id,
                seq=seq,
                at=at,
                event=event,
                detail_text=detail_text,
                prev_hash=prev,
            )
            rows.append(
                {
                    "institution_id": institution_id,
                    "seq": seq,
                    "at": at,
                    "actor": event.actor,
                    "action": event.action,
                    "subject_ref": event.subject_ref,
                    "object_type": event.object_type,
                    "object_id": event.object_id,
                    "purpose": event.purpose,
                    "detail": detail_text,
                    "prev_hash": prev,
                    "entry_hash": digest,
                }
            )
            seqs.append(seq)
            prev = digest
        conn.execute(event_log.insert(), rows)
        conn.execute(
            chain_heads.update()
            .where(chain_heads.c.institution_id == institution_id)
            .values(seq=seq, head_hash=prev, updated_at=at)
        )
        return seqs

    def _lock_head(self, conn: Connection, institution_id: int, at: datetime) -> tuple[int, str]:
        query = sa.select(chain_heads.c.seq, chain_heads.c.head_hash).where(
            chain_heads.c.institution_id == institution_id
        )
        if conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is not None:
            return int(row.seq), str(row.head_hash)
        # First entry of this chain: create the head. A concurrent creator makes this insert fail on
        # the primary key, and the caller's transaction retries as a whole.
        conn.execute(
            chain_heads.insert().values(institution_id=institution_id, seq=0, head_hash=GENESIS_HASH, updated_at=at)
        )
        if conn.dialect.name != "sqlite":
            conn.execute(query)  # take the row lock now that it exists
        return 0, GENESIS_HASH
