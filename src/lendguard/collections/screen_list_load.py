# ruff: noqa: E501  (SQL text reads better unwrapped)
"""Fast loading of ``screen-list``'s CSV files: typed reads without sniffing, validation folded into one flag.

The files are read once each with an explicit column list (every column text, no type sniffing) and
normalised in the same pass. Each row gets an ``ok`` flag that is false when a value would be refused;
``screen_list`` then re-reads the offending file the slow way (``screen_list_sql.load_sql``) only to name the
first bad line and column, so the happy path never scans the files twice. History rows that no rule can
look at (outside the time window the rules reach, other channels) are dropped while reading.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from pathlib import Path

CHANNELS = ("call", "sms", "email", "letter", "visit", "app_message", "social_media")
ROLES = ("debtor", "designated_contact", "related_third_party", "unrelated_third_party", "employer", "attorney")
PURPOSES = ("collection", "location_info", "reply", "notice")
OUTCOMES = ("conversation", "no_answer", "voicemail", "message_left", "busy", "not_in_service", "delivered", "failed")
INITIATORS = ("collector", "consumer")
COMMUNICATED = "('conversation','delivered','message_left','voicemail')"
UNANSWERED = "('no_answer','voicemail','message_left')"
UNCONNECTED = "('busy','not_in_service','failed')"
INVALID = "screen-list: invalid history row"


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def has_space(path: Path) -> bool:
    """Whether the file holds a space anywhere: without one no cell needs trimming (a memchr-speed scan)."""
    with path.open("rb") as f:
        if f.seek(0, 2) == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b" ") >= 0


class _Cells:
    """Expressions for the cells of one file: trimmed as the slow loader does, unless the file has no space."""

    def __init__(self, cols: Sequence[str], padded: bool) -> None:
        self.cols, self.padded = cols, padded

    def t(self, name: str) -> str:
        """``trim(name)``, computed only for a cell that starts or ends with a space (trim is costly)."""
        if not self.padded:
            return f'"{name}"'
        return f"""(CASE WHEN "{name}" LIKE ' %' OR "{name}" LIKE '% ' THEN trim("{name}") ELSE "{name}" END)"""

    def col(self, name: str, default: str = "NULL") -> str:
        return f"nullif({self.t(name)}, '')" if name in self.cols else default

    def flag(self, name: str, default: bool) -> str:
        if name not in self.cols:
            return "true" if default else "false"
        if default:
            return f"NOT coalesce(lower({self.t(name)}) IN ('false', '0', 'no'), false)"
        return f"coalesce(lower({self.t(name)}) IN ('true', '1', 'yes'), false)"


def _list(expr: str) -> str:
    """The non-empty ';'-separated parts of ``expr``; the lambda runs only for a cell that holds a ';'."""
    return (
        f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN CAST([] AS VARCHAR[]) WHEN NOT contains({expr}, ';') THEN [{expr}] "
        f"ELSE list_filter(string_split({expr}, ';'), lambda x: x <> '') END"
    )


def _time(expr: str) -> str:
    # Only timestamps that carry an offset are accepted, as in the JSON contract.
    return (
        f"CASE WHEN regexp_matches({expr}, '(Z|[+-][0-9][0-9]:[0-9][0-9])$') THEN TRY_CAST({expr} AS TIMESTAMPTZ) END"
    )


def _valid(expr: str, allowed: Sequence[str]) -> str:
    """True when ``expr`` is empty/missing or one of ``allowed`` (what the slow checks accept)."""
    return f"coalesce({expr} IN {_in(allowed)}, true)"


def read_csv(path: str, cols: Sequence[str]) -> str:
    """A ``read_csv`` call with the header's columns all typed text: no sniffing, comma-separated."""
    typed = ", ".join(f"'{c}': 'VARCHAR'" for c in cols)
    return (
        f"""read_csv('{path}', header=true, auto_detect=false, delim=',', quote='"', escape='"', columns={{{typed}}})"""
    )


def plan_sql(plan: str, cols: Sequence[str], padded: bool) -> list[str]:
    """CREATE the ``plan`` view: one normalised row per planned contact, ``line`` its line in the file.

    ``padded``: the file may hold cells with leading or trailing spaces (see ``has_space``).
    """
    c = _Cells(cols, padded)
    at = c.t("at")
    table = f"""CREATE TABLE plan_raw AS SELECT *,
        at_utc IS NOT NULL AND len(zones) > 0 AND {_valid("channel", CHANNELS)} AND {_valid("role", ROLES)}
          AND {_valid("purpose", PURPOSES)} AS ok
      FROM (SELECT
        {c.t("id")} AS id, {_time(at)} AS at_utc,
        CASE WHEN {at} LIKE '%Z' THEN '+00:00' ELSE right({at}, 6) END AS off_s,
        {c.t("debtor_id")} AS debtor_id, {_list("timezones")} AS zones, {c.t("channel")} AS channel,
        coalesce({c.col("person_id")}, {c.t("debtor_id")}) AS person_id,
        coalesce({c.col("role")}, 'debtor') AS role,
        {_list(c.col("debt_ids"))} AS debts,
        coalesce({c.col("purpose")}, 'collection') AS purpose,
        {c.col("number")} AS number,
        {c.flag("cease_requested", False)} AS cease,
        {c.flag("attorney_represented", False)} AS attorney,
        {c.flag("reachable", True)} AS reachable,
        {_list(c.col("opted_out_channels"))} AS opted
      FROM {read_csv(plan, cols)})"""
    # rowid follows the file's order (insertion order is preserved); a window would be single-threaded.
    return [table, "CREATE VIEW plan AS SELECT rowid + 2 AS line, * FROM plan_raw"]


def history_rows(history: str, cols: Sequence[str], padded: bool) -> str:
    """A subquery over ``attempts.csv``: one normalised row per attempt (``debts`` the raw ';'-separated text,
    NULL when empty), plus ``ok``, false when a value would be refused."""
    c = _Cells(cols, padded)
    debtor = "debtor_id" if "debtor_id" in cols else "borrower_id"
    debts = "debt_ids" if "debt_ids" in cols else ("loan_id" if "loan_id" in cols else None)
    at = _time(c.t("at"))
    return f"""(SELECT *,
        at_utc IS NOT NULL AND {_valid("channel", CHANNELS)} AND {_valid("role", ROLES)} AND {_valid("outcome", OUTCOMES)}
          AND {_valid("initiated_by", INITIATORS)} AS ok
      FROM (SELECT
        {c.t(debtor)} AS debtor_id, {at} AS at_utc, {c.t("channel")} AS channel,
        {c.t("person_id")} AS person_id, coalesce({c.col("role")}, 'debtor') AS role,
        {c.col(debts) if debts else "NULL"} AS debts, {c.t("outcome")} AS outcome,
        coalesce({c.col("initiated_by")}, 'collector') AS initiated_by,
        {c.col("number")} AS number
      FROM {read_csv(history, cols)}))"""


def recent_calls(rows: str, since: str, until: str) -> str:
    """The calls of ``rows`` from ``since`` to ``until`` inclusive: all the caps, patterns and cool-downs see
    (an attempt at a planned contact's own instant is prior to it, as in ``policy.engine``).

    Every row is checked on the way: an invalid one stops the query (``error()``), and ``screen_list`` then
    names it through the slow loader. The outcome tests the rules make are flags computed once per attempt;
    ``debts`` is the raw ';'-separated text, ``no_debts`` whether it names none.
    """
    return f"""(SELECT debtor_id, at_utc, person_id, debts, number,
        debts IS NULL OR (starts_with(debts, ';') AND trim(debts, ';') = '') AS no_debts,
        outcome = 'conversation' AS conv,
        initiated_by = 'collector' AND outcome = 'conversation' AS coll_conv,
        initiated_by = 'collector' AND outcome <> 'conversation' AS coll_other,
        initiated_by = 'collector' AND outcome IN {UNANSWERED} AS coll_unans,
        initiated_by = 'collector' AS coll,
        initiated_by = 'collector' AND outcome NOT IN {UNCONNECTED} AND role <> 'attorney' AS counted
      FROM {rows}
      WHERE CASE WHEN NOT ok THEN error('{INVALID}')
                 ELSE channel = 'call' AND at_utc >= TIMESTAMPTZ '{since}' AND at_utc <= TIMESTAMPTZ '{until}' END)"""


def located_sql(rows: str) -> str:
    """CREATE ``hist_loc``: the attempts that communicated with someone, the whole history (``us.location_once``)."""
    return f"""CREATE TABLE hist_loc AS SELECT debtor_id, person_id, at_utc FROM {rows}
      WHERE initiated_by = 'collector' AND outcome IN {COMMUNICATED}"""
