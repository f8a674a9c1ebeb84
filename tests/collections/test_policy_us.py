"""Edge tests of the us-regf pack, written from Regulation F's text and the CFPB's published examples.

Dates are in May 2026 (no DST change): New York is UTC-4, Los Angeles UTC-7. 2026-05-04 is a Monday.
"""

from __future__ import annotations

from typing import Any

from lendguard.collections.policy.packs import get_pack, tighten

from .helpers import call, rules_of, run, scenario


def test_08_00_to_21_00_local_time_edges() -> None:
    assert run(scenario("2026-05-04T07:59:00-04:00"))["next_allowed_at"] == "2026-05-04T08:00:00-04:00"
    assert run(scenario("2026-05-04T07:59:00-04:00"))["decision"] == "block"
    assert run(scenario("2026-05-04T08:00:00-04:00"))["decision"] == "allow"
    assert run(scenario("2026-05-04T21:00:00-04:00"))["decision"] == "allow"  # "after 9 p.m." is inconvenient
    late = run(scenario("2026-05-04T21:00:01-04:00"))
    assert late["decision"] == "block" and rules_of(late) == ["us.quiet_hours"]
    assert late["next_allowed_at"] == "2026-05-05T08:00:00-04:00"


def test_debtor_in_two_time_zones_only_the_intersection_is_convenient() -> None:
    # Area code in Eastern time, address in Pacific time: 08:00-21:00 in both means 11:00-21:00 Eastern.
    zones = {"timezones": ["America/New_York", "America/Los_Angeles"]}
    early = run(scenario("2026-05-04T10:59:00-04:00", debtor=zones))
    assert early["decision"] == "block" and early["next_allowed_at"] == "2026-05-04T11:00:00-04:00"
    assert "America/Los_Angeles" in early["violations"][0]["message"]
    assert run(scenario("2026-05-04T11:00:00-04:00", debtor=zones))["decision"] == "allow"
    assert run(scenario("2026-05-04T21:00:00-04:00", debtor=zones))["decision"] == "allow"
    # 23:00 Eastern: Eastern reopens at 08:00, when it is 05:00 in Los Angeles, so 11:00 Eastern.
    night = run(scenario("2026-05-04T23:00:00-04:00", debtor=zones))
    assert night["next_allowed_at"] == "2026-05-05T11:00:00-04:00"


def test_zones_12_hours_apart_overlap_one_hour_and_narrow_windows_never() -> None:
    zones = {"timezones": ["Asia/Shanghai", "America/New_York"]}  # NY 08-21 is Shanghai 20-09
    out = run(scenario("2026-05-04T10:00:00-04:00", debtor=zones))
    assert out["decision"] == "block" and out["next_allowed_at"] == "2026-05-04T20:00:00-04:00"
    narrow = tighten(get_pack("us-regf"), {"us.quiet_hours": {"allowed_until": "12:00"}})
    never = run(scenario("2026-05-04T10:00:00-04:00", debtor=zones), narrow)
    assert never["decision"] == "block" and never["next_allowed_at"] is None


def test_dst_start_is_honoured() -> None:
    # 2026-03-08 02:00 New York clocks jump to 03:00; the next opening is 08:00 EDT (-04:00).
    out = run(scenario("2026-03-08T01:30:00-05:00"))
    assert out["next_allowed_at"] == "2026-03-08T07:00:00-05:00"  # = 08:00-04:00, shown in the input offset


def test_consent_and_letters_lift_the_time_of_day_bar() -> None:
    consent = [
        {
            "person_id": "B1",
            "channel": "call",
            "from": "2026-05-04T09:00:00-04:00",
            "until": "2026-05-05T00:00:00-04:00",
        }
    ]
    assert run(scenario("2026-05-04T22:30:00-04:00", consents=consent))["decision"] == "allow"
    assert run(scenario("2026-05-04T23:30:00-04:00", contact={"channel": "letter"}))["decision"] == "allow"
    sms = run(scenario("2026-05-04T22:30:00-04:00", contact={"channel": "sms"}))
    assert rules_of(sms) == ["us.quiet_hours"]


def days_of_calls(n: int, start_day: int = 4, outcome: str = "no_answer", **extra: Any) -> list[dict[str, Any]]:
    return [call(f"2026-05-{start_day + i:02d}T10:00:00-04:00", outcome, **extra) for i in range(n)]


def test_seventh_call_in_seven_days_is_allowed_and_the_eighth_is_blocked() -> None:
    assert run(scenario("2026-05-10T15:00:00-04:00", history=days_of_calls(6)))["decision"] == "allow"
    out = run(scenario("2026-05-10T15:00:00-04:00", history=days_of_calls(7)))
    assert out["decision"] == "block" and "us.call_frequency" in rules_of(out)
    # Calls on May 4..10: the May 4 call leaves the window on May 11 (window May 5..11 holds 6 calls).
    assert out["next_allowed_at"] == "2026-05-11T08:00:00-04:00"


def test_window_frees_a_slot_only_when_enough_calls_leave_it() -> None:
    history = [call(f"2026-05-04T1{i}:00:00-04:00") for i in range(7)]  # seven calls on Monday
    out = run(scenario("2026-05-07T12:00:00-04:00", history=history))
    assert out["decision"] == "block"
    assert out["next_allowed_at"] == "2026-05-11T08:00:00-04:00"  # Monday + 7 days
    assert run(scenario("2026-05-11T08:00:00-04:00", history=history))["decision"] == "allow"
    assert run(scenario("2026-05-10T20:59:00-04:00", history=history))["decision"] == "block"


def test_unconnected_calls_are_excluded_but_unanswered_and_voicemail_count() -> None:
    busy = days_of_calls(4, outcome="busy") + days_of_calls(3, start_day=8, outcome="not_in_service")
    assert run(scenario("2026-05-10T15:00:00-04:00", history=busy))["decision"] == "allow"
    rung = days_of_calls(4, outcome="voicemail") + days_of_calls(3, start_day=8, outcome="no_answer")
    assert run(scenario("2026-05-10T15:00:00-04:00", history=rung))["decision"] == "block"


def test_consented_calls_are_excluded_and_consent_lasts_at_most_seven_days() -> None:
    consent = {"person_id": "B1", "channel": "call", "from": "2026-05-04T09:00:00-04:00", "until": None}
    history = days_of_calls(7)
    # All seven calls fall in the consent's seven days (May 4..10): none counts.
    assert run(scenario("2026-05-10T15:00:00-04:00", history=history, consents=[consent]))["decision"] == "allow"
    # On day 8 (May 11) the consent no longer covers the new call, and the history is still excluded.
    assert run(scenario("2026-05-11T15:00:00-04:00", history=history, consents=[consent]))["decision"] == "allow"
    late_consent = {**consent, "from": "2026-05-09T09:00:00-04:00"}  # covers May 9..15 only
    out = run(scenario("2026-05-16T15:00:00-04:00", history=days_of_calls(7, start_day=10), consents=[late_consent]))
    # The calls of May 10..15 were consented (6 of 7); only the May 16 window's unconsented calls count.
    assert out["decision"] == "allow"
    # The May 16 call stamped at the planned instant itself is prior too: it counts once toward 7-in-7 (no
    # block), and as an unanswered call to this number 0 minutes ago it is a rapid pattern (review).
    now = run(scenario("2026-05-16T10:00:00-04:00", history=days_of_calls(7, start_day=10), consents=[late_consent]))
    assert rules_of(now) == ["us.call_pattern"] and now["next_allowed_at"] == "2026-05-16T10:05:00-04:00"


def test_calls_to_the_consumers_attorney_are_excluded() -> None:
    history = days_of_calls(7, person_id="A1", role="attorney")
    contact = {"person_id": "A1", "role": "attorney", "number": "+1-202-555-0199"}
    assert run(scenario("2026-05-10T15:00:00-04:00", history=history, contact=contact))["decision"] == "allow"


def test_count_is_per_person_not_per_number_and_ignores_consumer_initiated_calls() -> None:
    numbers = [call(f"2026-05-{4 + i:02d}T10:00:00-04:00", number=f"+1-202-555-01{i:02d}") for i in range(7)]
    assert run(scenario("2026-05-10T15:00:00-04:00", history=numbers))["decision"] == "block"
    inbound = days_of_calls(7, initiated_by="consumer")
    assert run(scenario("2026-05-10T15:00:00-04:00", history=inbound))["decision"] == "allow"


def test_a_call_about_several_debts_counts_for_each() -> None:
    debts = [{"id": "D1"}, {"id": "D2"}, {"id": "D3"}]
    history = days_of_calls(7, debt_ids=["D1", "D2"])
    about_d2 = run(scenario("2026-05-10T15:00:00-04:00", history=history, debts=debts, contact={"debt_ids": ["D2"]}))
    assert about_d2["decision"] == "block"
    about_d3 = run(scenario("2026-05-10T15:00:00-04:00", history=history, debts=debts, contact={"debt_ids": ["D3"]}))
    assert about_d3["decision"] == "allow"
    split = days_of_calls(4, debt_ids=["D1"]) + days_of_calls(3, start_day=8, debt_ids=["D2"])
    assert (
        run(scenario("2026-05-10T15:00:00-04:00", history=split, debts=debts, contact={"debt_ids": ["D1", "D2"]}))[
            "decision"
        ]
        == "allow"
    )


def test_seven_day_cool_down_after_a_conversation_day_one_is_the_conversation_day() -> None:
    talk = [call("2026-05-04T10:00:00-04:00", "conversation")]
    same_day = run(scenario("2026-05-04T15:00:00-04:00", history=talk))
    assert rules_of(same_day) == ["us.conversation_cooldown"]
    day_seven = run(scenario("2026-05-10T20:00:00-04:00", history=talk))
    assert day_seven["decision"] == "block" and day_seven["next_allowed_at"] == "2026-05-11T08:00:00-04:00"
    assert run(scenario("2026-05-11T08:00:00-04:00", history=talk))["decision"] == "allow"
    # A conversation the consumer started counts too; one about another debt does not.
    inbound = [call("2026-05-04T10:00:00-04:00", "conversation", initiated_by="consumer")]
    assert run(scenario("2026-05-06T10:00:00-04:00", history=inbound))["decision"] == "block"
    other = [call("2026-05-04T10:00:00-04:00", "conversation", debt_ids=["D9"])]
    assert run(scenario("2026-05-06T10:00:00-04:00", history=other))["decision"] == "allow"


def test_sms_and_email_do_not_count_toward_call_frequency() -> None:
    texts = [call(f"2026-05-{4 + i:02d}T10:00:00-04:00", "delivered", channel="sms") for i in range(7)]
    assert run(scenario("2026-05-10T15:00:00-04:00", history=texts))["decision"] == "allow"
    talk = [call("2026-05-04T10:00:00-04:00", "conversation")]
    assert run(scenario("2026-05-05T10:00:00-04:00", history=talk, contact={"channel": "email"}))["decision"] == "allow"


def test_rebuttable_patterns_ask_for_review() -> None:
    recent = [call("2026-05-04T10:00:00-04:00", "no_answer")]
    out = run(scenario("2026-05-04T10:03:00-04:00", history=recent))
    assert out["decision"] == "review" and rules_of(out) == ["us.call_pattern"]
    assert out["next_allowed_at"] == "2026-05-04T10:05:00-04:00"
    assert run(scenario("2026-05-04T10:05:00-04:00", history=recent))["decision"] == "allow"
    six = [call(f"2026-05-04T{8 + i // 2:02d}:{(i % 2) * 30:02d}:00-04:00", "busy") for i in range(6)]
    seventh = run(scenario("2026-05-04T15:00:00-04:00", history=six))
    assert seventh["decision"] == "review" and seventh["next_allowed_at"] == "2026-05-05T08:00:00-04:00"


def test_consumer_designated_inconvenient_times() -> None:
    lunch = {"inconvenient_windows": [{"days": ["mon"], "from": "12:00", "to": "13:00"}]}
    out = run(scenario("2026-05-04T12:30:00-04:00", debtor=lunch))
    assert rules_of(out) == ["us.inconvenient_time"] and out["next_allowed_at"] == "2026-05-04T13:00:00-04:00"
    assert run(scenario("2026-05-05T12:30:00-04:00", debtor=lunch))["decision"] == "allow"  # Tuesday
    nights = {"inconvenient_windows": [{"days": ["mon"], "from": "18:00", "to": "10:00"}]}
    tue_morning = run(scenario("2026-05-05T09:00:00-04:00", debtor=nights))
    assert tue_morning["next_allowed_at"] == "2026-05-05T10:00:00-04:00"


def test_workplace_attorney_and_cease() -> None:
    work = run(
        scenario("2026-05-04T10:00:00-04:00", contact={"place": "work"}, debtor={"employer_prohibits_contact": True})
    )
    assert rules_of(work) == ["us.workplace"] and work["next_allowed_at"] is None
    assert run(scenario("2026-05-04T10:00:00-04:00", contact={"place": "work"}))["decision"] == "allow"
    lawyer = run(scenario("2026-05-04T10:00:00-04:00", debtor={"attorney_represented": True}))
    assert rules_of(lawyer) == ["us.attorney_represented"] and lawyer["next_allowed_at"] is None
    to_lawyer = {"person_id": "A1", "role": "attorney"}
    assert (
        run(scenario("2026-05-04T10:00:00-04:00", contact=to_lawyer, debtor={"attorney_represented": True}))["decision"]
        == "allow"
    )
    cease = run(scenario("2026-05-04T10:00:00-04:00", debtor={"cease_requested": True}))
    assert rules_of(cease) == ["us.cease_communication"] and cease["next_allowed_at"] is None
    notice = scenario(
        "2026-05-04T10:00:00-04:00",
        debtor={"cease_requested": True},
        contact={"channel": "letter", "purpose": "notice"},
    )
    assert run(notice)["decision"] == "allow"


def test_third_parties_only_for_location_information_once() -> None:
    friend = {"person_id": "P7", "role": "unrelated_third_party", "number": "+1-202-555-0177"}
    about_debt = run(scenario("2026-05-04T10:00:00-04:00", contact=friend))
    assert rules_of(about_debt) == ["us.third_party"]
    locate = {**friend, "purpose": "location_info"}
    assert run(scenario("2026-05-04T10:00:00-04:00", contact=locate))["decision"] == "allow"
    before = [call("2026-04-20T10:00:00-04:00", "conversation", person_id="P7", role="unrelated_third_party")]
    again = run(scenario("2026-05-04T10:00:00-04:00", contact=locate, history=before))
    assert rules_of(again) == ["us.location_once"] and again["next_allowed_at"] is None
    asked = [{"person_id": "P7", "channel": "call", "from": "2026-04-20T10:05:00-04:00", "until": None}]
    assert (
        run(scenario("2026-05-04T10:00:00-04:00", contact=locate, history=before, consents=asked))["decision"]
        == "allow"
    )
    lawyer = run(scenario("2026-05-04T10:00:00-04:00", contact=locate, debtor={"attorney_represented": True}))
    assert rules_of(lawyer) == ["us.third_party"]


def test_electronic_opt_out_and_opted_out_media() -> None:
    sms = {"channel": "sms", "includes_opt_out": False}
    assert rules_of(run(scenario("2026-05-04T10:00:00-04:00", contact=sms))) == ["us.electronic_opt_out"]
    assert run(scenario("2026-05-04T10:00:00-04:00", contact={**sms, "includes_opt_out": True}))["decision"] == "allow"
    opted = run(
        scenario(
            "2026-05-04T10:00:00-04:00",
            contact={"channel": "email", "includes_opt_out": True},
            debtor={"opted_out_channels": ["email"]},
        )
    )
    assert rules_of(opted) == ["us.opted_out_medium"]
    social = run(scenario("2026-05-04T10:00:00-04:00", contact={"channel": "social_media", "includes_opt_out": True}))
    assert social["decision"] == "review" and rules_of(social) == ["us.social_media_private"]


def test_disputed_and_time_barred_debts() -> None:
    disputed = run(scenario("2026-05-04T10:00:00-04:00", debts=[{"id": "D1", "disputed": True}]))
    assert rules_of(disputed) == ["us.disputed_debt"]
    barred = scenario("2026-05-04T10:00:00-04:00", debts=[{"id": "D1", "time_barred": True}])
    assert run(barred)["decision"] == "allow"  # the time-barred rule is an option, off by default (status R/S)
    strict = tighten(get_pack("us-regf"), {"us.time_barred": {"enabled": True}})
    assert rules_of(run(barred, strict)) == ["us.time_barred"]


def test_every_violation_is_listed_with_its_source() -> None:
    out = run(scenario("2026-05-10T22:00:00-04:00", history=days_of_calls(7), debtor={"attorney_represented": True}))
    assert rules_of(out) == ["us.quiet_hours", "us.call_frequency", "us.attorney_represented"]
    assert all(v["source"] and v["message"] and v["severity"] == "block" for v in out["violations"])


def test_an_attempt_at_the_planned_instant_counts_as_prior() -> None:
    """History at the contact's own instant already happened (fixed clocks, minute stamps); later history does not."""
    six = days_of_calls(6)  # May 4..9 at 10:00
    stamped = call("2026-05-10T15:00:00-04:00", "no_answer", number="+1-202-555-0188")
    # 6 earlier calls + 1 at the same instant = 7 in 7 days: the 8th (this one) is blocked; May 4 leaves on May 11.
    out = run(scenario("2026-05-10T15:00:00-04:00", history=[*six, stamped]))
    assert rules_of(out) == ["us.call_frequency"] and out["next_allowed_at"] == "2026-05-11T08:00:00-04:00"
    # One second later is in the future of the contact: ignored, so the 7th call is allowed.
    later = {**stamped, "at": "2026-05-10T15:00:01-04:00"}
    assert run(scenario("2026-05-10T15:00:00-04:00", history=[*six, later]))["decision"] == "allow"


def test_a_conversation_at_the_planned_instant_starts_the_cool_down_that_day() -> None:
    """The same-instant conversation is day 1 of the cool-down, like one earlier that day: free on day 8."""
    talk = [call("2026-05-04T10:00:00-04:00", "conversation")]
    out = run(scenario("2026-05-04T10:00:00-04:00", history=talk))
    assert rules_of(out) == ["us.conversation_cooldown"] and out["next_allowed_at"] == "2026-05-11T08:00:00-04:00"
    # An unanswered call at the same instant is a rapid pattern for 5 minutes from that instant.
    rang = run(scenario("2026-05-04T10:00:00-04:00", history=[call("2026-05-04T10:00:00-04:00", "no_answer")]))
    assert rules_of(rang) == ["us.call_pattern"] and rang["next_allowed_at"] == "2026-05-04T10:05:00-04:00"


def test_calls_stamped_at_local_midnight_count_for_the_new_day() -> None:
    """Seven calls stamped at exactly 00:00 on May 11 and a contact planned at that instant: the calls are on
    May 11 (day 1 of their window), so the 8th is blocked until May 18, when they leave the 7-day window. (Moved
    a microsecond earlier, as the service once did, they were on May 10 and the slot freed a day early.)"""
    stamped = [call("2026-05-11T00:00:00-04:00", "no_answer") for _ in range(7)]
    out = run(scenario("2026-05-11T00:00:00-04:00", history=stamped))
    # call_pattern twice: an unanswered call 0 minutes ago, and this would be the 8th call to the number today.
    assert rules_of(out) == ["us.quiet_hours", "us.call_frequency", "us.call_pattern", "us.call_pattern"]
    assert out["next_allowed_at"] == "2026-05-18T08:00:00-04:00"
    shifted = [{**c, "at": "2026-05-10T23:59:59.999999-04:00"} for c in stamped]
    assert run(scenario("2026-05-11T00:00:00-04:00", history=shifted))["next_allowed_at"] == "2026-05-17T08:00:00-04:00"
