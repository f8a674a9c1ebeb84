"""Dialer lists at scale: decide a day's planned contacts against history in one DuckDB pass.

The SQL reproduces the single-decision engine (``policy.engine.decide``) for the facts a dialer list
carries (see ``docs/policy.md``, "screen-list"); a Hypothesis differential test keeps the two identical.
Only the built-in packs' always-on rules are vectorised; a pack with an optional rule switched on is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from lendguard.collections.checks import InputError
from lendguard.collections.policy.packs import Pack
from lendguard.collections.screen_list_load import (
    CHANNELS,
    OUTCOMES,
    PURPOSES,
    ROLES,
    has_space,
    history_rows,
    located_sql,
    plan_sql,
    recent_calls,
)
from lendguard.collections.screen_list_sql import (
    THIRD,
    ahead_days,
    decisions_sql,
    load_sql,
    lookback_days,
    offsets_sql,
)

DEFAULT_MEMORY_LIMIT = "2.5GB"
PLAN_REQUIRED = ("id", "at", "debtor_id", "timezones", "channel")
HISTORY_REQUIRED = ("at", "channel", "person_id", "outcome")


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        cur = con.execute(f"SELECT * FROM read_csv('{_q(path)}', header=true, all_varchar=true) LIMIT 0")
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as CSV ({exc})") from None
    return [str(d[0]).lower() for d in cur.description or []]


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _check_values(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, column: str, allowed: tuple[str, ...]
) -> None:
    listed = ", ".join(f"'{v}'" for v in allowed)
    bad = con.execute(
        f"SELECT line, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} NOT IN ({listed}) "
        "ORDER BY line LIMIT 1"
    ).fetchone()
    if bad is not None:
        raise InputError(f"{path}: line {bad[0]}: column {column}: {bad[1]!r} is not one of {', '.join(allowed)}")


def _check_times(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    bad = con.execute(f"SELECT line, at_s FROM {table} WHERE at_utc IS NULL ORDER BY line LIMIT 1").fetchone()
    if bad is not None:
        raise InputError(f"{path}: line {bad[0]}: column at: {bad[1]!r} is not an ISO-8601 timestamp with an offset")


def _explain_bad_input(plan: Path, plan_cols: list[str], history: Path, hist_cols: list[str]) -> None:
    """Name the first bad line and column the slow way (every column kept as text, line numbers kept).

    Only runs when the fast load found something wrong, so the error messages stay those of the checks below.
    """
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        for statement in load_sql(_q(plan), plan_cols, _q(history), hist_cols):
            con.execute(statement)
        _check_times(con, "plan", plan)
        _check_times(con, "hist", history)
        checks: list[tuple[str, Path, str, tuple[str, ...]]] = [
            ("plan", plan, "channel", CHANNELS),
            ("plan", plan, "role", ROLES),
            ("plan", plan, "purpose", PURPOSES),
            ("hist", history, "channel", CHANNELS),
            ("hist", history, "role", ROLES),
            ("hist", history, "outcome", OUTCOMES),
        ]
        for table, path, column, allowed in checks:
            _check_values(con, table, path, column, allowed)
        _check_values(con, "hist", history, "initiated_by", ("collector", "consumer"))
        bad_zone = con.execute(
            "SELECT line, z FROM (SELECT line, unnest(zones) AS z FROM plan) "
            "WHERE z NOT IN (SELECT name FROM pg_timezone_names()) ORDER BY line LIMIT 1"
        ).fetchone()
        if bad_zone is not None:
            raise InputError(f"{plan}: line {bad_zone[0]}: column timezones: unknown time zone {bad_zone[1]!r}")
        empty = con.execute("SELECT line FROM plan WHERE len(zones) = 0 ORDER BY line LIMIT 1").fetchone()
        if empty is not None:
            raise InputError(f"{plan}: line {empty[0]}: column timezones: at least one IANA zone is required")
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, statement: str, path: Path, explain: Callable[[], None]) -> None:
    try:
        con.execute(statement)
    except duckdb.Error as exc:
        explain()  # the sniffing reader may name a bad line; otherwise the file is not comma-separated CSV
        raise InputError(f"{path}: cannot read as comma-separated CSV ({exc})") from None


def screen_list(
    pack: Pack,
    plan: Path,
    history: Path,
    out: Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> int:
    """Decide every row of ``plan`` against ``history`` and write ``out``; returns the number of decisions."""
    if any(r.optional for r in pack.active()):
        raise InputError("screen-list supports the built-in packs' rules only (no optional rules switched on)")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        con.execute("SET enable_progress_bar=false")
        if threads:
            con.execute(f"SET threads={int(threads)}")
        # DuckDB spills joins and aggregates to disk beyond this, which keeps the process under ~4 GiB.
        con.execute(f"SET memory_limit='{memory_limit or DEFAULT_MEMORY_LIMIT}'")
        # Every join in screen_list_sql is written with its smaller side on the right, the side DuckDB hashes.
        # Its estimates would otherwise hash the (plan x history) rows to probe them with the small zone table.
        con.execute("SET disabled_optimizers='build_side_probe_side'")
        plan_cols, hist_cols = _columns(con, plan), _columns(con, history)
        for need in PLAN_REQUIRED:
            if need not in plan_cols:
                raise InputError(f"{plan}: missing column {need}")
        if "debtor_id" not in hist_cols and "borrower_id" not in hist_cols:
            raise InputError(f"{history}: missing column debtor_id (or borrower_id)")
        for need in HISTORY_REQUIRED:
            if need not in hist_cols:
                raise InputError(f"{history}: missing column {need}")

        def explain() -> None:
            _explain_bad_input(plan, plan_cols, history, hist_cols)

        progress("loading")
        for statement in plan_sql(_q(plan), plan_cols, has_space(plan)):
            _load(con, statement, plan, explain)
        # The plan's rows are numbered (rowid) in file order; every later table carries that line number and
        # the output is sorted by it, so DuckDB may build them in any order.
        con.execute("SET preserve_insertion_order=false")
        row = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE NOT ok), min(at_utc), max(at_utc), "
            f"coalesce(bool_or(role IN {THIRD} AND purpose = 'location_info'), false), "
            "coalesce(max(len(debts)) > 1, false), count(*) FILTER (WHERE channel = 'call') FROM plan"
        ).fetchone()
        assert row is not None
        count, bad, first, last, locate, multi_debt, calls = row
        bad_zone = con.execute(
            "SELECT z FROM (SELECT DISTINCT unnest(zones) AS z FROM plan) "
            "WHERE z NOT IN (SELECT name FROM pg_timezone_names()) LIMIT 1"
        ).fetchone()
        if bad or bad_zone is not None:
            explain()
        first = first or datetime(1970, 1, 1, tzinfo=UTC)
        last = last or first
        since = first - timedelta(days=lookback_days(pack))
        rows = history_rows(_q(history), hist_cols, has_space(history))
        if locate:
            _load(con, located_sql(rows), history, explain)
        # UTC offsets per zone and hour, from a day before the history window to past any next_allowed_at the
        # time-bound rules produce; instants outside are converted by ICU directly.
        first_hour = max(24, int(since.timestamp()) // 3600 - 24)  # from 1970-01-02: day numbers stay positive
        hours = (first_hour, int(last.timestamp()) // 3600 + 24 * ahead_days(pack) - first_hour)
        for statement in offsets_sql(hours):
            con.execute(statement)
        progress("deciding")
        recent = recent_calls(rows, since.isoformat(), last.isoformat())
        if not calls:
            # No planned call: the join below would stop reading attempts.csv at once, so check it on its own.
            _load(con, f"SELECT count(*) FROM {recent}", history, explain)
        statements, query = decisions_sql(pack, recent, hours, bool(locate), bool(multi_debt))
        for statement in statements:
            # The statement reading attempts.csv stops at its first invalid row; the slow loader names it.
            _load(con, statement, history, explain)
        con.execute(f"COPY ({query}) TO '{_q(out)}' (HEADER, DELIMITER ',')")
        return int(count)
    finally:
        con.close()
