"""Rules of the ``cn`` pack: China's national rules and the industry's self-regulation on collection."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from lendguard.collections.policy.common import about, daily_window, debt_keys, next_day, same_day
from lendguard.collections.policy.common import screened as screened_text
from lendguard.collections.policy.model import Channel, Outcome, PartyRole, Purpose
from lendguard.collections.policy.model import Verdict as V
from lendguard.collections.policy.registry import Context, Finding, Param, ParamValue, rule

P = Mapping[str, ParamValue]
NIFA24 = "NIFA 互联网金融贷后催收业务指引 (2024)"
CBA26 = "CBA 金融机构个人消费类贷款催收工作指引(试行) (2026)"


@rule(
    "cn.quiet_hours",
    f"{CBA26}; {NIFA24}",
    V.BLOCK,
    Param("quiet_start", 22 * 60, "lower", "start of the quiet period, minutes after local midnight"),
    Param("quiet_end", 8 * 60, "higher", "end of the quiet period, minutes after local midnight"),
)
def quiet_hours(ctx: Context, p: P) -> list[Finding]:
    """No collection 22:00-08:00 local time unless agreed with the person — CBA 2026 guideline; NIFA 2024 guideline."""
    return daily_window(
        ctx, quiet_hours, int(p["quiet_end"]), int(p["quiet_start"]), end_inclusive=False, label="collection hours"
    )


@rule(
    "cn.connected_calls_per_day",
    f"{NIFA24} (notification-type voice collection)",
    V.BLOCK,
    Param("max_connected", 3, "lower", "connected calls per debtor per day, lender and agencies together"),
)
def connected_calls_daily(ctx: Context, p: P) -> list[Finding]:
    """At most 3 connected notification calls per debtor per day across the lender and its agencies — NIFA 2024."""
    c = ctx.scenario.contact
    if c.channel is not Channel.CALL or c.role is not PartyRole.DEBTOR:
        return []
    limit = int(p["max_connected"])
    connected = [
        a
        for a in same_day(ctx)
        if a.channel is Channel.CALL
        and a.outcome is Outcome.CONVERSATION
        and a.initiated_by == "collector"
        and a.person_id == ctx.scenario.debtor.id
    ]
    if len(connected) >= limit:
        return [connected_calls_daily.finding(f"{len(connected)} connected calls today (limit {limit})", next_day(ctx))]
    return []


@rule(
    "cn.unanswered_per_number_per_day",
    CBA26,
    V.BLOCK,
    Param("max_unanswered", 6, "lower", "unanswered attempts to one number per day"),
)
def unanswered_per_number(ctx: Context, p: P) -> list[Finding]:
    """At most 6 unanswered attempts to the same number per day unless agreed — CBA 2026 guideline."""
    c = ctx.scenario.contact
    if c.channel is not Channel.CALL or not c.number or ctx.consented(c.person_id, "call", ctx.t):
        return []
    limit = int(p["max_unanswered"])
    missed = [
        a
        for a in same_day(ctx)
        if a.channel is Channel.CALL
        and a.number == c.number
        and a.initiated_by == "collector"
        and a.outcome is not Outcome.CONVERSATION
    ]
    if len(missed) >= limit:
        return [
            unanswered_per_number.finding(
                f"{len(missed)} unanswered attempts to this number today (limit {limit})", next_day(ctx)
            )
        ]
    return []


@rule("cn.debtor_only", f"{NIFA24}; NFRA 小额贷款公司监督管理暂行办法 (2025)", V.BLOCK)
def debtor_only(ctx: Context, p: P) -> list[Finding]:
    """Collect only from the debtor, never from contacts — NIFA 2024 guideline; NFRA small-loan measures 2025."""
    c = ctx.scenario.contact
    if c.purpose is not Purpose.COLLECTION or c.role in (PartyRole.DEBTOR, PartyRole.ATTORNEY):
        return []
    if c.role is PartyRole.RELATED_THIRD_PARTY:
        return [
            debtor_only.finding(
                "collect from a related third party only if they are liable for the debt", None, V.REVIEW
            )
        ]
    return [debtor_only.finding(f"no collection from a {c.role.value}", None)]


@rule("cn.designated_contact", "NIFA 互联网金融逾期债务催收自律公约 (2018); CBA 2026 guideline", V.BLOCK)
def designated_contact(ctx: Context, p: P) -> list[Finding]:
    """Designated and related contacts only when the debtor cannot be reached — NIFA 2018 convention; CBA 2026."""
    c = ctx.scenario.contact
    if c.role in (PartyRole.DESIGNATED_CONTACT, PartyRole.RELATED_THIRD_PARTY) and ctx.scenario.debtor.reachable:
        return [designated_contact.finding("the debtor can be reached: do not contact their contacts", None)]
    return []


@rule("cn.unrelated_third_party", f"{CBA26}; NFRA 小额贷款公司监督管理暂行办法 (2025)", V.BLOCK)
def unrelated_third_party(ctx: Context, p: P) -> list[Finding]:
    """No contact with unrelated third parties (including employers) — CBA 2026 guideline; NFRA 2025 measures."""
    c = ctx.scenario.contact
    if c.role in (PartyRole.UNRELATED_THIRD_PARTY, PartyRole.EMPLOYER):
        return [unrelated_third_party.finding(f"a {c.role.value} is unrelated to the debt", None)]
    return []


@rule("cn.field_visit_recorded", "NIFA 互联网金融逾期债务催收自律公约 (2018)", V.BLOCK)
def field_visit_recorded(ctx: Context, p: P) -> list[Finding]:
    """Field visits are recorded in full, audio and video — NIFA 2018 convention."""
    c = ctx.scenario.contact
    if c.channel is not Channel.VISIT or c.recorded is True:
        return []
    if c.recorded is False:
        return [field_visit_recorded.finding("a field visit must be recorded in full", None)]
    return [field_visit_recorded.finding("confirm the field visit will be recorded in full", None, V.REVIEW)]


@rule("cn.field_visit_office", CBA26, V.BLOCK)
def field_visit_office(ctx: Context, p: P) -> list[Finding]:
    """No visit to the debtor's office area without consent — CBA 2026 guideline (prohibited conduct)."""
    c = ctx.scenario.contact
    if c.channel is Channel.VISIT and c.place == "work" and not ctx.consented(c.person_id, "visit", ctx.t):
        return [field_visit_office.finding("no visit to the office area without the debtor's consent", None)]
    return []


@rule("cn.social_apps", CBA26, V.BLOCK)
def social_apps(ctx: Context, p: P) -> list[Finding]:
    """No collection through social apps without consent — CBA 2026 guideline (prohibited conduct)."""
    c = ctx.scenario.contact
    if c.channel is Channel.SOCIAL_MEDIA and not ctx.consented(c.person_id, c.channel, ctx.t):
        return [social_apps.finding("no collection through social apps without consent", None)]
    return []


@rule(
    "cn.field_visit_staff",
    "CBA 2026 guideline Art. 22 (secondary report)",
    V.BLOCK,
    Param("min_staff", 2, "higher"),
    optional=True,
)
def field_visit_staff(ctx: Context, p: P) -> list[Finding]:
    """Optional: field visits by at least two collectors — CBA 2026 guideline Art. 22 (status S)."""
    c = ctx.scenario.contact
    need = int(p["min_staff"])
    if c.channel is Channel.VISIT and (c.staff is None or c.staff < need):
        return [field_visit_staff.finding(f"a field visit needs at least {need} staff", None)]
    return []


@rule("cn.min_interval", f"{NIFA24} (scope unverified)", V.BLOCK, Param("min_days", 7, "higher"), optional=True)
def min_interval(ctx: Context, p: P) -> list[Finding]:
    """Optional: at least 7 days between collection contacts on the same product — NIFA 2024 (status S)."""
    c = ctx.scenario.contact
    days = int(p["min_days"])
    found: list[Finding] = []
    for debt in debt_keys(ctx):
        last = [
            a.at for a in ctx.past if a.person_id == c.person_id and a.initiated_by == "collector" and about(a, debt)
        ]
        if last and ctx.t < max(last) + timedelta(days=days):
            found.append(
                min_interval.finding(
                    f"last contact about {debt or 'the debt'} under {days} days ago", max(last) + timedelta(days=days)
                )
            )
    return found


@rule("cn.message_text", f"{CBA26}; NFRA 2025 measures; PIPL Art. 25", V.BLOCK)
def message_text(ctx: Context, p: P) -> list[Finding]:
    """No threats, insults, deception, false legal claims or disclosure — CBA 2026; NFRA 2025; PIPL Art. 25."""
    return screened_text(ctx, message_text)


CN_RULES = (
    quiet_hours,
    connected_calls_daily,
    unanswered_per_number,
    debtor_only,
    designated_contact,
    unrelated_third_party,
    field_visit_recorded,
    field_visit_office,
    social_apps,
    field_visit_staff,
    min_interval,
    message_text,
)
