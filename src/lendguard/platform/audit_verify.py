"""Verification of the tamper-evident audit log: chain links, entry hashes, chain heads, checkpoints.

``verify`` walks each institution's chain in ``seq`` order and reports the *first* broken entry:

- a gap in ``seq`` (an entry was deleted),
- an entry whose stored hash differs from the hash of its content (it was modified, or moved: the
  hash covers ``seq``, so swapping two entries breaks both),
- an entry whose ``prev_hash`` is not its predecessor's hash (inserted, deleted or reordered),
- a chain head that disagrees with the last entry (entries deleted from or appended to the end
  behind the log's back),
- a checkpoint whose Ed25519 signature does not verify, or whose signed hash differs from the entry
  stored at its ``seq`` (the chain was rewritten and re-hashed after the checkpoint was signed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from lendguard.platform.audit import chain_heads, checkpoints, institution_signing_key
from lendguard.platform.audit_model import GENESIS_HASH, chain_hash_text, checkpoint_message
from lendguard.platform.store import event_log, institutions

FETCH = 20_000


@dataclass(frozen=True)
class Break:
    """The first broken entry of a chain: institution, sequence number and what is wrong."""

    institution_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"institution {self.institution_id}, entry {self.seq}: {self.reason}"


@dataclass
class VerifyReport:
    """Result of :func:`verify` over one or all institutions."""

    entries: int = 0
    checkpoints: int = 0
    institutions: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


def _sqlite_ts(text: str) -> str:
    # SQLAlchemy stores SQLite datetimes as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, written by AuditLog).
    if len(text) == 26:
        return text[:10] + "T" + text[11:] + "Z"
    parsed = datetime.fromisoformat(text)
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _pg_ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _rows(conn: Connection, institution_id: int) -> Iterator[tuple[Any, ...]]:
    """Raw rows of one chain in seq order (driver values: fast enough for millions of entries)."""
    cols = "seq, at, actor, action, subject_ref, object_type, object_id, purpose, detail, prev_hash, entry_hash"
    sql = f"SELECT {cols} FROM event_log WHERE institution_id = {int(institution_id)} ORDER BY seq"
    if conn.dialect.name == "postgresql":
        # A server-side cursor streams instead of loading the whole chain in memory.
        result = conn.execution_options(stream_results=True, yield_per=FETCH).exec_driver_sql(sql)
    else:
        result = conn.exec_driver_sql(sql)
    while True:
        batch = result.fetchmany(FETCH)
        if not batch:
            return
        yield from (tuple(r) for r in batch)


def verify_chain(conn: Connection, institution_id: int, signing_seed: str) -> tuple[int, int, list[Break]]:
    """Verify one institution's chain; return (entries, checkpoints, breaks sorted by seq)."""
    breaks: list[Break] = []
    ts = _sqlite_ts if conn.dialect.name == "sqlite" else _pg_ts
    signed = {
        int(r.seq): r
        for r in conn.execute(
            sa.select(checkpoints).where(checkpoints.c.institution_id == institution_id).order_by(checkpoints.c.seq)
        )
    }
    hashes_at_checkpoints: dict[int, str] = {}
    expected = 1
    prev = GENESIS_HASH
    count = 0
    prefix = str(institution_id)
    for seq, at, actor, action, subject, otype, oid, purpose, detail, prev_hash, stored in _rows(conn, institution_id):
        seq = int(seq)
        count += 1
        if not breaks:
            if seq != expected:
                breaks.append(Break(institution_id, expected, f"entry missing (next stored entry is {seq})"))
            elif prev_hash != prev:
                breaks.append(
                    Break(
                        institution_id,
                        seq,
                        "prev_hash does not match the entry before it (inserted, deleted or reordered)",
                    )
                )
            else:
                fields = [
                    prefix,
                    str(seq),
                    ts(at),
                    actor,
                    action,
                    subject or "",
                    otype or "",
                    oid or "",
                    purpose or "",
                    detail,
                    prev_hash,
                ]
                if chain_hash_text(fields) != stored:
                    breaks.append(Break(institution_id, seq, "content does not match its hash (modified or moved)"))
        if seq in signed:
            hashes_at_checkpoints[seq] = str(stored)
        prev = str(stored)
        expected = seq + 1
    last = expected - 1
    head = conn.execute(sa.select(chain_heads).where(chain_heads.c.institution_id == institution_id)).first()
    if head is not None and (int(head.seq) != last or head.head_hash != prev):
        where = min(int(head.seq), last) + 1 if int(head.seq) != last else last
        breaks.append(Break(institution_id, max(where, 1), f"chain head says seq {head.seq}, log ends at {last}"))
    public: Ed25519PublicKey = institution_signing_key(signing_seed, institution_id).public_key()
    for seq, cp in signed.items():
        message = checkpoint_message(institution_id=institution_id, seq=seq, entry_hash=cp.entry_hash, at=_aware(cp.at))
        try:
            public.verify(bytes.fromhex(cp.signature), message)
        except (InvalidSignature, ValueError):
            breaks.append(Break(institution_id, seq, "checkpoint signature does not verify"))
            continue
        if hashes_at_checkpoints.get(seq) != cp.entry_hash:
            breaks.append(Break(institution_id, seq, "entry differs from the signed checkpoint (history rewritten)"))
    breaks.sort(key=lambda b: b.seq)
    return count, len(signed), breaks


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def verify(conn: Connection, signing_seed: str, institution_id: int | None = None) -> VerifyReport:
    """Verify every chain (or one institution's); the report lists the first break of each chain."""
    report = VerifyReport()
    ids = (
        [institution_id]
        if institution_id is not None
        else [int(r[0]) for r in conn.execute(sa.select(institutions.c.id).order_by(institutions.c.id))]
    )
    for inst in ids:
        entries, cps, breaks = verify_chain(conn, inst, signing_seed)
        report.entries += entries
        report.checkpoints += cps
        report.institutions += 1
        if breaks:
            report.breaks.append(breaks[0])
    # Entries of an institution that no longer exists would escape the walk above.
    if institution_id is None:
        orphan = conn.execute(
            sa.select(event_log.c.institution_id).where(event_log.c.institution_id.not_in(ids)).limit(1)
        ).first()
        if orphan is not None:
            report.breaks.append(Break(int(orphan[0]), 0, "entries of an unknown institution"))
    return report
