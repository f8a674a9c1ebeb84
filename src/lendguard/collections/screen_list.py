"""Dialer lists at scale: decide a day's planned contacts against history in one DuckDB pass.

The SQL reproduces the single-decision engine (``policy.engine.decide``) for the facts a dialer list
carries (see ``docs/policy.md``, "screen-list"); a Hypothesis differential test keeps the two identical.
Only the built-in packs' always-on rules are vectorised; a pack with an optional rule switched on is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from lendguard.collections.checks import InputError
from lendguard.collections.policy.packs import Pack
from lendguard.collections.screen_list_sql import decisions_sql, load_sql

CHANNELS = ("call", "sms", "email", "letter", "visit", "app_message", "social_media")
ROLES = ("debtor", "designated_contact", "related_third_party", "unrelated_third_party", "employer", "attorney")
PURPOSES = ("collection", "location_info", "reply", "notice")
OUTCOMES = ("conversation", "no_answer", "voicemail", "message_left", "busy", "not_in_service", "delivered", "failed")
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
        if threads:
            con.execute(f"SET threads={int(threads)}")
        # DuckDB spills joins and aggregates to disk beyond this, which keeps the process under ~4 GiB.
        con.execute(f"SET memory_limit='{memory_limit or DEFAULT_MEMORY_LIMIT}'")
        plan_cols, hist_cols = _columns(con, plan), _columns(con, history)
        for need in PLAN_REQUIRED:
            if need not in plan_cols:
                raise InputError(f"{plan}: missing column {need}")
        if "debtor_id" not in hist_cols and "borrower_id" not in hist_cols:
            raise InputError(f"{history}: missing column debtor_id (or borrower_id)")
        for need in HISTORY_REQUIRED:
            if need not in hist_cols:
                raise InputError(f"{history}: missing column {need}")
        progress("loading")
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
        progress("deciding")
        con.execute(f"COPY ({decisions_sql(pack)}) TO '{_q(out)}' (HEADER, DELIMITER ',')")
        count = con.execute("SELECT count(*) FROM plan").fetchone()
        return int(count[0]) if count else 0
    finally:
        con.close()
