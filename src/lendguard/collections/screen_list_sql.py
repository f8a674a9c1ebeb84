# ruff: noqa: E501  (SQL text reads better unwrapped)
"""SQL of ``screen-list``: the per-row facts, the UTC-offset table and the query deciding every planned contact.

``load_sql`` is the slow loader (every column kept as text, line numbers kept) that only names the first bad
line when the fast load (``screen_list_load``) found one. Each rule of the packs is written here as a
condition, a severity and the instant it stops objecting (``NULL``: never), mirroring ``policy/cn.py`` and
``policy/us_regf.py`` for the facts a CSV row carries.
"""

from __future__ import annotations

from collections.abc import Sequence

from lendguard.collections.policy.packs import Pack
from lendguard.collections.policy.registry import RULES, ParamValue

UNANSWERED = "('no_answer','voicemail','message_left')"
UNCONNECTED = "('busy','not_in_service','failed')"
COMMUNICATED = "('conversation','delivered','message_left','voicemail')"
THIRD = "('designated_contact','related_third_party','unrelated_third_party','employer')"
QUIET_STEPS = 6


def _col(cols: Sequence[str], name: str, default: str = "NULL") -> str:
    return f"nullif(trim({name}), '')" if name in cols else default


def _flag(cols: Sequence[str], name: str, default: bool) -> str:
    if name not in cols:
        return "true" if default else "false"
    d = "true" if default else "false"
    return (
        f"coalesce(lower(trim({name})) IN ('true', '1', 'yes'), {d})"
        if not default
        else (f"NOT coalesce(lower(trim({name})) IN ('false', '0', 'no'), false)")
    )


def _list(expr: str) -> str:
    return f"list_filter(string_split(coalesce({expr}, ''), ';'), lambda x: x <> '')"


def _time(expr: str) -> str:
    # Only timestamps that carry an offset are accepted, as in the JSON contract.
    return (
        f"CASE WHEN regexp_matches({expr}, '(Z|[+-][0-9][0-9]:[0-9][0-9])$') THEN TRY_CAST({expr} AS TIMESTAMPTZ) END"
    )


def load_sql(plan: str, plan_cols: Sequence[str], history: str, hist_cols: Sequence[str]) -> list[str]:
    """Statements creating the ``plan`` and ``hist`` tables from the CSV files (all columns read as text, the
    delimiter sniffed): the slow loader that names bad lines."""
    at = 'trim("at")'
    debtor = "debtor_id" if "debtor_id" in hist_cols else "borrower_id"
    debts = "debt_ids" if "debt_ids" in hist_cols else ("loan_id" if "loan_id" in hist_cols else None)
    return [
        f"""CREATE TABLE plan_raw AS SELECT * FROM (SELECT
            trim(id) AS id, {at} AS at_s, {_time(at)} AS at_utc,
            CASE WHEN {at} LIKE '%Z' THEN '+00:00' ELSE right({at}, 6) END AS off_s,
            trim(debtor_id) AS debtor_id, {_list("timezones")} AS zones, trim(channel) AS channel,
            coalesce({_col(plan_cols, "person_id")}, trim(debtor_id)) AS person_id,
            coalesce({_col(plan_cols, "role")}, 'debtor') AS role,
            {_list(_col(plan_cols, "debt_ids"))} AS debts,
            coalesce({_col(plan_cols, "purpose")}, 'collection') AS purpose,
            {_col(plan_cols, "number")} AS number,
            {_flag(plan_cols, "cease_requested", False)} AS cease,
            {_flag(plan_cols, "attorney_represented", False)} AS attorney,
            {_flag(plan_cols, "reachable", True)} AS reachable,
            {_list(_col(plan_cols, "opted_out_channels"))} AS opted
          FROM read_csv('{plan}', header=true, all_varchar=true))""",
        f"""CREATE TABLE hist_raw AS SELECT * FROM (SELECT
            trim({debtor}) AS debtor_id, {at} AS at_s, {_time(at)} AS at_utc, trim(channel) AS channel,
            trim(person_id) AS person_id, coalesce({_col(hist_cols, "role")}, 'debtor') AS role,
            {_list(_col(hist_cols, debts) if debts else "NULL")} AS debts, trim(outcome) AS outcome,
            coalesce({_col(hist_cols, "initiated_by")}, 'collector') AS initiated_by,
            {_col(hist_cols, "number")} AS number
          FROM read_csv('{history}', header=true, all_varchar=true))""",
        # rowid follows the file's order (insertion order is preserved); a window would be single-threaded.
        "CREATE VIEW plan AS SELECT rowid + 2 AS line, * FROM plan_raw",
        "CREATE VIEW hist AS SELECT rowid + 2 AS line, * FROM hist_raw",
    ]


def _values(pack: Pack) -> dict[str, dict[str, ParamValue]]:
    """Parameter values of every registered rule: the pack's where it has the rule, defaults elsewhere."""
    values = {rid: {p.name: p.default for p in r.params} for rid, r in RULES.items()}
    values.update({r.id: pack.values(r) for r in pack.rules})
    return values


def _rules(pack: Pack) -> list[tuple[str, str, str, str]]:
    """(rule id, condition, severity, until) for every active rule of ``pack``, in pack order."""
    v = _values(pack)
    next_day = "timezone(z0, CAST(d0 + 1 AS TIMESTAMP))"
    never = "NULL"
    table: dict[str, tuple[str, str, str]] = {
        "cn.quiet_hours": ("channel <> 'letter' AND quiet_closed", "'block'", "at_utc"),
        "cn.connected_calls_per_day": (
            f"channel = 'call' AND role = 'debtor' AND cn_connected >= {v['cn.connected_calls_per_day']['max_connected']}",
            "'block'",
            next_day,
        ),
        "cn.unanswered_per_number_per_day": (
            f"channel = 'call' AND number IS NOT NULL AND cn_unanswered >= {v['cn.unanswered_per_number_per_day']['max_unanswered']}",
            "'block'",
            next_day,
        ),
        "cn.debtor_only": (
            "purpose = 'collection' AND role NOT IN ('debtor', 'attorney')",
            "CASE WHEN role = 'related_third_party' THEN 'review' ELSE 'block' END",
            never,
        ),
        "cn.designated_contact": (
            "role IN ('designated_contact', 'related_third_party') AND reachable",
            "'block'",
            never,
        ),
        "cn.unrelated_third_party": ("role IN ('unrelated_third_party', 'employer')", "'block'", never),
        "cn.field_visit_recorded": ("channel = 'visit'", "'review'", never),
        "cn.field_visit_office": ("false", "'block'", never),
        "cn.social_apps": ("channel = 'social_media'", "'block'", never),
        "cn.message_text": ("false", "'block'", never),
        "us.quiet_hours": ("channel <> 'letter' AND quiet_closed", "'block'", "at_utc"),
        "us.inconvenient_time": ("false", "'block'", never),
        "us.call_frequency": (
            "channel = 'call' AND role <> 'attorney' AND freq_obj",
            "'block'",
            "timezone(z0, CAST(freq_free AS TIMESTAMP))",
        ),
        "us.conversation_cooldown": (
            "channel = 'call' AND role <> 'attorney' AND talk_obj",
            "'block'",
            "timezone(z0, CAST(talk_free AS TIMESTAMP))",
        ),
        "us.call_pattern": (
            f"channel = 'call' AND number IS NOT NULL AND (us_rapid_last IS NOT NULL OR us_perday >= {v['us.call_pattern']['per_number_day']} - 1)",
            "'review'",
            f"greatest(CASE WHEN us_rapid_last IS NOT NULL THEN us_rapid_last + INTERVAL {v['us.call_pattern']['rapid_minutes']} MINUTE ELSE at_utc END, "
            f"CASE WHEN us_perday >= {v['us.call_pattern']['per_number_day']} - 1 THEN {next_day} ELSE at_utc END)",
        ),
        "us.workplace": ("false", "'block'", never),
        "us.attorney_represented": ("attorney AND role = 'debtor'", "'block'", never),
        "us.cease_communication": ("cease AND role = 'debtor' AND purpose <> 'notice'", "'block'", never),
        "us.third_party": (f"role IN {THIRD} AND (purpose <> 'location_info' OR attorney)", "'block'", never),
        "us.location_once": (f"role IN {THIRD} AND purpose = 'location_info' AND us_loc_prior > 0", "'block'", never),
        "us.opted_out_medium": (
            "role = 'debtor' AND list_contains(opted, channel) AND purpose <> 'notice'",
            "'block'",
            never,
        ),
        "us.electronic_opt_out": ("false", "'block'", never),
        "us.social_media_private": ("channel = 'social_media'", "'review'", never),
        "us.disputed_debt": ("false", "'block'", never),
        "us.message_text": ("false", "'block'", never),
    }
    out = []
    for rule in pack.active():
        if rule.id not in table:
            raise ValueError(f"rule {rule.id} has no vectorised form")
        out.append((rule.id, *table[rule.id]))
    return out


HOUR_US = 3_600_000_000


def _in_hours(t: str, hours: tuple[int, int]) -> str:
    first, count = hours
    return f"(epoch_us({t}) >= {first * HOUR_US} AND epoch_us({t}) < {(first + count) * HOUR_US})"


def _local(t: str, o: str, hours: tuple[int, int]) -> str:
    """Wall-clock time of instant ``t`` in the zone of ``o``, the row of ``tzo`` joined for (zone, hour of t).

    The offset comes from the table when it is constant over that hour; otherwise (a transition inside the hour,
    or an instant outside the table's hours) DuckDB's ICU ``timezone()`` answers, so results are ICU's always.
    """
    return (
        f"CASE WHEN {o}.mixed = false AND {_in_hours(t, hours)} THEN make_timestamp(epoch_us({t}) + {o}.off) "
        f"ELSE timezone({o}.z, {t}) END"
    )


def _day(t: str, o: str, hours: tuple[int, int]) -> str:
    """The local date of instant ``t`` (as ``_local``) as a day number since 1970-01-01 (the hours start later)."""
    return (
        f"CASE WHEN {o}.mixed = false AND {_in_hours(t, hours)} THEN (epoch_us({t}) + {o}.off) // {24 * HOUR_US} "
        f"ELSE CAST(timezone({o}.z, {t}) AS DATE) - DATE '1970-01-01' END"
    )


def _tz_join(t: str, zid: str, o: str, hours: tuple[int, int]) -> str:
    # One dense integer key (zone id x hour, clamped to the table so the zone's name always comes along):
    # DuckDB looks it up in an array instead of hashing strings.
    first, count = hours
    hour = f"least(greatest(epoch_us({t}) // {HOUR_US} - {first}, 0), {count - 1})"
    return f"LEFT JOIN tzo {o} ON {o}.key = {zid} * {count} + {hour}"


def _open_at(local: str, start: int, end: int, inclusive: bool) -> str:
    us = f"(epoch_us({local}) - epoch_us(date_trunc('day', {local})))"
    upper = f"{us} <= {end * 60_000_000}" if inclusive else f"{us} < {end * 60_000_000}"
    return f"({us} >= {start * 60_000_000} AND {upper})"


def _next_opening_at(local: str, t: str, z: str, start: int) -> str:
    # Local wall time back to an instant stays with ICU: it decides skipped and repeated wall times.
    day = f"date_trunc('day', {local})"
    same = f"timezone({z}, {day} + INTERVAL {start} MINUTE)"
    return (
        f"CASE WHEN {same} > {t} THEN {same} ELSE timezone({z}, {day} + INTERVAL 1 DAY + INTERVAL {start} MINUTE) END"
    )


def _windows(pack: Pack) -> tuple[int, int, int, int]:
    """(frequency window days, call limit, cool-down days, rapid minutes) of ``pack``."""
    v = _values(pack)
    return (
        int(v["us.call_frequency"]["window_days"]),
        int(v["us.call_frequency"]["max_calls"]),
        int(v["us.conversation_cooldown"]["cooldown_days"]),
        int(v["us.call_pattern"]["rapid_minutes"]),
    )


def lookback_days(pack: Pack) -> int:
    """How many days before the earliest planned contact the pack's time-bound rules can look.

    The caps per day look at the contact's own local day, ``us.call_frequency`` and
    ``us.conversation_cooldown`` at ``window`` / ``cool-down`` local days including it, ``us.call_pattern``
    at ``rapid`` minutes too; one more day covers a daylight-saving shift before the start of that day.
    """
    active = {r.id for r in pack.active()}
    win, _, cd, rapid = _windows(pack)
    days = [1]
    if "us.call_frequency" in active:
        days.append(win)
    if "us.conversation_cooldown" in active:
        days.append(cd)
    if "us.call_pattern" in active:
        days.append(-(-rapid // (24 * 60)))
    return max(days) + 1


def ahead_days(pack: Pack) -> int:
    """How many days after the latest planned contact a ``next_allowed_at`` usually falls (the offset table's
    reach; a later instant is converted by ICU directly)."""
    win, _, cd, _ = _windows(pack)
    return max(win, cd) + 2


def offsets_sql(hours: tuple[int, int]) -> list[str]:
    """CREATE ``tzz`` (plan zones numbered from 0) and ``tzo``: each zone's UTC offset in each of ``hours``
    (first UTC hour since the epoch, count), and whether it changes inside that hour."""
    first, count = hours
    at = f"to_timestamp(b * {HOUR_US // 1_000_000})"
    end = f"({at} + INTERVAL {HOUR_US - 1} MICROSECOND)"
    return [
        """CREATE TABLE tzz AS SELECT z, CAST(row_number() OVER (ORDER BY z) - 1 AS BIGINT) AS zid
           FROM (SELECT DISTINCT unnest(zones) AS z FROM plan WHERE ok)""",
        f"""CREATE TABLE tzo AS SELECT zid * {count} + (b - {first}) AS key, z, o0 AS off, o0 <> o1 AS mixed FROM (
             SELECT zid, z, b, epoch_us(timezone(z, {at})) - epoch_us({at}) AS o0, epoch_us(timezone(z, {end})) - epoch_us({end}) AS o1
             FROM tzz, range({first}, {first + count}) r(b))""",
    ]


def decisions_sql(
    pack: Pack, recent: str, hours: tuple[int, int], locate: bool, multi_debt: bool
) -> tuple[list[str], str]:
    """Statements building the per-row facts, and the query deciding every plan row in plan order.

    ``recent`` is a subquery of the recent calls (``screen_list_load.recent_calls``); the ``plan`` view and the
    ``tzz`` and ``tzo`` tables (``offsets_sql`` for ``hours``) must exist, and with ``locate`` (some planned contact
    asks a third party for location information) ``hist_loc`` too. ``multi_debt``: some planned contact names
    more than one debt (the per-debt counts then need one group per debt). The query yields ``id, decision,
    rules, next_allowed_at``.
    """
    quiet = pack.values(next(r for r in pack.rules if r.id.endswith("quiet_hours")))
    if pack.name == "cn":
        start, end, inclusive = int(quiet["quiet_end"]), int(quiet["quiet_start"]), False
    else:
        start, end, inclusive = int(quiet["allowed_from"]), int(quiet["allowed_until"]), True
    win, lim, cd, rapid = _windows(pack)
    fh = hours
    rules = _rules(pack)
    conds = [f"({c})" for _, c, _, _ in rules]
    names = ", ".join(f"CASE WHEN {c} THEN '{rid}' END" for (rid, _, _, _), c in zip(rules, conds, strict=True))
    blocks = " OR ".join(f"({c} AND {s} = 'block')" for (_, _, s, _), c in zip(rules, conds, strict=True)) or "false"
    reviews = " OR ".join(conds) or "false"
    nevers = " OR ".join(f"({c} AND {u} IS NULL)" for (_, _, _, u), c in zip(rules, conds, strict=True)) or "false"
    hist_until = ", ".join(
        f"CASE WHEN {c} THEN {u} ELSE at_utc END" for (_, _, _, u), c in zip(rules, conds, strict=True) if u != "NULL"
    )
    if multi_debt:
        subs = "CASE WHEN len(debts) = 0 THEN [''] ELSE debts END"
        debt_cols, keys, first = f"unnest({subs}) AS debt, generate_subscripts({subs}, 1) AS k", "line, k", "k = 1 AND "
    else:
        debt_cols, keys, first = "coalesce(debts[1], '') AS debt", "line", ""
    # h_person = p_person and a shared debt (or none named on either side): the per-debt counts of 12 CFR 1006.14.
    # h_debts is the attempt's raw ';'-separated text: the debt is one of its parts, or it names none.
    mine = (
        "h_person = p_person AND (debt = '' OR h_no_debts OR h_debts = debt OR starts_with(h_debts, debt_head) "
        "OR ends_with(h_debts, debt_tail) OR contains(h_debts, debt_w))"
    )

    def over_debts(fn: str, expr: str) -> str:
        # With one debt per plan row, f has one row per plan row already: the value is its own aggregate.
        return f"{fn}({expr})" if multi_debt else expr

    active = {r.id for r in pack.active()}
    window = f"counted AND hday >= d0i - {win - 1} AND {mine}"
    # (rule, fact as an aggregate, the fact's value when the pack does not have the rule)
    fact_table = [
        (
            "cn.connected_calls_per_day",
            f"count_if({first}coll_conv AND hday = d0i AND h_person = h_debtor)",
            "0",
            "cn_connected",
        ),
        (
            "cn.unanswered_per_number_per_day",
            f"count_if({first}coll_other AND hday = d0i AND h_number = p_number)",
            "0",
            "cn_unanswered",
        ),
        (
            "us.call_pattern",
            f"max(CASE WHEN {first}coll_unans AND h_at > p_at - INTERVAL {rapid} MINUTE AND h_number = p_number THEN h_at END)",
            "CAST(NULL AS TIMESTAMPTZ)",
            "us_rapid_last",
        ),
        ("us.call_pattern", f"count_if({first}coll AND hday = d0i AND h_number = p_number)", "0", "us_perday"),
        ("us.call_frequency", f"count_if({window})", "0", "fcount"),
        ("us.call_frequency", f"max(hday, {lim}) FILTER (WHERE {window})", "CAST(NULL AS BIGINT[])", "ftop"),
        ("us.conversation_cooldown", f"max(CASE WHEN conv AND {mine} THEN hday END)", "CAST(NULL AS BIGINT)", "talk"),
    ]
    facts = [f"{agg if rule in active else absent} AS {name}" for rule, agg, absent, name in fact_table]
    talked = f"talk IS NOT NULL AND d0i <= talk + {cd - 1}"
    freq_day = f"DATE '1970-01-01' + CAST(ftop[{lim}] + {win} AS INTEGER)"
    talk_day = f"DATE '1970-01-01' + CAST(talk + {cd} AS INTEGER)"
    per_line = [
        f"{over_debts('sum', 'cn_connected')} AS cn_connected",
        f"{over_debts('sum', 'cn_unanswered')} AS cn_unanswered",
        f"{over_debts('max', 'us_rapid_last')} AS us_rapid_last",
        f"{over_debts('sum', 'us_perday')} AS us_perday",
        f"{over_debts('bool_or', f'fcount >= {lim}')} AS freq_obj",
        f"{over_debts('max', f'CASE WHEN fcount >= {lim} THEN {freq_day} END')} AS freq_free",
        f"{over_debts('bool_or', talked)} AS talk_obj",
        f"{over_debts('max', f'CASE WHEN {talked} THEN {talk_day} END')} AS talk_free",
    ]
    statements = [
        f"""CREATE TABLE p AS SELECT pl.line, pl.id, pl.at_utc, pl.off_s, pl.debtor_id, pl.zones, pl.channel, pl.person_id,
             pl.role, pl.debts, pl.purpose, pl.number, pl.cease, pl.attorney, pl.reachable, pl.opted,
             pl.zones[1] AS z0, zz.zid AS z0id, CAST({_local("pl.at_utc", "o", fh)} AS DATE) AS d0,
             CASE WHEN pl.off_s LIKE '-%' THEN -1 ELSE 1 END * (CAST(substr(pl.off_s, 2, 2) AS INTEGER) * 60 + CAST(substr(pl.off_s, 5, 2) AS INTEGER)) AS off_min
           FROM plan pl LEFT JOIN tzz zz ON zz.z = pl.zones[1] {_tz_join("pl.at_utc", "zz.zid", "o", fh)}""",
        "CREATE TABLE pz AS SELECT pz.line, pz.z, zz.zid FROM (SELECT line, unnest(zones) AS z FROM p) pz JOIN tzz zz USING (z)",
        # One pass over (planned call, debt) x the debtor's recent calls; the per-row counts ride on the first
        # debt. Every rule that reads these facts is about calls, so other planned contacts stay out.
        # The history's outcome tests are flags computed once per attempt (screen_list_load.recent_calls).
        f"""CREATE TABLE f AS
         WITH pd AS (SELECT *, debt || ';' AS debt_head, ';' || debt AS debt_tail, ';' || debt || ';' AS debt_w FROM (
                       SELECT line, debtor_id AS p_debtor, z0id, d0 - DATE '1970-01-01' AS d0i, person_id AS p_person,
                         number AS p_number, at_utc AS p_at, {debt_cols} FROM p WHERE channel = 'call')),
         jh AS (SELECT pd.*, h.debtor_id AS h_debtor, h.at_utc AS h_at, h.person_id AS h_person, h.debts AS h_debts,
                       h.no_debts AS h_no_debts, h.number AS h_number,
                       h.conv, h.coll_conv, h.coll_other, h.coll_unans, h.coll, h.counted,
                       {_day("h.at_utc", "o", fh)} AS hday
                FROM {recent} h JOIN pd ON h.debtor_id = pd.p_debtor AND h.at_utc <= pd.p_at
                {_tz_join("h.at_utc", "pd.z0id", "o", fh)})
         SELECT {keys}, any_value(d0i) AS d0i, {", ".join(facts)}
         FROM jh GROUP BY {keys}""",
        f"""CREATE TABLE dd AS SELECT line, {", ".join(per_line)} FROM f{" GROUP BY line" if multi_debt else ""}""",
        f"""CREATE TABLE loc AS SELECT p.line, count(*) AS us_loc_prior
         FROM hist_loc h JOIN (SELECT * FROM p WHERE role IN {THIRD} AND purpose = 'location_info') p
           ON h.debtor_id = p.debtor_id AND h.person_id = p.person_id AND h.at_utc <= p.at_utc
         GROUP BY p.line"""
        if locate
        else "CREATE TABLE loc AS SELECT 0 AS line, 0 AS us_loc_prior WHERE false",
        f"""CREATE TABLE qa AS SELECT pz.line, bool_or(NOT {_open_at(_local("p.at_utc", "o", fh), start, end, inclusive)}) AS quiet_closed
         FROM pz JOIN p USING (line) {_tz_join("p.at_utc", "pz.zid", "o", fh)} GROUP BY pz.line""",
        f"""CREATE TABLE d AS SELECT line, id, at_utc, off_s, off_min, channel, quiet_closed,
           concat_ws(';', {names}) AS rules,
           CASE WHEN {blocks} THEN 'block' WHEN {reviews} THEN 'review' ELSE 'allow' END AS decision,
           {nevers} AS never,
           greatest(at_utc{", " + hist_until if hist_until else ""}) AS t_hist
         FROM (SELECT p.*, coalesce(dd.cn_connected, 0) AS cn_connected, coalesce(dd.cn_unanswered, 0) AS cn_unanswered,
                 dd.us_rapid_last, coalesce(dd.us_perday, 0) AS us_perday, coalesce(loc.us_loc_prior, 0) AS us_loc_prior,
                 coalesce(dd.freq_obj, false) AS freq_obj, dd.freq_free, coalesce(dd.talk_obj, false) AS talk_obj, dd.talk_free,
                 qa.quiet_closed
               FROM p LEFT JOIN dd USING (line) LEFT JOIN loc USING (line) LEFT JOIN qa USING (line))""",
    ]
    # next_allowed_at: from the history-bound instant, step to the next opening of every zone's allowed hours
    # until all are open at once. Rows leave the iteration as soon as they settle; QUIET_STEPS bounds it.
    # A contact that history does not hold back, planned inside every zone's allowed hours, is settled already.
    settled_at_once = "(t_hist = at_utc AND NOT coalesce(quiet_closed, true))"
    steps = [
        f"q0 AS (SELECT line, t_hist AS t FROM d WHERE NOT never AND channel <> 'letter' AND NOT {settled_at_once})"
    ]
    for k in range(1, QUIET_STEPS + 1):
        local = _local("q.t", "o", fh)
        is_open = _open_at(local, start, end, inclusive)
        source = "q0" if k == 1 else f"(SELECT line, t FROM q{k - 1} WHERE NOT done)"
        steps.append(
            f"""q{k} AS (SELECT q.line, any_value(q.t) AS t_prev,
                 coalesce(max(CASE WHEN NOT {is_open} THEN {_next_opening_at(local, "q.t", "pz.z", start)} END), any_value(q.t)) AS t,
                 bool_and({is_open}) AS done
               FROM pz JOIN {source} q USING (line) {_tz_join("q.t", "pz.zid", "o", fh)} GROUP BY q.line)"""
        )
    settled = " UNION ALL ".join(
        f"SELECT line, t_prev AS t, {'done' if k == QUIET_STEPS else 'true'} AS done FROM q{k}"
        + ("" if k == QUIET_STEPS else " WHERE done")
        for k in range(1, QUIET_STEPS + 1)
    )
    query = f"""
WITH {", ".join(steps)},
qs AS ({settled}),
fin AS (SELECT d.*, CASE WHEN d.never THEN NULL WHEN d.channel = 'letter' THEN d.t_hist
                         WHEN {settled_at_once} THEN d.at_utc ELSE qs.t END AS next_utc,
          coalesce(qs.done, true) AS converged
        FROM d LEFT JOIN qs USING (line))
SELECT id, decision, rules,
  CASE WHEN NOT converged THEN 'ERROR' WHEN next_utc IS NULL THEN NULL
       ELSE strftime(timezone('UTC', next_utc) + to_minutes(off_min), '%Y-%m-%dT%H:%M:%S') || off_s END AS next_allowed_at
FROM fin ORDER BY line
"""
    return statements, query
