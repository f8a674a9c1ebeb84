"""SQLite: the fast path's charge, use, query line and ledger line as plain driver statements.

On SQLite these run inside the gateway's writer queue, so their time is serial for the whole
database, and through SQLAlchemy Core each cost about three times its execution (execution context,
parameter processing, result set-up). Here they run straight on the driver connection, inside the
caller's transaction (begun by SQLAlchemy with ``BEGIN IMMEDIATE`` on that same connection), with
SQLAlchemy's own bind processors for timestamps and JSON, so the stored values are exactly what Core
stores (the rate windows compare stored timestamps as text). PostgreSQL does the same in one
statement (``client_store.PG_CHARGE_AND_RECORD``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.gateway.client_store import FAST_CHARGE_SQL, ChargedNotRecorded
from lendguard.gateway.tables import queries


def charge_and_record_sqlite(
    conn: Connection,
    line: Mapping[str, Any],
    *,
    topup_total_fen: int,
    windows: tuple[datetime, datetime],
    limits: tuple[int, int],
) -> int | None:
    """Charge the answered query ``line`` (its ``institution_id``, ``client_id``, ``price_fen``...),
    count its authorisation's use, insert the line and its ledger line, in the caller's transaction:
    :func:`charge_and_record_sqlite_many` of one write. Returns the new balance, or None when it was
    not chargeable (nothing changed); a charge that could not be recorded raises
    :class:`ChargedNotRecorded` (the caller must undo it: roll back)."""
    terms = {"topup_total_fen": topup_total_fen, "windows": windows, "limits": limits}
    return charge_and_record_sqlite_many(conn, [(line, terms)])[0]


def charge_and_record_sqlite_many(
    conn: Connection, writes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
) -> list[int | None]:
    """:func:`charge_and_record_sqlite` of each ``(line, terms)``, in order, in the caller's transaction,
    with fewer statements: the charges (one UPDATE for consecutive writes of one client on the same
    terms when all of them fit, else one per write, in order), then the uses of every charged write's
    authorisation in one UPDATE, every charged query line in one INSERT and their ledger lines in
    another. (These run in the writer queue, serial for the database, where each statement also hands
    the GIL back and waits for it again: a batch of n for one client took 4n statements, now 4.)

    Returns each write's new balance, or None for one that was not chargeable (it changed nothing).
    One that charged but could not record (an authorisation used up or revoked, or an idempotency key
    taken) raises :class:`ChargedNotRecorded` with its ``position`` in ``writes`` when it is known
    (None for a use: the batch's uses succeed or fail together): roll back.
    """
    charged: list[dict[str, Any]] = []
    balances: list[int | None] = [None] * len(writes)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for run in _runs([{**_params(conn, line, **terms), "position": n} for n, (line, terms) in enumerate(writes)]):
            together = _charge_together(cursor, run) if len(run) > 1 else False
            for params in run:
                if not together:  # alone, or not all of the run fit: one by one, in order
                    row = cursor.execute(FAST_CHARGE_SQL, params).fetchone()
                    if row is None:
                        continue
                    params["balance"] = int(row[0])
                balances[params["position"]] = params["balance"]
                charged.append(params)
        if charged:
            uses = Counter((params["inst"], params["auth_ref"], params["borrower"]) for params in charged)
            counted = cursor.execute(*_rows_sql(USES, "(?, ?, ?, ?)", range(4), [(*key, n) for key, n in uses.items()]))
            if counted.rowcount != len(uses):  # one has no room left (or is revoked): which is not known
                raise ChargedNotRecorded(charged[0]["position"] if len(charged) == 1 else None)
            inserted = {
                row[0]
                for row in cursor.execute(*_rows_sql(INSERT_QUERIES, _QUERY_ROW, _QUERY_KEYS, charged)).fetchall()
            }
            for params in charged:
                if params["ref"] not in inserted:  # its idempotency key is taken
                    raise ChargedNotRecorded(params["position"])
            cursor.execute(*_rows_sql(INSERT_LEDGERS, _LEDGER_ROW, _LEDGER_KEYS, charged))
    finally:
        cursor.close()
    return balances


# The charge of n consecutive writes of one client on the same terms (prices summed): the same
# conditions as FAST_CHARGE_SQL's n times over, so it charges only when every one of them would have.
CHARGE_TOGETHER = """
UPDATE gateway_clients SET
    balance_fen = balance_fen - :total,
    second_count = CASE WHEN second_start = :second THEN second_count + :n ELSE :n END,
    second_start = :second,
    day_count = CASE WHEN day_start = :day THEN day_count + :n ELSE :n END,
    day_start = :day
WHERE institution_id = :inst AND id = :cid AND status = 'active' AND balance_fen >= :total
    AND topup_total_fen = :topup
    AND (CASE WHEN second_start = :second THEN second_count ELSE 0 END) + :n <= :per_second
    AND (CASE WHEN day_start = :day THEN day_count ELSE 0 END) + :n <= :per_day
RETURNING balance_fen
"""
_TERMS = ("inst", "cid", "topup", "second", "day", "per_second", "per_day")


def _runs(writes: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``writes`` cut into runs of consecutive writes of one client on the same terms."""
    runs: list[list[dict[str, Any]]] = []
    for params in writes:
        if runs and all(runs[-1][0][key] == params[key] for key in _TERMS):
            runs[-1].append(params)
        else:
            runs.append([params])
    return runs


def _charge_together(cursor: Any, run: list[dict[str, Any]]) -> bool:
    """Charge every write of ``run`` at once and set each one's ``balance`` (as if charged in order);
    False, having changed nothing, when not all of them fit."""
    together = {**run[0], "total": sum(params["price"] for params in run), "n": len(run)}
    row = cursor.execute(CHARGE_TOGETHER, together).fetchone()
    if row is None:
        return False
    balance = int(row[0])
    for params in reversed(run):  # each write's balance after its own charge
        params["balance"] = balance
        balance += params["price"]
    return True


# Each authorisation's uses in a batch, counted at once, only where all of them fit and it is the
# query's borrower's (else no row; the signed token already says so: this is the database's check).
USES = """
UPDATE gateway_authorisations SET uses = uses + used.n
FROM (SELECT column1 AS inst, column2 AS ref, column3 AS borrower, column4 AS n FROM (VALUES {rows})) AS used
WHERE gateway_authorisations.institution_id = used.inst AND gateway_authorisations.ref = used.ref
    AND gateway_authorisations.borrower_ref = used.borrower
    AND gateway_authorisations.uses + used.n <= gateway_authorisations.max_uses
    AND gateway_authorisations.revoked_at IS NULL
"""
# The query lines (nothing goes in for one whose idempotency key is taken: a retry, which the locked
# path replays) and their ledger lines: "{rows}" is one "(?, ...)" per row, in the order of the keys below.
INSERT_QUERIES = """
INSERT INTO gateway_queries (institution_id, ref, client_id, idempotency_key, at, borrower_ref,
    authorisation_ref, purpose, channel, product, outcome, reason, price_fen, tier, response)
VALUES {rows}
ON CONFLICT DO NOTHING
RETURNING ref
"""
_QUERY_KEYS = (
    "inst",
    "ref",
    "cid",
    "idem",
    "at",
    "borrower",
    "auth_ref",
    "purpose",
    "channel",
    "product",
    "price",
    "tier",
    "response",
)
_QUERY_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'answered', NULL, ?, ?, ?)"
INSERT_LEDGERS = """
INSERT INTO gateway_ledger (institution_id, client_id, at, kind, amount_fen, balance_after_fen, query_ref, tier)
VALUES {rows}
"""
_LEDGER_KEYS = ("inst", "cid", "at", "price", "balance", "ref", "tier")
_LEDGER_ROW = "(?, ?, ?, 'charge', -?, ?, ?, ?)"


def _rows_sql(template: str, row: str, keys: Sequence[Any], rows: Sequence[Any]) -> tuple[str, list[Any]]:
    """``template`` with the placeholder ``row`` once per item of ``rows``, and the flat parameters."""
    return template.format(rows=", ".join([row] * len(rows))), [r[k] for r in rows for k in keys]


def _params(
    conn: Connection,
    line: Mapping[str, Any],
    *,
    topup_total_fen: int,
    windows: tuple[datetime, datetime],
    limits: tuple[int, int],
) -> dict[str, Any]:
    """The statements' parameters for one answered query ``line`` and its charge's terms, with
    SQLAlchemy's own timestamp and JSON formats."""
    stamp, as_json = _processors(conn)
    return {
        "inst": line["institution_id"],
        "cid": line["client_id"],
        "price": line["price_fen"],
        "topup": topup_total_fen,
        "second": stamp(windows[0]),
        "day": stamp(windows[1]),
        "per_second": limits[0],
        "per_day": limits[1],
        "auth_ref": line["authorisation_ref"],
        "ref": line["ref"],
        "idem": line["idempotency_key"],
        "at": stamp(line["at"]),
        "borrower": line["borrower_ref"],
        "purpose": line["purpose"],
        "channel": line["channel"],
        "product": line["product"],
        "tier": line["tier"],
        "response": as_json(line["response"]),
    }


@contextmanager
def savepoint(conn: Connection) -> Iterator[Callable[[], None]]:
    """A savepoint on the driver connection, inside the caller's transaction: calling the yielded
    ``undo`` rolls back to it, and it is released at the end (an exception leaves it to the caller's
    rollback). Lets one query of a group-committed batch change nothing without undoing the others
    (used only once a batch met such a query: each statement hands the GIL back and forth)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("SAVEPOINT gateway_fast_write")
    yield lambda: driver.execute("ROLLBACK TO gateway_fast_write")
    driver.execute("RELEASE gateway_fast_write")


def _processors(conn: Connection) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """SQLAlchemy's bind processors of the timestamp and JSON columns (cheap: the type caches its
    dialect implementation)."""
    dialect = conn.dialect
    stamp = queries.c.at.type.dialect_impl(dialect).bind_processor(dialect) or _same
    as_json = queries.c.response.type.dialect_impl(dialect).bind_processor(dialect) or _same
    return stamp, as_json


def _same(value: Any) -> Any:
    return value
