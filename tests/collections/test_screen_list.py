"""screen-list (one DuckDB pass) gives exactly the single-decision engine's answers: a differential test."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.collections.checks import InputError
from lendguard.collections.policy.engine import decide
from lendguard.collections.policy.packs import get_pack
from lendguard.collections.policy.parse import parse_scenario
from lendguard.collections.screen_list import screen_list

ZONES = ["America/New_York", "America/Los_Angeles", "America/Chicago", "Asia/Shanghai", "Pacific/Honolulu"]
OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-4))]
BASE = datetime(2026, 5, 1, tzinfo=UTC)  # no DST change in the window
PLAN_COLS = [
    "id",
    "at",
    "debtor_id",
    "timezones",
    "channel",
    "person_id",
    "role",
    "debt_ids",
    "purpose",
    "number",
    "cease_requested",
    "attorney_represented",
    "reachable",
    "opted_out_channels",
]
HIST_COLS = [
    "debtor_id",
    "at",
    "channel",
    "person_id",
    "role",
    "debt_ids",
    "outcome",
    "initiated_by",
    "number",
    "agency_id",
]

debtors = st.sampled_from(["B1", "B2"])
people = st.sampled_from(["B1", "B2", "P1", "A1"])
numbers = st.sampled_from(["n1", "n2", ""])
debt_sets = st.lists(st.sampled_from(["D1", "D2", "D3"]), max_size=3, unique=True)  # 3: a debt in the middle
channels = st.sampled_from(["call", "call", "call", "sms", "letter", "visit", "social_media", "email"])
roles = st.sampled_from(
    [
        "debtor",
        "debtor",
        "debtor",
        "designated_contact",
        "related_third_party",
        "unrelated_third_party",
        "employer",
        "attorney",
    ]
)


@st.composite
def attempts(draw: Any) -> dict[str, str]:
    minutes = draw(st.integers(0, 12 * 24 * 60))
    return {
        "debtor_id": draw(debtors),
        "at": (BASE + timedelta(minutes=minutes)).astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
        "channel": draw(st.sampled_from(["call", "call", "call", "sms", "email"])),
        "person_id": draw(people),
        "role": draw(roles),
        "debt_ids": ";".join(draw(debt_sets)),
        "outcome": draw(
            st.sampled_from(
                [
                    "conversation",
                    "no_answer",
                    "voicemail",
                    "message_left",
                    "busy",
                    "not_in_service",
                    "delivered",
                    "failed",
                ]
            )
        ),
        "initiated_by": draw(st.sampled_from(["collector", "collector", "collector", "consumer"])),
        "number": draw(numbers),
        "agency_id": draw(st.sampled_from(["", "AG1"])),
    }


@st.composite
def plans(draw: Any, zones_of: dict[str, list[str]]) -> dict[str, str]:
    debtor = draw(debtors)
    minutes = draw(st.integers(4 * 24 * 60, 12 * 24 * 60))
    return {
        "at": (BASE + timedelta(minutes=minutes)).astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
        "debtor_id": debtor,
        "timezones": ";".join(zones_of[debtor]),
        "channel": draw(channels),
        "person_id": draw(st.sampled_from([debtor, debtor, debtor, "P1", "A1"])),
        "role": draw(roles),
        "debt_ids": ";".join(draw(debt_sets)),
        "purpose": draw(st.sampled_from(["collection", "collection", "location_info", "notice", "reply"])),
        "number": draw(numbers),
        "cease_requested": draw(st.sampled_from(["", "false", "true"])),
        "attorney_represented": draw(st.sampled_from(["", "false", "false", "true"])),
        "reachable": draw(st.sampled_from(["", "true", "false"])),
        "opted_out_channels": draw(st.sampled_from(["", "", "sms", "call;email"])),
    }


def scenario_of(plan: dict[str, str], history: list[dict[str, str]]) -> dict[str, Any]:
    """The JSON scenario the single-decision engine gets for one plan row (empty CSV cells → defaults)."""
    split = lambda s: [x for x in s.split(";") if x]  # noqa: E731
    return {
        "id": plan["id"],
        "at": plan["at"],
        "contact": {
            "channel": plan["channel"],
            "person_id": plan["person_id"],
            "role": plan["role"],
            "debt_ids": split(plan["debt_ids"]),
            "purpose": plan["purpose"],
            "number": plan["number"] or None,
        },
        "debtor": {
            "id": plan["debtor_id"],
            "timezones": split(plan["timezones"]),
            "cease_requested": plan["cease_requested"] == "true",
            "attorney_represented": plan["attorney_represented"] == "true",
            "reachable": plan["reachable"] != "false",
            "opted_out_channels": split(plan["opted_out_channels"]),
        },
        "history": [
            {**h, "debt_ids": split(h["debt_ids"]), "number": h["number"] or None, "agency_id": h["agency_id"] or None}
            for h in history
            if h["debtor_id"] == plan["debtor_id"]
        ],
    }


def write(path: Path, cols: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


@st.composite
def bursts(draw: Any) -> list[dict[str, str]]:
    """Several attempts to one person and number, minutes or hours apart: what trips the caps and patterns."""
    first = draw(attempts())
    debtor = first["debtor_id"]
    person = draw(st.sampled_from([debtor, debtor, "P1", "A1"]))
    start = BASE + timedelta(days=draw(st.integers(2, 10)), minutes=draw(st.integers(0, 24 * 60 - 1)))
    gap = timedelta(minutes=draw(st.sampled_from([2, 4, 30, 90, 24 * 60, 25 * 60])))
    out = []
    mostly = draw(st.sampled_from(["conversation", "no_answer"]))
    for i in range(draw(st.integers(3, 10))):
        row = {**first, "person_id": person, "role": "debtor" if person == debtor else first["role"]}
        row["at"] = (start + i * gap).astimezone(draw(st.sampled_from(OFFSETS))).isoformat()
        row["outcome"] = draw(st.sampled_from([mostly] * 4 + ["voicemail", "busy"]))
        row["initiated_by"] = draw(st.sampled_from(["collector"] * 5 + ["consumer"]))
        out.append(row)
    return out


@st.composite
def worlds(draw: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    zones_of = {d: draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=2, unique=True)) for d in ("B1", "B2")}
    burst_rows = [a for b in draw(st.lists(bursts(), max_size=4)) for a in b]
    history = draw(st.lists(attempts(), max_size=25)) + burst_rows
    plan_rows = draw(st.lists(plans(zones_of), min_size=1, max_size=6))
    # Plans that follow an attempt closely (same person and number, minutes to days later) hit the caps; at 0
    # minutes the attempt is at the plan's own instant, which counts as prior (a dialer's minute stamps).
    for h in draw(st.lists(st.sampled_from(burst_rows or history), max_size=4)) if history else []:
        later = datetime.fromisoformat(h["at"]) + timedelta(
            minutes=draw(st.sampled_from([0, 0, 1, 3, 6, 60, 300, 1440, 4000]))
        )
        base = draw(plans(zones_of))
        plan_rows.append(
            {
                **base,
                "debtor_id": h["debtor_id"],
                "timezones": ";".join(zones_of[h["debtor_id"]]),
                "channel": "call",
                "person_id": h["person_id"],
                "role": h["role"],
                "number": h["number"],
                "debt_ids": h["debt_ids"],
                "at": later.isoformat(),
                "purpose": draw(st.sampled_from(["collection", "collection", "location_info"])),
                "attorney_represented": "",
                "cease_requested": "",
            }
        )
    for attempts_then, plans_then in draw(st.lists(at_midnight(zones_of), max_size=2)):
        history += attempts_then
        plan_rows += plans_then
    for i, p in enumerate(plan_rows):
        p["id"] = f"p{i}"
    return plan_rows, history


@st.composite
def at_midnight(draw: Any, zones_of: dict[str, list[str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Calls stamped at exactly local midnight (the debtor's first zone) and calls planned at that very instant
    or later that day: the stamped calls are prior to the planned ones and belong to the new day."""
    debtor = draw(debtors)
    day = BASE.date() + timedelta(days=draw(st.integers(5, 11)))
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(zones_of[debtor][0])).astimezone(UTC)
    template = {
        **draw(attempts()),
        "debtor_id": debtor,
        "channel": "call",
        "person_id": debtor,
        "role": "debtor",
        "initiated_by": "collector",
    }
    stamped = [
        {
            **template,
            "at": midnight.astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
            "outcome": draw(st.sampled_from(["conversation", "no_answer", "voicemail"])),
        }
        for _ in range(draw(st.integers(1, 7)))
    ]
    planned = [
        {
            **draw(plans(zones_of)),
            "debtor_id": debtor,
            "timezones": ";".join(zones_of[debtor]),
            "channel": "call",
            "person_id": debtor,
            "role": "debtor",
            "number": template["number"],
            "debt_ids": template["debt_ids"],
            "purpose": "collection",
            "at": (midnight + timedelta(minutes=m)).astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
        }
        for m in draw(st.lists(st.sampled_from([0, 0, 9 * 60, 15 * 60]), min_size=1, max_size=2))
    ]
    return stamped, planned


def assert_screen_list_equals_the_engine(pack_name: str, world: Any, tmp_path: Path) -> None:
    """Screen ``world``'s plan against its history with screen-list and with the single-decision engine
    row by row; the id, decision, objecting rules (distinct, in pack order) and next opening must agree."""
    plan_rows, history = world
    pack = get_pack(pack_name)
    write(tmp_path / "plan.csv", PLAN_COLS, plan_rows)
    write(tmp_path / "hist.csv", HIST_COLS, history)
    assert screen_list(pack, tmp_path / "plan.csv", tmp_path / "hist.csv", tmp_path / "out.csv") == len(plan_rows)
    with (tmp_path / "out.csv").open(encoding="utf-8") as f:
        got = list(csv.DictReader(f))
    for plan, row in zip(plan_rows, got, strict=True):
        expected = decide(parse_scenario(scenario_of(plan, history)), pack).as_dict()
        rules = list(dict.fromkeys(v["rule"] for v in cast(list[dict[str, str]], expected["violations"])))
        assert (
            row["id"],
            row["decision"],
            row["rules"].split(";") if row["rules"] else [],
            row["next_allowed_at"] or None,
        ) == (expected["id"], expected["decision"], rules, expected["next_allowed_at"]), plan


@pytest.mark.parametrize("pack_name", ["cn", "us-regf"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_screen_list_equals_the_single_decision_engine(pack_name: str, world: Any, tmp_path: Path) -> None:
    assert_screen_list_equals_the_engine(pack_name, world, tmp_path)


def test_bad_rows_are_named_by_line_and_column(tmp_path: Path) -> None:
    good = {
        "id": "p0",
        "at": "2026-05-08T10:00:00-04:00",
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
    write(tmp_path / "hist.csv", HIST_COLS, [])
    cases = [
        ({"channel": "fax"}, "line 3: column channel"),
        ({"at": "2026-05-08 10:00"}, "line 3: column at"),
        ({"timezones": "Mars/Base"}, "line 3: column timezones"),
    ]
    for change, message in cases:
        write(tmp_path / "plan.csv", PLAN_COLS, [good, {**good, **change}])
        with pytest.raises(InputError, match=message):
            screen_list(get_pack("cn"), tmp_path / "plan.csv", tmp_path / "hist.csv", tmp_path / "out.csv")
    write(tmp_path / "plan.csv", PLAN_COLS, [good])
    result = CliRunner().invoke(
        build_cli(),
        [
            "policy",
            "screen-list",
            "--pack",
            "cn",
            "--plan",
            str(tmp_path / "plan.csv"),
            "--history",
            str(tmp_path / "missing.csv"),
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2


def test_bad_history_rows_are_named_even_when_no_rule_would_read_them(tmp_path: Path) -> None:
    """screen-list keeps only recent calls of the listed debtors, but checks every row of attempts.csv first."""
    plan = {c: "" for c in PLAN_COLS} | {
        "id": "p0",
        "at": "2026-05-08T10:00:00-04:00",
        "debtor_id": "B1",
        "timezones": "America/New_York",
        "channel": "call",
    }
    ok = {c: "" for c in HIST_COLS} | {
        "debtor_id": "B1",
        "at": "2026-05-07T10:00:00-04:00",
        "channel": "call",
        "person_id": "B1",
        "outcome": "no_answer",
    }
    write(tmp_path / "plan.csv", PLAN_COLS, [plan])
    cases = [
        ({"debtor_id": "Z9", "outcome": "hung_up"}, "line 4: column outcome"),  # another debtor, not listed
        ({"at": "2020-01-01T10:00:00"}, "line 4: column at"),  # long before the window, and no offset
        ({"channel": "sms", "role": "boss"}, "line 4: column role"),  # not a call
        ({"initiated_by": "robot"}, "line 4: column initiated_by"),
    ]
    for change, message in cases:
        write(tmp_path / "hist.csv", HIST_COLS, [ok, ok, {**ok, **change}, ok])
        with pytest.raises(InputError, match=message):
            screen_list(get_pack("us-regf"), tmp_path / "plan.csv", tmp_path / "hist.csv", tmp_path / "out.csv")
    write(tmp_path / "hist.csv", HIST_COLS, [ok, ok])
    assert screen_list(get_pack("us-regf"), tmp_path / "plan.csv", tmp_path / "hist.csv", tmp_path / "out.csv") == 1


def test_bad_history_rows_are_named_when_the_plan_has_no_calls(tmp_path: Path) -> None:
    """No planned call joins the call history then, yet every row of attempts.csv is still checked."""
    plan = {c: "" for c in PLAN_COLS} | {
        "id": "p0",
        "at": "2026-05-08T10:00:00-04:00",
        "debtor_id": "B1",
        "timezones": "America/New_York",
        "channel": "sms",
    }
    ok = {c: "" for c in HIST_COLS} | {
        "debtor_id": "B1",
        "at": "2026-05-07T10:00:00-04:00",
        "channel": "call",
        "person_id": "B1",
        "outcome": "no_answer",
    }
    write(tmp_path / "plan.csv", PLAN_COLS, [plan])
    rows = [ok] * 20_000 + [{**ok, "outcome": "hung_up"}]  # past DuckDB's first chunks
    write(tmp_path / "hist.csv", HIST_COLS, rows)
    with pytest.raises(InputError, match="line 20002: column outcome"):
        screen_list(get_pack("us-regf"), tmp_path / "plan.csv", tmp_path / "hist.csv", tmp_path / "out.csv")
