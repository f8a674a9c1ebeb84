"""Edge tests of the cn pack (quiet period, daily caps, contacts, field visits), Beijing time (+08:00)."""

from __future__ import annotations

from typing import Any

from lendguard.collections.policy.packs import get_pack, tighten

from .helpers import call, cn_scenario, rules_of, run


def cn_call(at: str, outcome: str = "no_answer", **extra: Any) -> dict[str, Any]:
    return call(at, outcome, **{"number": "13800138000", **extra})


def test_quiet_period_22_00_to_08_00() -> None:
    assert run(cn_scenario("2026-03-02T21:59:00+08:00"), "cn")["decision"] == "allow"
    night = run(cn_scenario("2026-03-02T22:00:00+08:00"), "cn")
    assert rules_of(night) == ["cn.quiet_hours"] and night["next_allowed_at"] == "2026-03-03T08:00:00+08:00"
    assert run(cn_scenario("2026-03-03T07:59:59+08:00"), "cn")["next_allowed_at"] == "2026-03-03T08:00:00+08:00"
    assert run(cn_scenario("2026-03-03T08:00:00+08:00"), "cn")["decision"] == "allow"
    # The same instant written in UTC gets the same answer, reported in the input's offset.
    assert run(cn_scenario("2026-03-02T14:00:00+00:00"), "cn")["next_allowed_at"] == "2026-03-03T00:00:00+00:00"


def test_agreed_collection_time_lifts_the_quiet_period() -> None:
    agreed = [
        {
            "person_id": "B1",
            "channel": "call",
            "from": "2026-03-02T22:00:00+08:00",
            "until": "2026-03-02T23:00:00+08:00",
        }
    ]
    assert run(cn_scenario("2026-03-02T22:30:00+08:00", consents=agreed), "cn")["decision"] == "allow"
    after = run(cn_scenario("2026-03-02T23:00:00+08:00", consents=agreed), "cn")
    assert after["decision"] == "block"


def test_third_connected_call_allowed_fourth_blocked_across_agencies() -> None:
    talks = [
        cn_call("2026-03-02T09:00:00+08:00", "conversation"),
        cn_call("2026-03-02T10:00:00+08:00", "conversation", agency_id="AG1"),
        cn_call("2026-03-02T11:00:00+08:00", "conversation", agency_id="AG2", number="13900139000"),
    ]
    assert run(cn_scenario("2026-03-02T15:00:00+08:00", history=talks[:2]), "cn")["decision"] == "allow"
    fourth = run(cn_scenario("2026-03-02T15:00:00+08:00", history=talks), "cn")
    assert rules_of(fourth) == ["cn.connected_calls_per_day"]
    assert fourth["next_allowed_at"] == "2026-03-03T08:00:00+08:00"  # next day, after the quiet period
    yesterday = [cn_call(f"2026-03-01T1{i}:00:00+08:00", "conversation") for i in range(3)]
    assert run(cn_scenario("2026-03-02T15:00:00+08:00", history=yesterday), "cn")["decision"] == "allow"


def test_sixth_unanswered_attempt_to_a_number_allowed_seventh_blocked() -> None:
    missed = [cn_call(f"2026-03-02T{9 + i:02d}:00:00+08:00") for i in range(6)]
    assert run(cn_scenario("2026-03-02T20:00:00+08:00", history=missed[:5]), "cn")["decision"] == "allow"
    seventh = run(cn_scenario("2026-03-02T20:00:00+08:00", history=missed), "cn")
    assert rules_of(seventh) == ["cn.unanswered_per_number_per_day"]
    other_number = cn_scenario("2026-03-02T20:00:00+08:00", history=missed, contact={"number": "13900139000"})
    assert run(other_number, "cn")["decision"] == "allow"
    agreed = [{"person_id": "B1", "channel": "call", "from": "2026-03-01T00:00:00+08:00", "until": None}]
    assert run(cn_scenario("2026-03-02T20:00:00+08:00", history=missed, consents=agreed), "cn")["decision"] == "allow"


def test_designated_contacts_only_when_the_debtor_cannot_be_reached_and_never_for_collection() -> None:
    contact = {"person_id": "C1", "role": "designated_contact", "purpose": "location_info", "number": "13700137000"}
    reachable = run(cn_scenario("2026-03-02T10:00:00+08:00", contact=contact), "cn")
    assert rules_of(reachable) == ["cn.designated_contact"]
    lost = cn_scenario(
        "2026-03-02T10:00:00+08:00", contact=contact, debtor={"reachable": False, "timezones": ["Asia/Shanghai"]}
    )
    assert run(lost, "cn")["decision"] == "allow"
    collect = cn_scenario(
        "2026-03-02T10:00:00+08:00",
        contact={**contact, "purpose": "collection"},
        debtor={"reachable": False, "timezones": ["Asia/Shanghai"]},
    )
    assert rules_of(run(collect, "cn")) == ["cn.debtor_only"]


def test_unrelated_third_parties_and_employers_are_never_contacted() -> None:
    for role in ("unrelated_third_party", "employer"):
        out = run(
            cn_scenario(
                "2026-03-02T10:00:00+08:00", contact={"person_id": "X", "role": role, "purpose": "location_info"}
            ),
            "cn",
        )
        assert rules_of(out) == ["cn.unrelated_third_party"] and out["next_allowed_at"] is None


def test_field_visits_recorded_not_at_the_office_and_two_staff_as_an_option() -> None:
    visit = {"channel": "visit", "place": "home", "recorded": True, "number": None}
    assert run(cn_scenario("2026-03-02T10:00:00+08:00", contact=visit), "cn")["decision"] == "allow"
    assert rules_of(run(cn_scenario("2026-03-02T10:00:00+08:00", contact={**visit, "recorded": False}), "cn")) == [
        "cn.field_visit_recorded"
    ]
    unknown = run(cn_scenario("2026-03-02T10:00:00+08:00", contact={**visit, "recorded": None}), "cn")
    assert unknown["decision"] == "review"
    office = run(cn_scenario("2026-03-02T10:00:00+08:00", contact={**visit, "place": "work"}), "cn")
    assert rules_of(office) == ["cn.field_visit_office"]
    two = tighten(get_pack("cn"), {"cn.field_visit_staff": {"enabled": True}})
    assert rules_of(run(cn_scenario("2026-03-02T10:00:00+08:00", contact={**visit, "staff": 1}), two)) == [
        "cn.field_visit_staff"
    ]
    assert run(cn_scenario("2026-03-02T10:00:00+08:00", contact={**visit, "staff": 2}), two)["decision"] == "allow"
    night_visit = run(cn_scenario("2026-03-02T22:30:00+08:00", contact=visit), "cn")
    assert rules_of(night_visit) == ["cn.quiet_hours"]


def test_social_apps_need_consent() -> None:
    out = run(cn_scenario("2026-03-02T10:00:00+08:00", contact={"channel": "social_media", "number": None}), "cn")
    assert rules_of(out) == ["cn.social_apps"]
    ok = [{"person_id": "B1", "channel": "social_media", "from": "2026-03-01T00:00:00+08:00", "until": None}]
    assert (
        run(
            cn_scenario("2026-03-02T10:00:00+08:00", contact={"channel": "social_media", "number": None}, consents=ok),
            "cn",
        )["decision"]
        == "allow"
    )


def test_minimum_interval_is_an_option_off_by_default() -> None:
    history = [cn_call("2026-03-01T10:00:00+08:00", "conversation")]
    assert run(cn_scenario("2026-03-02T10:00:00+08:00", history=history), "cn")["decision"] == "allow"
    strict = tighten(get_pack("cn"), {"cn.min_interval": {"enabled": True}})
    out = run(cn_scenario("2026-03-02T10:00:00+08:00", history=history), strict)
    assert rules_of(out) == ["cn.min_interval"] and out["next_allowed_at"] == "2026-03-08T10:00:00+08:00"


def test_connected_calls_at_the_planned_instant_count_toward_the_daily_cap() -> None:
    """Connected calls stamped at the very instant of the planned call (fixed clocks, a dialer's minute stamps)
    already happened: with two earlier ones, one at that instant makes the planned call the 4th of the day."""
    earlier = [
        cn_call("2026-03-02T09:00:00+08:00", "conversation"),
        cn_call("2026-03-02T10:00:00+08:00", "conversation"),
    ]
    stamped = cn_call("2026-03-02T15:00:00+08:00", "conversation", agency_id="AG1")
    fourth = run(cn_scenario("2026-03-02T15:00:00+08:00", history=[*earlier, stamped]), "cn")
    assert rules_of(fourth) == ["cn.connected_calls_per_day"]
    assert fourth["next_allowed_at"] == "2026-03-03T08:00:00+08:00"
    # A connected call one second after the planned instant has not happened yet: the planned one is the 3rd.
    later = {**stamped, "at": "2026-03-02T15:00:01+08:00"}
    assert run(cn_scenario("2026-03-02T15:00:00+08:00", history=[*earlier, later]), "cn")["decision"] == "allow"


def test_calls_stamped_at_local_midnight_count_for_the_new_day() -> None:
    """With an agreed collection time lifting the quiet period, three connected calls stamped at exactly 00:00
    on March 2 fill March 2's cap for a call planned at that instant (blocked until 00:00 on March 3); March 1's
    calls do not count. (Moved a microsecond earlier, they fell on March 1 and the call was allowed.)"""
    agreed = [{"person_id": "B1", "channel": "call", "from": "2026-02-01T00:00:00+08:00", "until": None}]
    yesterday = [cn_call(f"2026-03-01T1{i}:00:00+08:00", "conversation") for i in range(3)]
    stamped = [cn_call("2026-03-02T00:00:00+08:00", "conversation", agency_id=f"AG{i}") for i in range(3)]
    out = run(cn_scenario("2026-03-02T00:00:00+08:00", history=stamped, consents=agreed), "cn")
    assert rules_of(out) == ["cn.connected_calls_per_day"] and out["next_allowed_at"] == "2026-03-03T00:00:00+08:00"
    two = run(cn_scenario("2026-03-02T00:00:00+08:00", history=[*yesterday, *stamped[:2]], consents=agreed), "cn")
    assert two["decision"] == "allow"
    shifted = [{**c, "at": "2026-03-01T23:59:59.999999+08:00"} for c in stamped]
    assert run(cn_scenario("2026-03-02T00:00:00+08:00", history=shifted, consents=agreed), "cn")["decision"] == "allow"
