"""Fast path of audit verification: the database builds each entry's canonical text (issue 5).

Reading a million rows into Python as eleven objects each cost more than hashing them. Here the
database does the per-field work in C:

- **SQLite** builds the canonical text of each entry with ``json_array`` (its JSON string escaping is
  character for character that of ``json.encoder.encode_basestring``) and hands it to a Python function
  registered on the connection as one ``bytes`` object; the function hashes it, compares the digest with
  the stored hash and checks the link to the entry before. The query stops at the first entry that does
  not pass (``NOT check(...) ... LIMIT 1``).
- **PostgreSQL** does everything server-side (``array_to_json``, ``sha256()``, ``lag()`` over the chain
  in ``seq`` order) and returns only entries that fail, the last entry, and the entries at checkpoints.

Why a match proves the entry intact: the text the database builds is a JSON array of the entry's
*stored* field values (every field a JSON string literal built by a JSON escaper). If its SHA-256 equals
the stored hash, it equals the canonical text the entry was appended with; parsing both gives the same
strings, so the stored fields are the appended ones and the canonical encoding in Python
(``audit_model.chain_hash_text``) hashes to the same value. A difference in escaping between the
database and Python can therefore only make the fast path *fail* an intact entry, never pass a
tampered one. Whatever the fast path does not prove (the first failing entry onwards, or everything
when the database cannot run it) is walked again by the exact Python walk, which names the break.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# A stored timestamp "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's SQLite format, UTC) as the canonical
# "YYYY-MM-DDTHH:MM:SS.ffffffZ" (replace: cheaper than substr and concatenation). The canonical stamp
# has no space and one "T", so only a stored text of 26 characters with a space or "T" at position 10
# can produce it, which the Python walk reads as the same instant (``audit_verify._sqlite_ts``).
_SQLITE_TEXT = (
    "CAST(json_array('{inst}', CAST(seq AS TEXT), replace(at, ' ', 'T') || 'Z', actor, "
    "action, coalesce(subject_ref, ''), coalesce(object_type, ''), coalesce(object_id, ''), "
    "coalesce(purpose, ''), detail, prev_hash) AS BLOB)"
)

# The canonical text as PostgreSQL builds it: ``array_to_json`` of text writes a compact JSON array and
# escapes each string like Python's JSON encoder (one call: nine ``to_json`` calls cost a fifth more).
_PG_TEXT = (
    "array_to_json(ARRAY['{inst}', seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "actor, action, coalesce(subject_ref, ''), coalesce(object_type, ''), coalesce(object_id, ''), "
    "coalesce(purpose, ''), detail, prev_hash])::text"
)

# IS DISTINCT FROM, not <>: a NULL anywhere must fail an entry, not drop it from the result.
_PG_SQL = """
SELECT seq, entry_hash, bad, pseq, phash FROM (
    SELECT seq, entry_hash, lag(seq) OVER w AS pseq, lag(entry_hash) OVER w AS phash,
        (seq - lag(seq, 1, CAST({base} AS bigint)) OVER w IS DISTINCT FROM 1
         OR prev_hash IS DISTINCT FROM lag(entry_hash, 1, CAST(%(prev)s AS varchar)) OVER w
         OR encode(sha256(convert_to({text}, 'UTF8')), 'hex') IS DISTINCT FROM entry_hash) AS bad,
        lead(seq) OVER w IS NULL AS last
    FROM event_log WHERE {where}
    WINDOW w AS (ORDER BY seq)
) AS checked
WHERE bad OR last OR seq = ANY(CAST(%(wanted)s AS bigint[]))
ORDER BY seq
"""


@dataclass
class Proven:
    """The entries ``base + 1 .. last_seq`` of a range, proven contiguous, linked and matching their hashes.

    ``complete`` means they are all the entries of the range; otherwise the range must be walked on
    from ``last_seq`` by the exact walk.
    """

    base: int
    last_seq: int
    last_hash: str
    at_checkpoints: dict[int, str] = field(default_factory=dict)
    complete: bool = False

    @property
    def count(self) -> int:
        return self.last_seq - self.base


def range_where(institution_id: int, after: int | None, hi: int | None) -> str:
    """SQL condition selecting the entries of a range: ``after < seq <= hi`` (``None``: unbounded).

    Ranges are half-open so that every stored row, whatever its ``seq`` (0, negative, fractional or
    not a number), falls in exactly one range of a split chain and is looked at.
    """
    where = f"institution_id = {int(institution_id)}"
    if after is not None:
        where += f" AND seq > {int(after)}"
    if hi is not None:
        where += f" AND seq <= {int(hi)}"
    return where


def prove_range(
    conn: Connection, institution_id: int, after: int | None, hi: int | None, prev: str, wanted: frozenset[int]
) -> Proven:
    """Prove as much of the range ``after < seq <= hi`` as the database can check in bulk.

    The first entry expected is ``after + 1`` (1 when ``after`` is ``None``), linked to ``prev``;
    hashes of entries at ``wanted`` seqs are collected. Never raises for a tampered log: an entry the
    fast path cannot prove simply ends the proven prefix.
    """
    base = after if after is not None else 0
    proven = Proven(base=base, last_seq=base, last_hash=prev)
    if not prev:  # the entry before the range is missing: the exact walk reports it
        return proven
    if conn.dialect.name == "sqlite":
        return _prove_sqlite(conn, institution_id, after, hi, proven, wanted)
    if conn.dialect.name == "postgresql":
        return _prove_postgresql(conn, institution_id, after, hi, proven, wanted)
    return proven


def _prove_sqlite(
    conn: Connection, institution_id: int, after: int | None, hi: int | None, proven: Proven, wanted: frozenset[int]
) -> Proven:
    raw = conn.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):  # another SQLite driver: the exact walk does it all
        return proven
    sha256, hashes = hashlib.sha256, proven.at_checkpoints
    expected, last = proven.base + 1, proven.last_hash

    def check(seq: object, text: bytes, prev_hash: object, stored: str) -> bool:
        # Called once per entry, in seq order; it proves an entry only if it is the one expected next,
        # so the proven entries are always the prefix base+1 .. expected-1, whatever SQLite's plan.
        nonlocal expected, last
        if seq != expected or prev_hash != last or sha256(text).hexdigest() != stored:
            return False
        if seq in wanted:
            hashes[expected] = stored
        expected, last = expected + 1, stored
        return True

    name = "lendguard_audit_check"
    where = range_where(institution_id, after, hi)
    text = _SQLITE_TEXT.format(inst=int(institution_id))
    raw.create_function(name, 4, check)  # not deterministic: SQLite must call it for every row
    cursor = raw.cursor()
    try:
        failed = cursor.execute(
            f"SELECT seq FROM event_log WHERE {where} AND NOT {name}(seq, {text}, prev_hash, entry_hash) "
            "ORDER BY seq LIMIT 1"
        ).fetchone()
        # Every row of the range was proven only if they number as many as the proven prefix.
        total = cursor.execute(f"SELECT count(*) FROM event_log WHERE {where}").fetchone()[0]
    except sqlite3.Error:  # e.g. a BLOB in a text column (json_array refuses it): the exact walk decides
        failed, total = True, -1
    finally:
        cursor.close()
        raw.create_function(name, 4, None)  # unregisters it (calls would fail)
    proven.last_seq, proven.last_hash = expected - 1, last
    proven.complete = failed is None and total == proven.count
    return proven


def _prove_postgresql(
    conn: Connection, institution_id: int, after: int | None, hi: int | None, proven: Proven, wanted: frozenset[int]
) -> Proven:
    sql = _PG_SQL.format(
        base=proven.base, where=range_where(institution_id, after, hi), text=_PG_TEXT.format(inst=int(institution_id))
    )
    params = {"prev": proven.last_hash, "wanted": sorted(wanted)}
    try:
        with conn.begin_nested():  # a failing query must not abort the caller's transaction
            rows = conn.exec_driver_sql(sql, params).all()
    except sa.exc.DBAPIError:
        return proven
    # Rows come in seq order: checkpoint entries and the last entry, unless an entry fails first.
    for seq, stored, bad, pseq, phash in rows:
        if bad:  # every entry before it is proven: contiguous from base + 1, linked and hashed
            if pseq is not None:
                proven.last_seq, proven.last_hash = int(pseq), str(phash)
            return proven
        if seq in wanted:
            proven.at_checkpoints[int(seq)] = str(stored)
        proven.last_seq, proven.last_hash = int(seq), str(stored)
    proven.complete = True
    return proven
