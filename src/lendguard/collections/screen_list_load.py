# ruff: noqa: E501  (SQL text reads better unwrapped)
"""Fast loading of ``screen-list``'s CSV files: typed reads without sniffing, validation folded into one flag.

The files are read once each with an explicit column list (every column text, no type sniffing) and
normalised in the same pass. Each row gets an ``ok`` flag that is false when a value would be refused;
``screen_list`` then re-reads the offending file the slow way (``screen_list_sql.load_sql``) only to name the
first bad line and column, so the happy path never scans the files twice. History rows that no rule can
look at (outside the time window the rules reach, other channels) are dropped while reading.
"""

from __future__ import annotations

from collections.abc import Sequence

CHANNELS = ("call", "sms", "email", "letter", "visit", "app_message", "social_media")
ROLES = ("debtor", "designated_contact", "related_third_party", "unrelated_third_party", "employer", "attorney")
PURPOSES = ("collection", "location_info", "reply", "notice")
OUTCOMES = ("conversation", "no_answer", "voicemail", "message_left", "busy", "not_in_service", "delivered", "failed")
INITIATORS = ("collector", "consumer")
COMMUNICATED = "('conversation','delivered','message_left','voicemail')"


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _t(name: str) -> str:
    """``trim(name)``, computed only for the rare cell that starts or ends with a space (trim is costly)."""
    return f"""(CASE WHEN "{name}" LIKE ' %' OR "{name}" LIKE '% ' THEN trim("{name}") ELSE "{name}" END)"""


def _col(cols: Sequence[str], name: str, default: str = "NULL") -> str:
    return f"nullif({_t(name)}, '')" if name in cols else default


def _flag(cols: Sequence[str], name: str, default: bool) -> str:
    if name not in cols:
        return "true" if default else "false"
    if default:
        return f"NOT coalesce(lower({_t(name)}) IN ('false', '0', 'no'), false)"
    return f"coalesce(lower({_t(name)}) IN ('true', '1', 'yes'), false)"


def _list(expr: str) -> str:
    return f"list_filter(string_split(coalesce({expr}, ''), ';'), lambda x: x <> '')"


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


def plan_sql(plan: str, cols: Sequence[str]) -> list[str]:
    """CREATE the ``plan`` view: one normalised row per planned contact, ``line`` its line in the file."""
    at = _t("at")
    table = f"""CREATE TABLE plan_raw AS SELECT *,
        at_utc IS NOT NULL AND len(zones) > 0 AND {_valid("channel", CHANNELS)} AND {_valid("role", ROLES)}
          AND {_valid("purpose", PURPOSES)} AS ok
      FROM (SELECT
        {_t("id")} AS id, {_time(at)} AS at_utc,
        CASE WHEN {at} LIKE '%Z' THEN '+00:00' ELSE right({at}, 6) END AS off_s,
        {_t("debtor_id")} AS debtor_id, {_list("timezones")} AS zones, {_t("channel")} AS channel,
        coalesce({_col(cols, "person_id")}, {_t("debtor_id")}) AS person_id,
        coalesce({_col(cols, "role")}, 'debtor') AS role,
        {_list(_col(cols, "debt_ids"))} AS debts,
        coalesce({_col(cols, "purpose")}, 'collection') AS purpose,
        {_col(cols, "number")} AS number,
        {_flag(cols, "cease_requested", False)} AS cease,
        {_flag(cols, "attorney_represented", False)} AS attorney,
        {_flag(cols, "reachable", True)} AS reachable,
        {_list(_col(cols, "opted_out_channels"))} AS opted
      FROM {read_csv(plan, cols)})"""
    # rowid follows the file's order (insertion order is preserved); a window would be single-threaded.
    return [table, "CREATE VIEW plan AS SELECT rowid + 2 AS line, * FROM plan_raw"]


def history_sql(history: str, cols: Sequence[str], since: str, until: str, locate: bool) -> str:
    """CREATE the ``hist`` table, keeping only rows some rule can look at, and every row that is invalid.

    Calls at or after ``since`` and before ``until`` feed the caps, patterns and cool-downs; with ``locate``
    (a planned location-information contact exists), earlier or non-call attempts that communicated also
    stay, for ``us.location_once``, which looks at the whole history.
    """
    debtor = "debtor_id" if "debtor_id" in cols else "borrower_id"
    debts = "debt_ids" if "debt_ids" in cols else ("loan_id" if "loan_id" in cols else None)
    located = f"OR (initiated_by = 'collector' AND outcome IN {COMMUNICATED})" if locate else ""
    return f"""CREATE TABLE hist AS SELECT * FROM (SELECT *,
        channel = 'call' AND at_utc >= TIMESTAMPTZ '{since}' AND at_utc < TIMESTAMPTZ '{until}' AS recent_call,
        at_utc IS NOT NULL AND {_valid("channel", CHANNELS)} AND {_valid("role", ROLES)} AND {_valid("outcome", OUTCOMES)}
          AND {_valid("initiated_by", INITIATORS)} AS ok
      FROM (SELECT
        {_t(debtor)} AS debtor_id, {_time(_t("at"))} AS at_utc, {_t("channel")} AS channel,
        {_t("person_id")} AS person_id, coalesce({_col(cols, "role")}, 'debtor') AS role,
        {_list(_col(cols, debts) if debts else "NULL")} AS debts, {_t("outcome")} AS outcome,
        coalesce({_col(cols, "initiated_by")}, 'collector') AS initiated_by,
        {_col(cols, "number")} AS number
      FROM {read_csv(history, cols)}))
    WHERE recent_call OR NOT ok {located}"""
