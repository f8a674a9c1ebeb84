"""The `lendguard policy check` contract: JSON in, a JSON array of decisions out, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lendguard.cli import build_cli

from .helpers import call, cn_scenario, scenario

runner = CliRunner()


def check(tmp_path: Path, payload: Any, *args: str) -> Any:
    path = tmp_path / "in.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return runner.invoke(build_cli(), ["policy", "check", *args, str(path)])


def test_one_scenario_gives_an_array_of_one_decision(tmp_path: Path) -> None:
    result = check(tmp_path, cn_scenario("2026-03-02T22:00:00+08:00"), "--pack", "cn")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out == [
        {
            "id": "s1",
            "decision": "block",
            "violations": [
                {
                    "rule": "cn.quiet_hours",
                    "source": out[0]["violations"][0]["source"],
                    "severity": "block",
                    "message": "22:00 in Asia/Shanghai is outside collection hours 08:00-22:00",
                }
            ],
            "next_allowed_at": "2026-03-03T08:00:00+08:00",
        }
    ]


def test_an_array_with_minimal_scenarios_uses_the_defaults(tmp_path: Path) -> None:
    minimal = {
        "id": "m",
        "at": "2026-05-04T12:00:00-04:00",
        "contact": {"channel": "call", "person_id": "B1"},
        "debtor": {"id": "B1"},
    }
    full = scenario("2026-05-10T15:00:00-04:00", history=[call(f"2026-05-0{4 + i}T10:00:00-04:00") for i in range(6)])
    full["id"] = "f"
    full["history"].append(call("2026-05-10T10:00:00-04:00"))
    result = check(tmp_path, [minimal, full], "--pack", "us-regf")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(d["id"], d["decision"]) for d in out] == [("m", "allow"), ("f", "block")]
    assert out[0]["next_allowed_at"] == "2026-05-04T12:00:00-04:00"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s["contact"].update(channel="fax"), "contact.channel"),
        (lambda s: s.pop("at"), "field at"),
        (lambda s: s.update(at="2026-05-04T12:00:00"), "field at"),
        (lambda s: s["debtor"].update(timezones=["Mars/Base"]), "debtor.timezones[0]"),
        (lambda s: s["history"].append({"at": "2026-05-04T10:00:00-04:00", "channel": "call"}), "history[0].outcome"),
        (
            lambda s: s["debtor"].update(inconvenient_windows=[{"days": ["mon"], "from": "25:00", "to": "13:00"}]),
            "debtor.inconvenient_windows[0].from",
        ),
        (lambda s: s["consents"].append({"person_id": "B1", "channel": "call", "from": "soon"}), "consents[0].from"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(tmp_path: Path, mutate: Any, field: str) -> None:
    s = scenario("2026-05-04T12:00:00-04:00")
    mutate(s)
    result = check(tmp_path, [scenario("2026-05-04T12:00:00-04:00"), s], "--pack", "us-regf")
    assert result.exit_code == 2
    assert field in result.stderr and "scenario 1" in result.stderr


def test_bad_json_unknown_pack_and_loosening_overrides_exit_2(tmp_path: Path) -> None:
    bad = check(tmp_path, "[{", "--pack", "cn")
    assert bad.exit_code == 2 and "line 1" in bad.stderr
    assert check(tmp_path, cn_scenario("2026-03-02T10:00:00+08:00"), "--pack", "eu").exit_code == 2
    loose = tmp_path / "loose.json"
    loose.write_text(json.dumps({"cn.connected_calls_per_day": {"max_connected": 5}}), encoding="utf-8")
    result = check(tmp_path, cn_scenario("2026-03-02T10:00:00+08:00"), "--pack", "cn", "--overrides", str(loose))
    assert result.exit_code == 2 and "loosen" in result.stderr


def test_rules_lists_sources_and_switches() -> None:
    result = runner.invoke(build_cli(), ["policy", "rules", "--pack", "us-regf"])
    assert result.exit_code == 0
    rules = {r["rule"]: r for r in json.loads(result.stdout)}
    assert rules["us.call_frequency"]["params"] == {"max_calls": 7, "window_days": 7}
    assert rules["us.time_barred"]["enabled"] is False


def test_the_message_screener_is_wired_into_policy_check(tmp_path: Path) -> None:
    threat = cn_scenario(
        "2026-03-02T10:00:00+08:00",
        contact={"channel": "sms", "text": "再不还钱就让你坐牢，我们去你单位找你", "number": None},
    )
    result = check(tmp_path, threat, "--pack", "cn")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)[0]
    assert decision["decision"] == "block" and decision["next_allowed_at"] is None
    violation = decision["violations"][0]
    assert violation["rule"] == "cn.message_text" and "threat" in violation["message"]
    polite = cn_scenario(
        "2026-03-02T10:00:00+08:00", contact={"channel": "sms", "text": "您好，请尽快还款。", "number": None}
    )
    assert json.loads(check(tmp_path, polite, "--pack", "cn").stdout)[0]["decision"] == "allow"
