"""The abuse and resale detection job: query-log statistics in SQL on the shared analytics backend.

The SQL stays in the dialect DuckDB and Spark share (``lendguard.analytics.backend``); DuckDB is the
default engine. Inputs are three tables — ``q`` (queries), ``a`` (applications), ``k`` (contract
terms) — built from the bureau's database or from a synthetic world's CSV files; the rules that turn
the statistics into alerts are pure (``gateway.abuse_model``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from lendguard.analytics.backend import Backend, DuckDBBackend
from lendguard.gateway.abuse_model import ClientStats

FOLLOWUP_BEFORE_S = 7 * 86400  # an application up to a week before the query still counts
FOLLOWUP_AFTER_S = 30 * 86400  # ... and up to 30 days after it
CROWD_WINDOW_S = 86400
CROWD_OTHER_CLIENTS = 2  # "many clients": this client and at least two others
NIGHT_END_HOUR = 6

SQL_TOTALS = """
SELECT client_ref, COUNT(*) AS queries, COUNT(DISTINCT borrower_ref) AS borrowers,
       SUM(CASE WHEN local_hour < {night} THEN 1 ELSE 0 END) AS night
FROM q GROUP BY client_ref ORDER BY client_ref
"""

SQL_FOLLOWUP = """
SELECT q.client_ref, COUNT(*) AS assessments,
       SUM(CASE WHEN m.query_id IS NULL THEN 1 ELSE 0 END) AS unmatched
FROM q LEFT JOIN (
    SELECT DISTINCT q2.query_id FROM q q2 JOIN a
      ON a.client_ref = q2.client_ref AND a.borrower_ref = q2.borrower_ref
     AND a.at >= q2.at - {before} AND a.at <= q2.at + {after}
) m ON m.query_id = q.query_id
WHERE q.purpose = 'credit_assessment'
GROUP BY q.client_ref ORDER BY q.client_ref
"""

SQL_DAILY = """
SELECT client_ref, day, COUNT(*) AS n FROM q GROUP BY client_ref, day ORDER BY client_ref, day
"""

SQL_CROWDED = """
SELECT client_ref, COUNT(DISTINCT borrower_ref) AS crowded FROM (
    SELECT q1.query_id, q1.client_ref, q1.borrower_ref, COUNT(DISTINCT q2.client_ref) AS others
    FROM q q1 JOIN q q2
      ON q2.borrower_ref = q1.borrower_ref AND q2.client_ref <> q1.client_ref
     AND q2.at >= q1.at - {window} AND q2.at <= q1.at + {window}
    GROUP BY q1.query_id, q1.client_ref, q1.borrower_ref
) p WHERE others >= {others} GROUP BY client_ref ORDER BY client_ref
"""

SQL_OFF_CONTRACT = """
SELECT q.client_ref,
       SUM(CASE WHEN kp.value IS NULL THEN 1 ELSE 0 END) AS off_purpose,
       SUM(CASE WHEN kc.value IS NULL THEN 1 ELSE 0 END) AS off_channel
FROM q
LEFT JOIN k kp ON kp.client_ref = q.client_ref AND kp.kind = 'purpose' AND kp.value = q.purpose
LEFT JOIN k kc ON kc.client_ref = q.client_ref AND kc.kind = 'channel' AND kc.value = q.channel
GROUP BY q.client_ref ORDER BY q.client_ref
"""

SQL_SHARED_AUTH = """
SELECT q.client_ref, COUNT(DISTINCT q.authorisation_ref) AS auths, COUNT(*) AS queries
FROM q JOIN (
    SELECT authorisation_ref FROM q WHERE authorisation_ref IS NOT NULL AND authorisation_ref <> ''
    GROUP BY authorisation_ref
    HAVING COUNT(DISTINCT borrower_ref) > 1 OR COUNT(DISTINCT client_ref) > 1
) s ON s.authorisation_ref = q.authorisation_ref
GROUP BY q.client_ref ORDER BY q.client_ref
"""

SQL_NIGHT_BURST = """
SELECT client_ref, MAX(n) AS burst FROM (
    SELECT client_ref, day, local_hour, COUNT(*) AS n FROM q WHERE local_hour < {night}
    GROUP BY client_ref, day, local_hour
) h GROUP BY client_ref ORDER BY client_ref
"""


def query_table(rows: Iterable[Mapping[str, Any]], tz: str) -> pa.Table:
    """The ``q`` table: ``at`` as epoch seconds, the local day and hour precomputed (no engine time functions)."""
    zone = ZoneInfo(tz)
    cols: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        at: datetime = r["at"]
        local = at.astimezone(zone)
        cols["query_id"].append(str(r["query_id"]))
        cols["client_ref"].append(str(r["client_ref"]))
        cols["borrower_ref"].append(str(r["borrower_ref"]))
        cols["at"].append(int(at.timestamp()))
        cols["day"].append(local.toordinal())
        cols["local_hour"].append(local.hour)
        cols["purpose"].append(str(r["purpose"]))
        cols["channel"].append(str(r["channel"]))
        cols["authorisation_ref"].append(r.get("authorisation_ref") or None)
    schema = pa.schema(
        [
            ("query_id", pa.string()),
            ("client_ref", pa.string()),
            ("borrower_ref", pa.string()),
            ("at", pa.int64()),
            ("day", pa.int64()),
            ("local_hour", pa.int64()),
            ("purpose", pa.string()),
            ("channel", pa.string()),
            ("authorisation_ref", pa.string()),
        ]
    )
    return pa.table({name: cols.get(name, []) for name in schema.names}, schema=schema)


def application_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    data = [(str(r["client_ref"]), str(r["borrower_ref"]), int(r["at"].timestamp())) for r in rows]
    return pa.table(
        {"client_ref": [d[0] for d in data], "borrower_ref": [d[1] for d in data], "at": [d[2] for d in data]},
        schema=pa.schema([("client_ref", pa.string()), ("borrower_ref", pa.string()), ("at", pa.int64())]),
    )


def contract_table(contracts: Mapping[str, tuple[Iterable[str], Iterable[str]]]) -> pa.Table:
    """``k``: one row per (client, 'purpose'|'channel', value) the contract names."""
    rows = [(c, "purpose", p) for c, (ps, _) in contracts.items() for p in ps]
    rows += [(c, "channel", ch) for c, (_, chs) in contracts.items() for ch in chs]
    return pa.table(
        {"client_ref": [r[0] for r in rows], "kind": [r[1] for r in rows], "value": [r[2] for r in rows]},
        schema=pa.schema([("client_ref", pa.string()), ("kind", pa.string()), ("value", pa.string())]),
    )


def client_stats(backend: Backend, q: pa.Table, a: pa.Table, k: pa.Table) -> list[ClientStats]:
    """Load the three tables and measure every client with the job's SQL."""
    backend.load("q", q)
    backend.load("a", a)
    backend.load("k", k)
    totals = {r[0]: r[1:] for r in backend.rows(SQL_TOTALS.format(night=NIGHT_END_HOUR))}
    follow = {r[0]: r[1:] for r in backend.rows(SQL_FOLLOWUP.format(before=FOLLOWUP_BEFORE_S, after=FOLLOWUP_AFTER_S))}
    daily: dict[str, list[int]] = defaultdict(list)
    for client, _, n in backend.rows(SQL_DAILY):
        daily[client].append(int(n))
    crowded = dict(backend.rows(SQL_CROWDED.format(window=CROWD_WINDOW_S, others=CROWD_OTHER_CLIENTS)))
    off = {r[0]: r[1:] for r in backend.rows(SQL_OFF_CONTRACT)}
    shared = {r[0]: r[1:] for r in backend.rows(SQL_SHARED_AUTH)}
    burst = dict(backend.rows(SQL_NIGHT_BURST.format(night=NIGHT_END_HOUR)))
    out = []
    for client, (queries, borrowers, night) in sorted(totals.items()):
        assessments, unmatched = follow.get(client, (0, 0))
        off_p, off_c = off.get(client, (0, 0))
        auths, auth_q = shared.get(client, (0, 0))
        out.append(
            ClientStats(
                client_ref=client,
                queries=int(queries),
                borrowers=int(borrowers),
                assessment_queries=int(assessments),
                unmatched_assessment=int(unmatched or 0),
                daily_counts=tuple(daily[client]),
                crowded_borrowers=int(crowded.get(client, 0)),
                off_purpose=int(off_p or 0),
                off_channel=int(off_c or 0),
                shared_authorisations=int(auths),
                shared_auth_queries=int(auth_q),
                night_queries=int(night or 0),
                night_max_hour_burst=int(burst.get(client, 0) or 0),
            )
        )
    return out


def run(q: pa.Table, a: pa.Table, k: pa.Table, backend: Backend | None = None) -> list[ClientStats]:
    """Run the job on ``backend`` (a fresh in-memory DuckDB by default)."""
    if backend is not None:
        return client_stats(backend, q, a, k)
    with DuckDBBackend() as duck:
        return client_stats(duck, q, a, k)
