"""Verification of the tamper-evident audit log: chain links, entry hashes, chain heads, checkpoints.

``verify`` walks each institution's chain in ``seq`` order and reports the *first* broken entry:

- a gap in ``seq`` (an entry was deleted), or a row stored outside the numbering (seq 0, negative,
  fractional or not a number),
- an entry whose stored hash differs from the hash of its content (it was modified, or moved: the
  hash covers ``seq``, so swapping two entries breaks both),
- an entry whose ``prev_hash`` is not its predecessor's hash (inserted, deleted or reordered),
- a chain head that disagrees with the last entry (entries deleted from or appended to the end
  behind the log's back),
- a checkpoint whose Ed25519 signature does not verify, or whose signed hash differs from the entry
  stored at its ``seq`` (the chain was rewritten and re-hashed after the checkpoint was signed).

The database proves intact entries in bulk (``audit_verify_fast``); from the first entry it cannot
prove, the exact walk here in Python takes over and names the break.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from lendguard.platform.audit import chain_heads, checkpoints, institution_signing_key
from lendguard.platform.audit_model import GENESIS_HASH, chain_hash_text, checkpoint_message
from lendguard.platform.audit_verify_fast import prove_range, range_where
from lendguard.platform.db import make_engine, reading
from lendguard.platform.store import event_log, institutions

FETCH = 20_000
PARALLEL_MIN = 200_000
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")  # what pg_export_snapshot() returns, e.g. 00000003-0000001B-1


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


def _rows(
    conn: Connection, institution_id: int, after: int | None = None, hi: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """Raw rows of one chain with ``after < seq <= hi`` (``None``: unbounded) in seq order, as driver values."""
    cols = "seq, at, actor, action, subject_ref, object_type, object_id, purpose, detail, prev_hash, entry_hash"
    sql = f"SELECT {cols} FROM event_log WHERE {range_where(institution_id, after, hi)} ORDER BY seq"
    if conn.dialect.name == "sqlite":
        # The raw sqlite3 cursor: SQLAlchemy's row objects cost as much as the hashing over 1M rows.
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(FETCH):
                yield from batch
        finally:
            cursor.close()
        return
    # A server-side cursor streams instead of loading the whole chain in memory.
    result = conn.execution_options(stream_results=True, yield_per=FETCH).exec_driver_sql(sql)
    while batch := result.fetchmany(FETCH):
        yield from (tuple(r) for r in batch)


@dataclass
class Walk:
    """What one pass over a range of a chain found."""

    count: int = 0
    first_break: Break | None = None
    at_checkpoints: dict[int, str] = field(default_factory=dict)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


def walk_range(conn: Connection, institution_id: int, lo: int, hi: int | None, wanted: frozenset[int]) -> Walk:
    """Check seq contiguity, links and hashes of entries ``lo..hi``; collect hashes at ``wanted`` seqs.

    The range of ``lo == 1`` also holds every row stored below seq 1 (a forged entry 0 is a break).
    The database proves what it can in bulk (``audit_verify_fast``); the exact walk below takes over
    from the first entry it could not prove, so a break is always found and named by the same code.
    """
    if lo == 1:
        prev = GENESIS_HASH
    else:  # the hash the first entry of the range must link to (a missing one is the previous range's break)
        found = conn.execute(
            sa.select(event_log.c.entry_hash).where(
                event_log.c.institution_id == institution_id, event_log.c.seq == lo - 1
            )
        ).scalar()
        prev = str(found) if found is not None else ""
    after = None if lo == 1 else lo - 1
    proven = prove_range(conn, institution_id, after, hi, prev, wanted)
    if proven.complete:
        walk = Walk(count=proven.count, last_seq=proven.last_seq, last_hash=proven.last_hash)
    else:
        if proven.count:  # walk on after the proven prefix, linked to its last hash
            after, prev = proven.last_seq, proven.last_hash
        walk = _exact_walk(conn, institution_id, after, hi, prev, wanted, check_first_link=bool(prev) or lo == 1)
        walk.count += proven.count
    walk.at_checkpoints.update(proven.at_checkpoints)
    if hi is not None and walk.first_break is None and walk.last_seq < hi:
        walk.first_break = Break(institution_id, walk.last_seq + 1, "entry missing (deleted)")
    return walk


def _exact_walk(
    conn: Connection,
    institution_id: int,
    after: int | None,
    hi: int | None,
    prev: str,
    wanted: frozenset[int],
    *,
    check_first_link: bool,
) -> Walk:
    """The walk in Python over entries ``after < seq <= hi``: the reference that names the first break."""
    ts = _sqlite_ts if conn.dialect.name == "sqlite" else _pg_ts
    walk = Walk()
    expected, prefix = (after or 0) + 1, str(institution_id)
    count, broken = 0, None  # locals, not attributes of ``walk``: many rows may pass through this loop
    for row in _rows(conn, institution_id, after, hi):
        seq, prev_hash, stored = row[0], row[9], row[10]
        count += 1
        if broken is None:
            if seq != expected:
                reason = (
                    f"entry missing (next stored entry is {seq})"
                    if isinstance(seq, int) and seq > expected
                    else f"unexpected entry (stored with seq {seq!r})"
                )
                broken = Break(institution_id, expected, reason)
            elif prev_hash != prev and (prev or check_first_link):
                reason = "prev_hash does not match the entry before it (inserted, deleted or reordered)"
                broken = Break(institution_id, seq, reason)
            elif not _content_matches(prefix, row, ts):
                broken = Break(institution_id, seq, "content does not match its hash (modified or moved)")
        if seq in wanted:
            walk.at_checkpoints[seq] = stored
        prev = stored
        if isinstance(seq, int):  # a tampered row may hold anything in seq; it is a break already
            expected = seq + 1
    walk.count, walk.first_break = count, broken
    walk.last_seq, walk.last_hash = expected - 1, prev
    return walk


def _content_matches(prefix: str, row: tuple[Any, ...], ts: Callable[[Any], str]) -> bool:
    """Whether a stored row (as ``_rows`` yields it) hashes to its stored hash under the canonical encoding."""
    seq, at, actor, action, subject, otype, oid, purpose, detail, prev_hash, stored = row
    try:
        fields = [prefix, str(seq), ts(at), actor, action, subject or "", otype or "", oid or "", purpose or ""]
        return bool(chain_hash_text([*fields, detail, prev_hash]) == stored)
    except (TypeError, ValueError, AttributeError):  # e.g. a BLOB or a number stored in a text column
        return False


def _walk_in_worker(
    url: str, institution_id: int, lo: int, hi: int | None, wanted: frozenset[int], snapshot: str | None
) -> Walk:
    engine = make_engine(url)
    try:
        with reading(engine) as conn, conn.begin():
            if snapshot is not None:  # PostgreSQL: read exactly what the parent reads
                _repeatable_read(conn)
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return walk_range(conn, institution_id, lo, hi, wanted)
    finally:
        engine.dispose()


def _export_snapshot(conn: Connection) -> str | None:
    """The parent's PostgreSQL snapshot for the workers to import (``None``: none, the seq bound suffices).

    Not required for correctness: every range a worker walks is bounded by the prefix the parent read,
    and entries up to a committed seq are final (see :func:`verify`). With the snapshot the workers also
    see the same database as the parent if someone tampers with the log while verify runs.
    """
    if conn.dialect.name != "postgresql" or conn.in_nested_transaction():  # PostgreSQL refuses it in a savepoint
        return None
    snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
    return snapshot if _SNAPSHOT_ID.fullmatch(snapshot) else None


def _walk(conn: Connection, institution_id: int, wanted: frozenset[int], workers: int, bound: int | None) -> Walk:
    """Walk the chain up to ``bound`` (see :func:`verify_chain`), split into ``workers`` seq ranges when long.

    Long chains are walked in parallel processes, each over a range ``lo..hi`` with ``hi <= bound``: a
    worker reads in a transaction of its own, started later than the parent's, and must not see the
    entries appended meanwhile.
    """
    url = conn.engine.url
    if workers <= 1 or bound is None or bound < PARALLEL_MIN or url.database in (None, "", ":memory:"):
        return walk_range(conn, institution_id, 1, bound, wanted)
    step = -(-bound // workers)
    bounds = [(lo, min(lo + step - 1, bound)) for lo in range(1, bound + 1, step)]
    text = url.render_as_string(hide_password=False)
    snapshot = _export_snapshot(conn)
    # fork: the workers build their own engines from the URL; nothing of the parent's pool is used.
    # The parent walks the first range itself while the workers walk the others (one fork fewer).
    with ProcessPoolExecutor(len(bounds) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        jobs = [pool.submit(_walk_in_worker, text, institution_id, lo, hi, wanted, snapshot) for lo, hi in bounds[1:]]
        first = walk_range(conn, institution_id, bounds[0][0], bounds[0][1], wanted)
        parts = [first] + [job.result() for job in jobs]
    total = Walk(count=sum(p.count for p in parts), last_seq=parts[-1].last_seq, last_hash=parts[-1].last_hash)
    breaks = [p.first_break for p in parts if p.first_break is not None]
    total.first_break = min(breaks, key=lambda b: b.seq) if breaks else None
    for part in parts:
        total.at_checkpoints.update(part.at_checkpoints)
    return total


@dataclass(frozen=True)
class _Extent:
    """One chain as a single statement saw it: the head row, the last entry and the last checkpoint.

    Read in one statement, so the three agree even on PostgreSQL in READ COMMITTED (one snapshot per
    statement): an append commits its entries, the head and its checkpoint together.
    """

    head_seq: Any
    head_hash: Any
    last_entry: Any
    last_checkpoint: Any


def _extent(conn: Connection, institution_id: int) -> _Extent:
    heads = chain_heads.c.institution_id == institution_id
    row = conn.execute(
        sa.select(
            sa.select(chain_heads.c.seq).where(heads).scalar_subquery(),
            sa.select(chain_heads.c.head_hash).where(heads).scalar_subquery(),
            sa.select(sa.func.max(event_log.c.seq))
            .where(event_log.c.institution_id == institution_id)
            .scalar_subquery(),
            sa.select(sa.func.max(checkpoints.c.seq))
            .where(checkpoints.c.institution_id == institution_id)
            .scalar_subquery(),
        )
    ).one()
    return _Extent(*row)


def verify_chain(
    conn: Connection, institution_id: int, signing_seed: str, workers: int = 1
) -> tuple[int, int, list[Break]]:
    """Verify one institution's chain; return (entries, checkpoints, breaks sorted by seq).

    What is verified is the chain as one statement saw it first (:class:`_Extent`): every later read is
    bounded to its last entry and last checkpoint, so entries another process appends meanwhile are
    neither read nor mistaken for a break. Every row that statement saw is still read: a tampered row
    (seq 0, negative, an entry behind the head's back) is at or below the last entry.
    """
    extent = _extent(conn, institution_id)
    # No entry yet: bound 0 (rows appended meanwhile are not ours). A seq that is not a number (only
    # SQLite stores one; a break already) leaves the walk unbounded, inside the parent's one transaction.
    last = extent.last_entry
    bound = 0 if last is None else last if isinstance(last, int) else None
    signed_query = sa.select(checkpoints).where(checkpoints.c.institution_id == institution_id)
    last_cp = extent.last_checkpoint
    if isinstance(last_cp, int):
        signed_query = signed_query.where(checkpoints.c.seq <= last_cp)
    signed = (
        {int(r.seq): r for r in conn.execute(signed_query.order_by(checkpoints.c.seq))} if last_cp is not None else {}
    )
    walk = _walk(conn, institution_id, frozenset(signed), workers, bound)
    breaks = [walk.first_break] if walk.first_break is not None else []
    hashes_at_checkpoints = walk.at_checkpoints
    last, prev, count = walk.last_seq, walk.last_hash, walk.count
    if extent.head_seq is not None and (int(extent.head_seq) != last or extent.head_hash != prev):
        head_seq = int(extent.head_seq)
        where = min(head_seq, last) + 1 if head_seq != last else last
        breaks.append(Break(institution_id, max(where, 1), f"chain head says seq {head_seq}, log ends at {last}"))
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


def verify(conn: Connection, signing_seed: str, institution_id: int | None = None, workers: int = 1) -> VerifyReport:
    """Verify every chain (or one institution's); the report lists the first break of each chain.

    ``workers`` > 1 walks long chains (>= 200,000 entries) in that many processes, by seq range.
    On SQLite pass a connection opened with ``execution_options(read_only=True)`` so the walk takes a
    read transaction, not the write lock (the workers do).

    Safe while other processes append: each chain is verified up to the extent one statement saw
    (:func:`verify_chain`), and an entry at or below a committed seq never changes afterwards. Appends
    lock the chain head (PostgreSQL ``FOR UPDATE``, SQLite's single writer) until they commit, so entry
    ``n`` commits only after every entry below it: no later read sees a gap below the bound. When the
    connection is not in a transaction yet, the reads run in one of their own (REPEATABLE READ, read only,
    on PostgreSQL; the workers import its snapshot).
    """
    if conn.in_transaction():
        return _verify(conn, signing_seed, institution_id, workers)
    with conn.begin():
        if conn.dialect.name == "postgresql":
            _repeatable_read(conn)
        return _verify(conn, signing_seed, institution_id, workers)


def _repeatable_read(conn: Connection) -> None:
    """Make the transaction just begun one snapshot for all its statements (PostgreSQL)."""
    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _verify(conn: Connection, signing_seed: str, institution_id: int | None, workers: int) -> VerifyReport:
    report = VerifyReport()
    ids = (
        [institution_id]
        if institution_id is not None
        else [int(r[0]) for r in conn.execute(sa.select(institutions.c.id).order_by(institutions.c.id))]
    )
    for inst in ids:
        entries, cps, breaks = verify_chain(conn, inst, signing_seed, workers)
        report.entries += entries
        report.checkpoints += cps
        report.institutions += 1
        if breaks:
            report.breaks.append(breaks[0])
    # Entries of an institution that no longer exists would escape the walk above. One statement (not
    # the ids read above): an institution created meanwhile, with its first entries, is not an orphan.
    if institution_id is None:
        known = sa.select(institutions.c.id)
        orphan = conn.execute(
            sa.select(event_log.c.institution_id).where(event_log.c.institution_id.not_in(known)).limit(1)
        ).first()
        if orphan is not None:
            report.breaks.append(Break(int(orphan[0]), 0, "entries of an unknown institution"))
    return report
