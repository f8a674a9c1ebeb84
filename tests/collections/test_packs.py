"""Packs: built-in contents, tightening allowed, loosening refused; every rule names its source."""

from __future__ import annotations

import pytest

from lendguard.collections.policy.packs import BUILTIN, PackError, get_pack, tighten
from lendguard.collections.policy.registry import RULES
from lendguard.collections.policy.screening import ScreenFinding, ScreenOutcome

from .helpers import call, cn_scenario, rules_of, run, scenario


def test_builtin_packs_and_their_optional_rules() -> None:
    assert set(BUILTIN) == {"cn", "us-regf"}
    assert {r.id for r in get_pack("cn").rules if r.optional} == {"cn.field_visit_staff", "cn.min_interval"}
    assert {r.id for r in get_pack("us-regf").rules if r.optional} == {"us.work_email", "us.time_barred"}
    for pack in BUILTIN.values():
        for rule in pack.rules:
            assert (rule.id in pack.enabled) is not rule.optional


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_one_line_docstring_naming_its_source(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule.source and "\n" not in (rule.check.__doc__ or "").strip()
    assert " — " in rule.doc and len(rule.doc) > 20


def test_unknown_pack() -> None:
    with pytest.raises(PackError, match="unknown pack"):
        get_pack("eu")


def test_tightening_a_cap_and_the_hours() -> None:
    pack = tighten(
        get_pack("us-regf"), {"us.call_frequency": {"max_calls": 3}, "us.quiet_hours": {"allowed_until": "20:00"}}
    )
    history = [call(f"2026-05-0{4 + i}T10:00:00-04:00") for i in range(3)]
    assert rules_of(run(scenario("2026-05-07T15:00:00-04:00", history=history), pack)) == ["us.call_frequency"]
    assert rules_of(run(scenario("2026-05-07T20:30:00-04:00"), pack)) == ["us.quiet_hours"]
    cn = tighten(get_pack("cn"), {"cn.quiet_hours": {"quiet_start": "21:00", "quiet_end": "09:00"}})
    assert run(cn_scenario("2026-03-02T21:00:00+08:00"), cn)["decision"] == "block"
    assert run(cn_scenario("2026-03-02T08:30:00+08:00"), cn)["next_allowed_at"] == "2026-03-02T09:00:00+08:00"


@pytest.mark.parametrize(
    ("pack", "overrides", "message"),
    [
        ("us-regf", {"us.call_frequency": {"max_calls": 8}}, "would loosen"),
        ("us-regf", {"us.quiet_hours": {"allowed_until": "22:00"}}, "would loosen"),
        ("us-regf", {"us.conversation_cooldown": {"cooldown_days": 3}}, "would loosen"),
        ("cn", {"cn.quiet_hours": {"quiet_start": "23:00"}}, "would loosen"),
        ("cn", {"cn.quiet_hours": {"quiet_end": "07:00"}}, "would loosen"),
        ("cn", {"cn.connected_calls_per_day": {"max_connected": 4}}, "would loosen"),
        ("cn", {"cn.debtor_only": {"enabled": False}}, "switching off"),
        ("cn", {"cn.nope": {"enabled": True}}, "has no rule"),
        ("cn", {"cn.quiet_hours": {"nope": 1}}, "has no parameter"),
        ("cn", {"cn.quiet_hours": {"quiet_start": "9pm"}}, "HH:MM"),
    ],
)
def test_loosening_or_bad_overrides_are_refused(
    pack: str, overrides: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(PackError, match=message):
        tighten(get_pack(pack), overrides)


class FakeScreener:
    """Stands in for the message screener: flags texts containing a marker word."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def screen(self, text: str, party: str) -> ScreenOutcome:
        self.calls.append((text, party))
        if "jail" in text:
            return ScreenOutcome("block", (ScreenFinding("false_legal_claim", "X-1"),))
        if "family" in text:
            return ScreenOutcome("review", (ScreenFinding("third_party_pressure", "X-2"),))
        return ScreenOutcome("pass")


@pytest.mark.parametrize("pack", ["cn", "us-regf"])
def test_message_text_goes_through_the_screener(pack: str) -> None:
    fake = FakeScreener()
    build = cn_scenario if pack == "cn" else scenario
    at = "2026-03-02T10:00:00+08:00" if pack == "cn" else "2026-05-04T10:00:00-04:00"
    sms = {"channel": "sms", "includes_opt_out": True}
    blocked = run(build(at, contact={**sms, "text": "pay or go to jail"}), pack, fake)
    assert blocked["decision"] == "block" and blocked["next_allowed_at"] is None
    assert "false_legal_claim" in blocked["violations"][0]["message"]
    assert run(build(at, contact={**sms, "text": "your family will hear"}), pack, fake)["decision"] == "review"
    assert run(build(at, contact={**sms, "text": "please call us back"}), pack, fake)["decision"] == "allow"
    assert fake.calls[0] == ("pay or go to jail", "debtor")
    assert run(build(at, contact={**sms, "text": "pay or go to jail"}), pack)["decision"] == "allow"  # no screener
