"""Rules of the ``us-regf`` pack: FDCPA (15 U.S.C. 1692 et seq.) and Regulation F (12 CFR part 1006)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from lendguard.collections.policy.common import about, daily_window, debt_keys, inconvenient, next_day, same_day
from lendguard.collections.policy.common import screened as screened_text
from lendguard.collections.policy.model import ELECTRONIC, UNCONNECTED, Attempt, Channel, Outcome, PartyRole, Purpose
from lendguard.collections.policy.model import Verdict as V
from lendguard.collections.policy.registry import Context, Finding, Param, ParamValue, rule
from lendguard.collections.policy.timewin import day_start, local_date

THIRD_PARTIES = frozenset(
    {PartyRole.DESIGNATED_CONTACT, PartyRole.RELATED_THIRD_PARTY, PartyRole.UNRELATED_THIRD_PARTY, PartyRole.EMPLOYER}
)
UNANSWERED = frozenset({Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.MESSAGE_LEFT})
COMMUNICATED = frozenset({Outcome.CONVERSATION, Outcome.DELIVERED, Outcome.MESSAGE_LEFT, Outcome.VOICEMAIL})
P = Mapping[str, ParamValue]


def _frequency_exempt(ctx: Context) -> bool:
    """Calls outside the presumptions: not a call, to the attorney (b)(3)(iii), or consented (b)(3)(i)."""
    c = ctx.scenario.contact
    return (
        c.channel is not Channel.CALL
        or c.role is PartyRole.ATTORNEY
        or ctx.consented(c.person_id, "call", ctx.t, max_days=7)
    )


def _counted(ctx: Context, a: Attempt, person: str, debt: str) -> bool:
    """A past call that counts toward 7-in-7: placed by the collector, connected, not excluded."""
    return (
        a.channel is Channel.CALL
        and a.person_id == person
        and a.initiated_by == "collector"
        and a.outcome not in UNCONNECTED
        and a.role is not PartyRole.ATTORNEY
        and about(a, debt)
        and not ctx.consented(a.person_id, "call", a.at, max_days=7)
    )


@rule(
    "us.quiet_hours",
    "15 U.S.C. 1692c(a)(1); 12 CFR 1006.6(b)(1)(i)",
    V.BLOCK,
    Param("allowed_from", 8 * 60, "higher", "start of the convenient day, minutes after local midnight"),
    Param("allowed_until", 21 * 60, "lower", "end of the convenient day (inclusive), minutes after local midnight"),
)
def quiet_hours(ctx: Context, p: P) -> list[Finding]:
    """No contact before 08:00 or after 21:00 local time in any zone the debtor may be in — 15 U.S.C. 1692c(a)(1)."""
    return daily_window(
        ctx,
        quiet_hours,
        int(p["allowed_from"]),
        int(p["allowed_until"]),
        end_inclusive=True,
        label="the convenient hours",
    )


@rule("us.inconvenient_time", "12 CFR 1006.6(b)(1)(i); comment 6(b)(1)-1", V.BLOCK)
def inconvenient_time(ctx: Context, p: P) -> list[Finding]:
    """No contact at a time the consumer designated as inconvenient — 12 CFR 1006.6(b)(1)(i), comment 6(b)(1)-1."""
    return inconvenient(ctx, inconvenient_time)


@rule(
    "us.call_frequency",
    "12 CFR 1006.14(b)(2)(i)(A), (b)(2)(ii)",
    V.BLOCK,
    Param("max_calls", 7, "lower", "calls per person per debt within the window"),
    Param("window_days", 7, "higher", "length of the rolling window in days"),
)
def call_frequency(ctx: Context, p: P) -> list[Finding]:
    """At most 7 calls to a person about a debt within 7 consecutive days — 12 CFR 1006.14(b)(2)(i)(A)."""
    if _frequency_exempt(ctx):
        return []
    c = ctx.scenario.contact
    limit, window = int(p["max_calls"]), int(p["window_days"])
    today = local_date(ctx.t, ctx.day_zone)
    first = today - timedelta(days=window - 1)
    found: list[Finding] = []
    for debt in debt_keys(ctx):
        recent = zip(ctx.past, ctx.past_days, strict=True)
        days = sorted(d for a, d in recent if d >= first and _counted(ctx, a, c.person_id, debt))
        if len(days) >= limit:
            # The window frees a slot on the day the (n - limit + 1)-th oldest call leaves it.
            free = day_start(days[len(days) - limit] + timedelta(days=window), ctx.day_zone)
            found.append(
                call_frequency.finding(
                    f"{len(days)} calls to {c.person_id} about debt {debt or '(any)'} in the last {window} days "
                    f"(limit {limit})",
                    free,
                )
            )
    return found


@rule("us.conversation_cooldown", "12 CFR 1006.14(b)(2)(i)(B)", V.BLOCK, Param("cooldown_days", 7, "higher"))
def conversation_cooldown(ctx: Context, p: P) -> list[Finding]:
    """No call for 7 days after a telephone conversation about the debt (day 1) — 12 CFR 1006.14(b)(2)(i)(B)."""
    if _frequency_exempt(ctx):
        return []
    c = ctx.scenario.contact
    days = int(p["cooldown_days"])
    today = local_date(ctx.t, ctx.day_zone)
    found: list[Finding] = []
    for debt in debt_keys(ctx):
        talks = [
            d
            for a, d in zip(ctx.past, ctx.past_days, strict=True)
            if a.channel is Channel.CALL
            and a.person_id == c.person_id
            and a.outcome is Outcome.CONVERSATION
            and about(a, debt)
        ]
        if talks and today <= max(talks) + timedelta(days=days - 1):
            ends = day_start(max(talks) + timedelta(days=days), ctx.day_zone)
            found.append(
                conversation_cooldown.finding(
                    f"telephone conversation with {c.person_id} about debt {debt or '(any)'} on {max(talks)}; "
                    f"no call for {days} days",
                    ends,
                )
            )
    return found


@rule(
    "us.call_pattern",
    "12 CFR 1006.14(b)(2)(i)-(ii) rebuttal factors; CFPB FAQ",
    V.REVIEW,
    Param("rapid_minutes", 5, "higher", "two unanswered calls to one number within this many minutes"),
    Param("per_number_day", 7, "lower", "calls to one number in one day"),
)
def call_pattern(ctx: Context, p: P) -> list[Finding]:
    """Patterns that may rebut compliance (2 unanswered calls in 5 min, 7 a day to a number) — 1006.14(b)(2) FAQ."""
    c = ctx.scenario.contact
    if c.channel is not Channel.CALL or not c.number:
        return []
    to_number = [
        a for a in ctx.past if a.channel is Channel.CALL and a.number == c.number and a.initiated_by == "collector"
    ]
    found: list[Finding] = []
    window = timedelta(minutes=int(p["rapid_minutes"]))
    recent = [a.at for a in to_number if a.outcome in UNANSWERED and ctx.t - a.at < window]
    if recent:
        found.append(
            call_pattern.finding(f"an unanswered call to this number under {window} ago", max(recent) + window)
        )
    per_day = int(p["per_number_day"])
    today = [a for a in same_day(ctx) if a in to_number]
    if len(today) >= per_day - 1:
        found.append(call_pattern.finding(f"this would be call {len(today) + 1} to this number today", next_day(ctx)))
    return found


@rule("us.workplace", "15 U.S.C. 1692c(a)(3); 12 CFR 1006.6(b)(3)", V.BLOCK)
def workplace(ctx: Context, p: P) -> list[Finding]:
    """No communication at the consumer's workplace when the employer prohibits it — 15 U.S.C. 1692c(a)(3)."""
    c, d = ctx.scenario.contact, ctx.scenario.debtor
    if c.place == "work" and d.employer_prohibits_contact and c.role is PartyRole.DEBTOR:
        return [workplace.finding("the debtor's employer prohibits such communications", None)]
    return []


@rule("us.work_email", "12 CFR 1006.22(f)(3) (unverified wording)", V.BLOCK, optional=True)
def work_email(ctx: Context, p: P) -> list[Finding]:
    """Optional: no email to an address provided by the employer — 12 CFR 1006.22(f)(3) (status R)."""
    c = ctx.scenario.contact
    if c.channel is Channel.EMAIL and c.address_kind == "work":
        return [work_email.finding("email to a work address", None)]
    return []


@rule("us.attorney_represented", "15 U.S.C. 1692c(a)(2); 12 CFR 1006.6(b)(2)", V.BLOCK)
def attorney_represented(ctx: Context, p: P) -> list[Finding]:
    """No contact with a consumer known to be represented by an attorney — 15 U.S.C. 1692c(a)(2)."""
    c = ctx.scenario.contact
    if ctx.scenario.debtor.attorney_represented and c.role is PartyRole.DEBTOR:
        return [attorney_represented.finding("the debtor is represented by an attorney: contact the attorney", None)]
    return []


@rule("us.cease_communication", "15 U.S.C. 1692c(c); 12 CFR 1006.6(c)", V.BLOCK)
def cease_communication(ctx: Context, p: P) -> list[Finding]:
    """After a cease request, only the notices 1692c(c) permits — 15 U.S.C. 1692c(c); 12 CFR 1006.6(c)."""
    c = ctx.scenario.contact
    if ctx.scenario.debtor.cease_requested and c.role is PartyRole.DEBTOR and c.purpose is not Purpose.NOTICE:
        return [cease_communication.finding("the debtor asked the collector to cease communication", None)]
    return []


@rule("us.third_party", "15 U.S.C. 1692c(b), 1692b(6); 12 CFR 1006.6(d)(1), 1006.10", V.BLOCK)
def third_party(ctx: Context, p: P) -> list[Finding]:
    """Third parties only for location information, never once an attorney is known — 15 U.S.C. 1692c(b), 1692b."""
    c = ctx.scenario.contact
    if c.role not in THIRD_PARTIES:
        return []
    if c.purpose is not Purpose.LOCATION_INFO:
        return [third_party.finding(f"no communication about the debt with a {c.role.value}", None)]
    if ctx.scenario.debtor.attorney_represented:
        return [third_party.finding("the debtor has an attorney: location contacts go to the attorney only", None)]
    return []


@rule("us.location_once", "15 U.S.C. 1692b(3); 12 CFR 1006.10(c)", V.BLOCK)
def location_once(ctx: Context, p: P) -> list[Finding]:
    """A third party may be contacted for location information only once unless they ask — 15 U.S.C. 1692b(3)."""
    c = ctx.scenario.contact
    if c.role not in THIRD_PARTIES or c.purpose is not Purpose.LOCATION_INFO:
        return []
    if ctx.consented(c.person_id, c.channel, ctx.t):
        return []  # the person asked to be contacted again
    if any(
        a.person_id == c.person_id and a.initiated_by == "collector" and a.outcome in COMMUNICATED for a in ctx.past
    ):
        return [location_once.finding(f"{c.person_id} was already contacted for location information", None)]
    return []


@rule("us.opted_out_medium", "12 CFR 1006.14(h)(1)", V.BLOCK)
def opted_out_medium(ctx: Context, p: P) -> list[Finding]:
    """No communication through a medium the person asked the collector not to use — 12 CFR 1006.14(h)(1)."""
    c = ctx.scenario.contact
    opted_out = c.role is PartyRole.DEBTOR and c.channel.value in ctx.scenario.debtor.opted_out_channels
    if opted_out and c.purpose is not Purpose.NOTICE:  # (h)(2)(iii): communications required by law
        return [opted_out_medium.finding(f"the debtor opted out of {c.channel.value}", None)]
    return []


@rule("us.electronic_opt_out", "12 CFR 1006.6(e), 1006.6(d)(4)(ii)(C)(4)", V.BLOCK)
def electronic_opt_out(ctx: Context, p: P) -> list[Finding]:
    """Every electronic communication must say how to opt out of further electronic contact — 12 CFR 1006.6(e)."""
    c = ctx.scenario.contact
    if c.channel in ELECTRONIC and c.includes_opt_out is False:
        return [electronic_opt_out.finding(f"{c.channel.value} without opt-out instructions", None)]
    return []


@rule("us.social_media_private", "12 CFR 1006.22(f)(4)", V.REVIEW)
def social_media_private(ctx: Context, p: P) -> list[Finding]:
    """No social-media communication the public or the person's contacts can see — 12 CFR 1006.22(f)(4)."""
    if ctx.scenario.contact.channel is Channel.SOCIAL_MEDIA:
        return [social_media_private.finding("confirm the social-media message is private", None)]
    return []


@rule("us.disputed_debt", "12 CFR 1006.38(d)(2)", V.BLOCK)
def disputed_debt(ctx: Context, p: P) -> list[Finding]:
    """Collection of a disputed debt stops until it is verified — 12 CFR 1006.38(d)(2)."""
    c = ctx.scenario.contact
    disputed = sorted(d.id for d in ctx.scenario.debts if d.disputed and d.id in c.debt_ids)
    if disputed and c.purpose is Purpose.COLLECTION:
        return [disputed_debt.finding(f"debt {', '.join(disputed)} is disputed and not yet verified", None)]
    return []


@rule("us.time_barred", "12 CFR 1006.26(b) (unverified wording)", V.REVIEW, optional=True)
def time_barred(ctx: Context, p: P) -> list[Finding]:
    """Optional: flag contacts about time-barred debts (no suit or threat of suit) — 12 CFR 1006.26(b) (status R/S)."""
    c = ctx.scenario.contact
    barred = sorted(d.id for d in ctx.scenario.debts if d.time_barred and d.id in c.debt_ids)
    if barred:
        return [time_barred.finding(f"debt {', '.join(barred)} is time-barred: no suit, no threat of suit", None)]
    return []


@rule("us.message_text", "15 U.S.C. 1692d-1692f; 12 CFR 1006.14(a), 1006.18", V.BLOCK)
def message_text(ctx: Context, p: P) -> list[Finding]:
    """The message must not harass, threaten, deceive or disclose the debt — 15 U.S.C. 1692d-1692f; 12 CFR 1006.18."""
    return screened_text(ctx, message_text)


US_RULES = (
    quiet_hours,
    inconvenient_time,
    call_frequency,
    conversation_cooldown,
    call_pattern,
    workplace,
    work_email,
    attorney_represented,
    cease_communication,
    third_party,
    location_once,
    opted_out_medium,
    electronic_opt_out,
    social_media_private,
    disputed_debt,
    time_barred,
    message_text,
)
