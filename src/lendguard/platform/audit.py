"""The append side of the tamper-evident audit log (verification and checkpoints: ``audit_verify``).

Each institution has its own chain. Appends lock the chain head row, so concurrent writers on
PostgreSQL queue instead of forking the chain; SQLite's BEGIN IMMEDIATE serialises writers already.
The unique (institution_id, seq) constraint is the last line of defence against a fork.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from lendguard.platform.audit_model import (
    GENESIS_HASH,
    AuditEvent,
    canonical_detail,
    checkpoint_due,
    checkpoint_message,
    entry_hash,
)
from lendguard.platform.db import metadata
from lendguard.platform.settings import Settings
from lendguard.platform.store import UTC_TS, event_log

chain_heads = sa.Table(
    "event_chain_heads",
    metadata,
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
    sa.Column("updated_at", UTC_TS, nullable=False),
    # Where and when the last signed checkpoint was taken (kept on the locked head row, so deciding
    # whether the next append is due for a checkpoint costs no extra query).
    sa.Column("checkpoint_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("checkpoint_at", UTC_TS, nullable=True),
)

# A chain head as read under its lock: (seq, head hash, last checkpoint seq, last checkpoint time).
ChainHead = tuple[int, str, int, datetime | None]

# A checkpoint is the institution's Ed25519 signature over (seq, entry_hash) of its chain: rewriting
# history before a checkpoint would need the signing key, not just a recomputation of hashes.
checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)


# The append path's statements run straight on the driver connection (inside the caller's
# transaction): through SQLAlchemy Core each cost more than running it (execution context, parameter
# processing, result set-up), and every gateway query appends on SQLite inside the serial writer queue.
# ``{m}`` is the driver's parameter marker; timestamps go through SQLAlchemy's own bind and result
# processors, so stored values are exactly what Core stores and reads.
_CHECKPOINT_SQL = (
    "INSERT INTO audit_checkpoints (institution_id, seq, entry_hash, at, signature) VALUES ({m}, {m}, {m}, {m}, {m})"
)
_HEAD_SQL = "SELECT seq, head_hash, checkpoint_seq, checkpoint_at FROM event_chain_heads WHERE institution_id = {m}"
_HEAD_UPDATE_SQL = (
    "UPDATE event_chain_heads SET seq = {m}, head_hash = {m}, updated_at = {m} WHERE institution_id = {m}"
)
_HEAD_UPDATE_CHECKPOINT_SQL = (
    "UPDATE event_chain_heads SET seq = {m}, head_hash = {m}, updated_at = {m}, checkpoint_seq = {m}, "
    "checkpoint_at = {m} WHERE institution_id = {m}"
)


def institution_signing_key(signing_seed: str, institution_id: int) -> Ed25519PrivateKey:
    """The institution's Ed25519 key, derived (HKDF-SHA256) from the configured seed and its id."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"lendguard/v1", info=f"ed25519:{institution_id}".encode()
    ).derive(signing_seed.encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    """Raw 32-byte public key as hex (what receipts and checkpoints are verified with)."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


class AuditLog:
    """Appends events to an institution's hash chain inside the caller's transaction.

    Appending inside the same transaction as the change it records means a change is never
    committed without its audit entry, and an entry never exists for a change that rolled back.
    """

    def __init__(
        self, signing_seed: str = "change-me", checkpoint_every: int = 1000, checkpoint_minutes: int = 60
    ) -> None:
        self.signing_seed = signing_seed
        self.checkpoint_every = checkpoint_every
        self.checkpoint_minutes = checkpoint_minutes
        self._keys: dict[int, Ed25519PrivateKey] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        """The log with the signing seed and checkpoint cadence of ``settings``."""
        return cls(
            signing_seed=settings.security.signing_seed.reveal(),
            checkpoint_every=settings.audit.checkpoint_every,
            checkpoint_minutes=settings.audit.checkpoint_minutes,
        )

    def signing_key(self, institution_id: int) -> Ed25519PrivateKey:
        """The institution's signing key (cached; derivation is deterministic)."""
        key = self._keys.get(institution_id)
        if key is None:
            key = self._keys[institution_id] = institution_signing_key(self.signing_seed, institution_id)
        return key

    def append(self, conn: Connection, institution_id: int, event: AuditEvent, at: datetime) -> int:
        """Append one event; return its sequence number in the institution's chain."""
        return self.append_many(conn, institution_id, [event], at)[-1]

    def append_many(
        self,
        conn: Connection,
        institution_id: int,
        events: Sequence[AuditEvent],
        at: datetime | Sequence[datetime],
        *,
        locked_head: ChainHead | None = None,
        leave_queued: bool = False,
    ) -> list[int]:
        """Append events in order with one lock of the chain head; return their sequence numbers.

        ``at`` is one time for all events, or one per event (a batch of events recorded earlier, e.g.
        the gateway's outbox); the head and the checkpoint take the last one.

        ``locked_head``: the chain head the caller already locked in this transaction (``head_lock_sql``, read
        with ``head_from_row``), so it is not read again. ``leave_queued`` (psycopg): the caller holds
        the driver connection in pipeline mode and syncs it — with its COMMIT — so the entries, any
        checkpoint and the new head are only queued here, and go to the server in the caller's round
        trip.
        """
        if not events:
            return []
        # SQLite keeps no offset: store UTC so the stored instant and the hashed one are the same.
        times = [t.astimezone(UTC) for t in at] if isinstance(at, Sequence) else [at.astimezone(UTC)] * len(events)
        if len(times) != len(events):
            raise ValueError("one time per event, or one for all")
        at = times[-1]
        seq, prev, checkpoint_seq, checkpoint_at = locked_head or self._lock_head(conn, institution_id, times[0])
        stamps: dict[datetime, Any] = {}
        rows = []
        seqs = []
        for event, event_at in zip(events, times, strict=True):
            stamp = stamps.get(event_at)
            if stamp is None:
                stamp = stamps[event_at] = _bind_timestamp(conn, event_at)
            seq += 1
            detail_text = canonical_detail(event.detail)
            digest = entry_hash(
                institution_id=institution_id,
                seq=seq,
                at=event_at,
                event=event,
                detail_text=detail_text,
                prev_hash=prev,
            )
            rows.append(
                (
                    institution_id,
                    seq,
                    stamp,
                    event.actor,
                    event.action,
                    event.subject_ref,
                    event.object_type,
                    event.object_id,
                    event.purpose,
                    detail_text,
                    prev,
                    digest,
                )
            )
            seqs.append(seq)
            prev = digest
        cursor = _driver_cursor(conn)
        head: tuple[Any, ...] = (seq, prev, _bind_timestamp(conn, at))
        due = checkpoint_due(
            seq=seq,
            at=at,
            last_seq=checkpoint_seq,
            last_at=checkpoint_at,
            every=self.checkpoint_every,
            minutes=self.checkpoint_minutes,
        )
        # psycopg: the entries, any checkpoint and the new head in one round trip (pipeline mode); the
        # cursor of queued statements stays open until the caller's pipeline has sent them
        pipeline = None if leave_queued else getattr(cursor.connection, "pipeline", None)
        with pipeline() if pipeline is not None else nullcontext():
            _insert_entries(conn, cursor, rows)
            if due:
                cursor.execute(
                    _CHECKPOINT_SQL.format(m=_marker(conn)), self._checkpoint_row(conn, institution_id, seq, prev, at)
                )
                head += (seq, head[2])
            update = _HEAD_UPDATE_CHECKPOINT_SQL if due else _HEAD_UPDATE_SQL
            cursor.execute(update.format(m=_marker(conn)), (*head, institution_id))
        if not leave_queued:
            cursor.close()
        return seqs

    def entries_for_subject(self, conn: Connection, institution_id: int, subject_ref: str) -> list[dict[str, Any]]:
        """Entries naming a subject (for "who saw my data" reports), oldest first."""
        query = (
            sa.select(event_log)
            .where(event_log.c.institution_id == institution_id, event_log.c.subject_ref == subject_ref)
            .order_by(event_log.c.seq)
        )
        return [dict(r) for r in conn.execute(query).mappings()]

    def _checkpoint_row(
        self, conn: Connection, institution_id: int, seq: int, head_hash: str, at: datetime
    ) -> tuple[Any, ...]:
        """A signed checkpoint of the chain at ``seq`` (``_CHECKPOINT_SQL``'s parameters)."""
        message = checkpoint_message(institution_id=institution_id, seq=seq, entry_hash=head_hash, at=at)
        signature = self.signing_key(institution_id).sign(message).hex()
        return institution_id, seq, head_hash, _bind_timestamp(conn, at), signature

    @staticmethod
    def head_lock_sql(conn: Connection) -> str:
        """The statement (one parameter: the institution id) that locks a chain head and reads it, for
        a caller that sends it with its own statements (PostgreSQL's pipeline mode); its row, or None
        when the chain has no head yet, goes to :meth:`head_from_row`."""
        return _HEAD_SQL.format(m=_marker(conn)) + ("" if conn.dialect.name == "sqlite" else " FOR UPDATE")

    @staticmethod
    def head_from_row(conn: Connection, row: Sequence[Any]) -> ChainHead:
        """The head read by ``head_lock_sql``: (seq, head hash, last checkpoint seq and time)."""
        seq, head_hash, checkpoint_seq, checkpoint_at = row
        processor = chain_heads.c.checkpoint_at.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
        last_at = processor(checkpoint_at) if processor is not None else checkpoint_at
        return int(seq), str(head_hash), int(checkpoint_seq), _aware(last_at) if last_at is not None else None

    def _lock_head(self, conn: Connection, institution_id: int, at: datetime) -> ChainHead:
        """Lock the chain head; return (seq, head hash, last checkpoint seq, last checkpoint time)."""
        sql = self.head_lock_sql(conn)
        cursor = _driver_cursor(conn)
        row = cursor.execute(sql, (institution_id,)).fetchone()
        if row is None:
            # First entry of this chain: create the head, tolerating a concurrent creator (ON CONFLICT DO
            # NOTHING), then read it back under the row lock: whoever created it, we now queue behind it.
            # The chain's start is the origin of the time-based checkpoint interval.
            values = {
                "institution_id": institution_id,
                "seq": 0,
                "head_hash": GENESIS_HASH,
                "updated_at": at,
                "checkpoint_seq": 0,
                "checkpoint_at": at,
            }
            insert = (
                sqlite.insert(chain_heads).values(**values).on_conflict_do_nothing()
                if conn.dialect.name == "sqlite"
                else postgresql.insert(chain_heads).values(**values).on_conflict_do_nothing()
            )
            conn.execute(insert)
            row = cursor.execute(sql, (institution_id,)).fetchone()
        cursor.close()
        return self.head_from_row(conn, row)


_COLUMNS = (
    "institution_id",
    "seq",
    "at",
    "actor",
    "action",
    "subject_ref",
    "object_type",
    "object_id",
    "purpose",
    "detail",
    "prev_hash",
    "entry_hash",
)


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _insert_sql(conn: Connection, rows: int = 1) -> str:
    values = f"({', '.join([_marker(conn)] * len(_COLUMNS))})"
    return f"INSERT INTO event_log ({', '.join(_COLUMNS)}) VALUES {', '.join([values] * rows)}"


# Entries per multi-row INSERT on SQLite (12 parameters each, far below its 32,766 limit).
_SQLITE_ROWS_PER_INSERT = 256


def _insert_entries(conn: Connection, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
    """Insert the entries: PostgreSQL's executemany is pipelined (one round trip); on SQLite a
    multi-row INSERT, because executemany steps each row on its own and hands the GIL back at each
    step — inside the gateway's serial writer queue, where every hand-back waits for the GIL again."""
    if conn.dialect.name != "sqlite":
        cursor.executemany(_insert_sql(conn), rows)
        return
    for start in range(0, len(rows), _SQLITE_ROWS_PER_INSERT):
        chunk = rows[start : start + _SQLITE_ROWS_PER_INSERT]
        cursor.execute(_insert_sql(conn, len(chunk)), [value for row in chunk for value in row])


def _driver_cursor(conn: Connection) -> Any:
    """A cursor of the driver connection, inside the caller's transaction (begun here if the caller
    left it to SQLAlchemy's autobegin, which a driver statement would not trigger)."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def _bind_timestamp(conn: Connection, at: datetime) -> Any:
    """The timestamp as the dialect stores it (SQLAlchemy's own bind processing, applied once)."""
    processor = event_log.c.at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return processor(at) if processor is not None else at


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; make them aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
