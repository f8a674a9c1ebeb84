"""Database engine and the shared SQLAlchemy metadata.

Every capability declares its tables on :data:`metadata` in its own ``store.py``; Alembic migrations
(one branch per capability) create them. SQLite gets WAL mode and pragmas that make it a sound
embedded default; PostgreSQL is used as is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# An auto-incrementing 64-bit key that SQLite still treats as its ROWID alias.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")
# JSON that PostgreSQL stores as JSONB.
JsonDoc = JSON().with_variant(postgresql.JSONB(), "postgresql").with_variant(sqlite.JSON(), "sqlite")

# Pages the write-ahead log may hold before a commit copies them back into the database (a
# checkpoint, two fsyncs). SQLite's default is 1,000; each gateway batch rewrites the same dozen hot
# pages (a client's row, the audit chain head, the last leaf of each append-only table and index),
# which the log holds once per commit but a checkpoint copies once, so a longer interval copies and
# syncs far less per query. The checkpoint runs inside the committing writer's turn, serial for the
# database. Measured (benchmarks/gateway.py, SQLite, 2 workers): checked queries 1,835 -> 2,035-2,273
# q/s, checks-to-baseline 3.35x -> 3.00x (medians); 20,000 gained no more and lengthened p99 to ~40 ms.
# Cost: a log of up to ~40 MB next to the database (reused, not grown, once checkpointed).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA temp_store=MEMORY",
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions: pysqlite's implicit BEGIN breaks SAVEPOINT and BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two writers never deadlock on a lock upgrade;
    # busy_timeout then queues them instead of failing with "database is locked". Long readers
    # (``execution_options(read_only=True)``, e.g. audit verification) take a plain read transaction
    # so they never hold the write lock.
    # Straight on the driver connection: through exec_driver_sql this cost ~2x more CPU (execution
    # context, events, result) on every transaction, i.e. twice per gateway query.
    conn.connection.driver_connection.execute(
        "BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE"
    )


# A pooled PostgreSQL connection is pinged before use only when it sat idle at least this long: a
# connection dropped by a server restart, an idle timeout or a failover is replaced before the caller
# sees an error. ``pool_pre_ping`` pinged on every checkout instead, one extra round trip per
# transaction (a gateway query has two transactions and about eight round trips in all).
PING_AFTER_IDLE_S = 5.0


def _on_pg_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _on_pg_checkout(dbapi_connection: Any, record: Any, _proxy: Any, engine: Engine) -> None:
    idle_since = record.info.pop("idle_since", None)
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
        return  # new, or back in the pool a moment ago (a dead one fails its first statement)
    dialect = engine.dialect
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        if dialect.is_disconnect(exc, dbapi_connection, None):
            raise DisconnectionError("stale pooled connection") from exc  # the pool reconnects
        raise


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine for ``url``; creates the directory of a SQLite file when missing."""
    parsed = make_url(normalise_url(url))
    url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as PostgreSQL's: SQLAlchemy's default (5 + 10 overflow) closed and reopened the
        # overflow connections whenever more than 5 threads of a server worker held one (every reopen
        # runs the pragmas below); a gateway worker under load holds one per request thread.
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, pool_size=20, max_overflow=40)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    engine = create_engine(url, echo=echo, pool_size=20, max_overflow=40)
    event.listen(engine, "checkin", _on_pg_checkin)
    event.listen(engine, "checkout", lambda conn, record, proxy: _on_pg_checkout(conn, record, proxy, engine))
    return engine


def reading(engine: Engine) -> Connection:
    """A connection for reads only (use it as a context manager). On SQLite its transaction is a plain,
    deferred ``BEGIN``: a WAL snapshot that never takes the write lock. A bare ``connect()`` autobegins
    with the writers' ``BEGIN IMMEDIATE`` (see ``_on_sqlite_begin``), so a long read — a statement, a
    detection run over the query log — held the database's only write lock and writers slept in
    SQLite's busy handler until it finished. On PostgreSQL the option changes nothing."""
    return engine.connect().execution_options(read_only=True)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (psycopg2 is not a dependency)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    """True when ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"
