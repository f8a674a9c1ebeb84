# ruff: noqa: E501  (SQL text reads better unwrapped)
"""SQL of ``screen-list``: loading the CSV files and deciding every planned contact in one statement.

Each rule of the packs is written here as a condition, a severity and the instant it stops objecting
(``NULL``: never), mirroring ``policy/cn.py`` and ``policy/us_regf.py`` for the facts a CSV row carries.
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
    """Statements creating the ``plan`` and ``hist`` tables from the CSV files (all columns read as text)."""
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


def _open(t: str, z: str, start: int, end: int, inclusive: bool) -> str:
    local = f"timezone({z}, {t})"
    us = f"(epoch_us({local}) - epoch_us(date_trunc('day', {local})))"
    upper = f"{us} <= {end * 60_000_000}" if inclusive else f"{us} < {end * 60_000_000}"
    return f"({us} >= {start * 60_000_000} AND {upper})"


def _next_opening(t: str, z: str, start: int) -> str:
    day = f"date_trunc('day', timezone({z}, {t}))"
    same = f"timezone({z}, {day} + INTERVAL {start} MINUTE)"
    return (
        f"CASE WHEN {same} > {t} THEN {same} ELSE timezone({z}, {day} + INTERVAL 1 DAY + INTERVAL {start} MINUTE) END"
    )


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


def decisions_sql(pack: Pack) -> str:
    """One query deciding every plan row: ``id, decision, rules, next_allowed_at`` in plan order."""
    quiet = pack.values(next(r for r in pack.rules if r.id.endswith("quiet_hours")))
    if pack.name == "cn":
        start, end, inclusive = int(quiet["quiet_end"]), int(quiet["quiet_start"]), False
    else:
        start, end, inclusive = int(quiet["allowed_from"]), int(quiet["allowed_until"]), True
    v = _values(pack)
    win, lim = int(v["us.call_frequency"]["window_days"]), int(v["us.call_frequency"]["max_calls"])
    cd, rapid = int(v["us.conversation_cooldown"]["cooldown_days"]), int(v["us.call_pattern"]["rapid_minutes"])
    rules = _rules(pack)
    conds = [f"({c})" for _, c, _, _ in rules]
    names = ", ".join(f"CASE WHEN {c} THEN '{rid}' END" for (rid, _, _, _), c in zip(rules, conds, strict=True))
    blocks = " OR ".join(f"({c} AND {s} = 'block')" for (_, _, s, _), c in zip(rules, conds, strict=True)) or "false"
    reviews = " OR ".join(conds) or "false"
    nevers = " OR ".join(f"({c} AND {u} IS NULL)" for (_, _, _, u), c in zip(rules, conds, strict=True)) or "false"
    hist_until = ", ".join(
        f"CASE WHEN {c} THEN {u} ELSE at_utc END" for (_, _, _, u), c in zip(rules, conds, strict=True) if u != "NULL"
    )
    steps = []
    prev = "q0"
    for k in range(1, QUIET_STEPS + 1):
        steps.append(
            f"""q{k} AS (SELECT q.line, any_value(q.t) AS t_prev,
                 coalesce(max(CASE WHEN NOT {_open("q.t", "pz.z", start, end, inclusive)} THEN {_next_opening("q.t", "pz.z", start)} END), any_value(q.t)) AS t,
                 bool_and({_open("q.t", "pz.z", start, end, inclusive)}) AS done
               FROM {prev} q JOIN pz USING (line) GROUP BY q.line)"""
        )
        prev = f"q{k}"
    return f"""
WITH p AS (SELECT *, zones[1] AS z0, CAST(timezone(zones[1], at_utc) AS DATE) AS d0,
             CASE WHEN off_s LIKE '-%' THEN -1 ELSE 1 END * (CAST(substr(off_s, 2, 2) AS INTEGER) * 60 + CAST(substr(off_s, 5, 2) AS INTEGER)) AS off_min
           FROM plan),
pz AS (SELECT line, unnest(zones) AS z FROM p),
z0s AS (SELECT DISTINCT debtor_id, z0 FROM p),
h AS (SELECT h.*, z.z0, CAST(timezone(z.z0, h.at_utc) AS DATE) AS hday FROM hist h JOIN z0s z USING (debtor_id)
      -- every time-bound rule looks back at most max(window, cool-down) local days; 2 more cover any zone offset
      WHERE h.at_utc >= (SELECT min(at_utc) FROM plan) - INTERVAL {max(win, cd) + 2} DAY),
loc AS (SELECT p.line, count(*) AS us_loc_prior
        FROM p JOIN hist h ON h.debtor_id = p.debtor_id AND h.person_id = p.person_id AND h.at_utc < p.at_utc
        WHERE p.role IN {THIRD} AND p.purpose = 'location_info' AND h.initiated_by = 'collector' AND h.outcome IN {COMMUNICATED}
        GROUP BY p.line),
j AS (SELECT p.line, p.d0, p.person_id AS p_person, p.debtor_id AS p_debtor, p.number AS p_number, p.at_utc AS p_at,
             h.hday, h.at_utc AS h_at, h.channel AS h_channel, h.person_id AS h_person, h.role AS h_role, h.debts AS h_debts,
             h.outcome, h.initiated_by, h.number AS h_number
      FROM p JOIN h ON h.debtor_id = p.debtor_id AND h.z0 = p.z0 AND h.at_utc < p.at_utc),
agg AS (SELECT line,
   count(*) FILTER (WHERE h_channel = 'call' AND outcome = 'conversation' AND initiated_by = 'collector' AND h_person = p_debtor AND hday = d0) AS cn_connected,
   count(*) FILTER (WHERE h_channel = 'call' AND h_number = p_number AND initiated_by = 'collector' AND outcome <> 'conversation' AND hday = d0) AS cn_unanswered,
   max(h_at) FILTER (WHERE h_channel = 'call' AND h_number = p_number AND initiated_by = 'collector' AND outcome IN {UNANSWERED} AND h_at > p_at - INTERVAL {rapid} MINUTE) AS us_rapid_last,
   count(*) FILTER (WHERE h_channel = 'call' AND h_number = p_number AND initiated_by = 'collector' AND hday = d0) AS us_perday
  FROM j GROUP BY line),
pd AS (SELECT line, unnest(CASE WHEN len(debts) = 0 THEN [''] ELSE debts END) AS debt FROM p),
dagg AS (SELECT pd.line, pd.debt, any_value(j.d0) AS d0,
   list(j.hday) FILTER (WHERE j.initiated_by = 'collector' AND j.outcome NOT IN {UNCONNECTED} AND j.h_role <> 'attorney' AND j.hday >= j.d0 - {win - 1}) AS fdays,
   max(j.hday) FILTER (WHERE j.outcome = 'conversation') AS talk
  FROM j JOIN pd USING (line)
  WHERE j.h_channel = 'call' AND j.h_person = j.p_person AND (pd.debt = '' OR len(j.h_debts) = 0 OR list_contains(j.h_debts, pd.debt))
  GROUP BY pd.line, pd.debt),
dd AS (SELECT line,
   bool_or(coalesce(len(fdays), 0) >= {lim}) AS freq_obj,
   max(CASE WHEN coalesce(len(fdays), 0) >= {lim} THEN list_sort(fdays)[len(fdays) - {lim} + 1] + {win} END) AS freq_free,
   bool_or(talk IS NOT NULL AND d0 <= talk + {cd - 1}) AS talk_obj,
   max(CASE WHEN talk IS NOT NULL AND d0 <= talk + {cd - 1} THEN talk + {cd} END) AS talk_free
  FROM dagg GROUP BY line),
qa AS (SELECT line, bool_or(NOT {_open("p.at_utc", "pz.z", start, end, inclusive)}) AS quiet_closed FROM p JOIN pz USING (line) GROUP BY line),
r AS (SELECT p.*, coalesce(agg.cn_connected, 0) AS cn_connected, coalesce(agg.cn_unanswered, 0) AS cn_unanswered,
        agg.us_rapid_last, coalesce(agg.us_perday, 0) AS us_perday, coalesce(loc.us_loc_prior, 0) AS us_loc_prior,
        coalesce(dd.freq_obj, false) AS freq_obj, dd.freq_free, coalesce(dd.talk_obj, false) AS talk_obj, dd.talk_free, qa.quiet_closed
      FROM p LEFT JOIN agg USING (line) LEFT JOIN loc USING (line) LEFT JOIN dd USING (line) LEFT JOIN qa USING (line)),
d AS (SELECT line, id, at_utc, off_s, off_min, channel,
        concat_ws(';', {names}) AS rules,
        CASE WHEN {blocks} THEN 'block' WHEN {reviews} THEN 'review' ELSE 'allow' END AS decision,
        {nevers} AS never,
        greatest(at_utc{", " + hist_until if hist_until else ""}) AS t_hist
      FROM r),
q0 AS (SELECT line, t_hist AS t FROM d WHERE NOT never AND channel <> 'letter'),
{", ".join(steps)},
fin AS (SELECT d.*, CASE WHEN d.never THEN NULL WHEN d.channel = 'letter' THEN d.t_hist ELSE q.t_prev END AS next_utc,
          coalesce(q.done, true) AS converged
        FROM d LEFT JOIN q{QUIET_STEPS} q USING (line))
SELECT id, decision, rules,
  CASE WHEN NOT converged THEN 'ERROR' WHEN next_utc IS NULL THEN NULL
       ELSE strftime(timezone('UTC', next_utc) + to_minutes(off_min), '%Y-%m-%dT%H:%M:%S') || off_s END AS next_allowed_at
FROM fin ORDER BY line
"""
