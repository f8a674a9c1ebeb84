"""screen-list around daylight-saving transitions: the same answers as the single-decision engine.

screen-list converts instants to wall-clock time with a table of UTC offsets per zone and hour, and falls back
to ICU for an hour in which the offset changes. These worlds put planned contacts and history inside and around
transition hours: whole-hour ones (New York, London), a half-hour shift at a half-hour UTC instant
(Lord Howe), a transition at local midnight that repeats or skips the day's first hour (Santiago), and a
quarter-hour offset without DST (Kathmandu).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lendguard.collections.policy.engine import decide
from lendguard.collections.policy.packs import get_pack
from lendguard.collections.policy.parse import parse_scenario
from lendguard.collections.screen_list import screen_list
from lendguard.collections.screen_list_sql import _in_hours, _local, _tz_join, offsets_sql
from tests.collections.test_screen_list import (
    HIST_COLS,
    PLAN_COLS,
    assert_screen_list_equals_the_engine,
    scenario_of,
    write,
)

# (zone, a transition instant of 2026 in UTC)
TRANSITIONS = [
    ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),  # 02:00 EST -> 03:00 EDT
    ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)),  # 02:00 EDT -> 01:00 EST
    ("Europe/London", datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, tzinfo=UTC)),  # 02:00 +11 -> 01:30 +10:30
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),  # 02:00 +10:30 -> 02:30 +11
    ("America/Santiago", datetime(2026, 4, 5, 3, tzinfo=UTC)),  # 24:00 -03 -> 23:00 -04
    ("America/Santiago", datetime(2026, 9, 6, 4, tzinfo=UTC)),  # 24:00 -04 -> 01:00 -03
    ("Asia/Kathmandu", datetime(2026, 3, 8, 7, tzinfo=UTC)),
]
OTHER_ZONES = ["America/Chicago", "Asia/Shanghai", "Australia/Lord_Howe", "America/Santiago"]
OFFSETS = ["+00:00", "-04:00", "+10:30", "-03:00"]


def iso(at: datetime, offset: str) -> str:
    sign = -1 if offset[0] == "-" else 1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])) * sign
    return (at + delta).replace(tzinfo=None).isoformat() + offset


@st.composite
def near(draw: Any, t: datetime, before_min: int, after_min: int) -> datetime:
    """An instant around ``t``: often within two hours of it (inside the transition hour), else days away."""
    close = draw(st.booleans())
    span = (-120, 120) if close else (-before_min, after_min)
    return t + timedelta(minutes=draw(st.integers(*span)), seconds=draw(st.sampled_from([0, 0, 30])))


@st.composite
def dst_worlds(draw: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    zone, t = draw(st.sampled_from(TRANSITIONS))
    zones = [zone, *draw(st.lists(st.sampled_from(OTHER_ZONES), max_size=1))]
    zones = list(dict.fromkeys(zones))
    history = []
    for _ in range(draw(st.integers(0, 14))):
        at = draw(near(t, 4 * 24 * 60, 24 * 60))
        history.append(
            {
                "debtor_id": "B1",
                "at": iso(at, draw(st.sampled_from(OFFSETS))),
                "channel": "call",
                "person_id": "B1",
                "role": "debtor",
                "debt_ids": "D1",
                "outcome": draw(st.sampled_from(["conversation", "no_answer", "no_answer", "voicemail", "busy"])),
                "initiated_by": "collector",
                "number": draw(st.sampled_from(["n1", "n2"])),
                "agency_id": "",
            }
        )
    plans = []
    for i in range(draw(st.integers(1, 5))):
        at = draw(near(t, 0, 2 * 24 * 60))
        plans.append(
            {
                "id": f"p{i}",
                "at": iso(at, draw(st.sampled_from(OFFSETS))),
                "debtor_id": "B1",
                "timezones": ";".join(zones),
                "channel": draw(st.sampled_from(["call", "call", "sms", "letter"])),
                "person_id": "B1",
                "role": "debtor",
                "debt_ids": "D1",
                "purpose": "collection",
                "number": draw(st.sampled_from(["n1", "n2"])),
                "cease_requested": "",
                "attorney_represented": "",
                "reachable": "",
                "opted_out_channels": "",
            }
        )
    return plans, history


@pytest.mark.parametrize("pack_name", ["cn", "us-regf"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=dst_worlds())
def test_screen_list_equals_the_engine_around_dst_transitions(pack_name: str, world: Any, tmp_path: Path) -> None:
    assert_screen_list_equals_the_engine(pack_name, world, tmp_path)


def test_a_plan_inside_the_skipped_hour_is_decided_in_the_zones_new_offset(tmp_path: Path) -> None:
    """New York, 8 March 2026: 02:00-03:00 does not exist; 07:30Z is 03:30 EDT, in both packs' quiet hours,
    and the three conversations at 01:20-01:50 EST fall on the same local day (cn's cap, us-regf's cool-down)."""
    at = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    plan = {
        "id": "p0",
        "at": iso(at, "+00:00"),
        "debtor_id": "B1",
        "timezones": "America/New_York",
        "channel": "call",
        "person_id": "B1",
        "role": "debtor",
        "debt_ids": "D1",
        "purpose": "collection",
        "number": "n1",
        "cease_requested": "",
        "attorney_represented": "",
        "reachable": "",
        "opted_out_channels": "",
    }
    history = [
        {
            "debtor_id": "B1",
            "at": iso(at - timedelta(minutes=40 + 10 * i), "+00:00"),  # 06:20-06:50Z: 01:20-01:50 EST
            "channel": "call",
            "person_id": "B1",
            "role": "debtor",
            "debt_ids": "D1",
            "outcome": "conversation",
            "initiated_by": "collector",
            "number": "n1",
            "agency_id": "",
        }
        for i in range(3)
    ]
    write(tmp_path / "plan.csv", PLAN_COLS, [plan])
    write(tmp_path / "hist.csv", HIST_COLS, history)
    for pack_name, cap in (("cn", "cn.connected_calls_per_day"), ("us-regf", "us.conversation_cooldown")):
        pack = get_pack(pack_name)
        screen_list(pack, tmp_path / "plan.csv", tmp_path / "hist.csv", tmp_path / "out.csv")
        with (tmp_path / "out.csv").open(encoding="utf-8") as f:
            (row,) = list(csv.DictReader(f))
        expected = decide(parse_scenario(scenario_of(plan, history)), pack).as_dict()
        rules = list(dict.fromkeys(v["rule"] for v in cast(list[dict[str, str]], expected["violations"])))
        assert row["decision"] == expected["decision"] == "block"
        assert row["rules"].split(";") == rules
        assert row["next_allowed_at"] == expected["next_allowed_at"]
        assert pack_name[:2] + ".quiet_hours" in rules and cap in rules


def test_the_offset_table_gives_icus_wall_clock_time_around_every_transition() -> None:
    """Every 7 minutes for two days around each transition (and outside the table's hours): the hour table's
    wall-clock time equals ICU's, including the hour in which Lord Howe's offset changes at half past."""
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    zones = sorted({z for z, _ in TRANSITIONS})
    con.execute("CREATE TABLE plan AS SELECT unnest(?) AS z", [zones])
    con.execute("CREATE OR REPLACE TABLE plan AS SELECT [z] AS zones, true AS ok FROM plan")
    first = int(min(t for _, t in TRANSITIONS).timestamp()) // 3600 - 30
    hours = (first, int(max(t for _, t in TRANSITIONS).timestamp()) // 3600 + 30 - first - 40)  # last one outside
    for statement in offsets_sql(hours):
        con.execute(statement)
    instants = [t + timedelta(minutes=m) for _, t in TRANSITIONS for m in range(-24 * 60, 24 * 60, 7)]
    con.execute(
        "CREATE TABLE ts AS SELECT unnest(?) AS t, unnest(?) AS z",
        [instants, [z for z, _ in TRANSITIONS for _ in range(-24 * 60, 24 * 60, 7)]],
    )
    rows = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE {_local("ts.t", "o", hours)} <> timezone(ts.z, ts.t)),
                   count(*) FILTER (WHERE o.mixed), count(*) FILTER (WHERE NOT {_in_hours("ts.t", hours)})
            FROM ts JOIN tzz zz USING (z) {_tz_join("ts.t", "zz.zid", "o", hours)}"""
    ).fetchone()
    assert rows is not None
    total, wrong, mixed, outside = rows
    assert total == len(instants) and wrong == 0
    assert mixed > 0 and outside > 0  # both fallbacks to ICU were exercised
