"""Helpers shared by the rule packs: history queries, time windows and the message-text hook (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from lendguard.collections.policy.model import Attempt, Channel, Verdict
from lendguard.collections.policy.registry import Context, Finding, Rule
from lendguard.collections.policy.timewin import (
    day_start,
    fmt_hhmm,
    in_window,
    local_date,
    local_instant,
    minute_of_day,
    next_opening,
)

# Letters are posted, not delivered at a chosen minute, so the time-of-day rules leave them alone.
TIMED_CHANNELS = frozenset(c for c in Channel if c is not Channel.LETTER)


def about(attempt: Attempt, debt_id: str) -> bool:
    """True when ``attempt`` concerns ``debt_id`` (an attempt naming no debt concerns every debt)."""
    return not debt_id or not attempt.debt_ids or debt_id in attempt.debt_ids


def debt_keys(ctx: Context) -> tuple[str, ...]:
    """The debts the contact is about; ``("",)`` (every debt) when it names none."""
    return ctx.scenario.contact.debt_ids or ("",)


def same_day(ctx: Context) -> Iterator[Attempt]:
    """Past attempts on the local day (debtor's day zone) of the evaluated instant."""
    today = local_date(ctx.t, ctx.day_zone)
    return (a for a, day in zip(ctx.past, ctx.past_days, strict=True) if day == today)


def next_day(ctx: Context) -> datetime:
    """Local midnight after the evaluated instant."""
    return day_start(local_date(ctx.t, ctx.day_zone) + timedelta(days=1), ctx.day_zone)


def zone_name(tz: object) -> str:
    """A readable name of a zone (IANA key or fixed offset)."""
    return str(getattr(tz, "key", None) or tz)


def daily_window(ctx: Context, rule: Rule, start: int, end: int, *, end_inclusive: bool, label: str) -> list[Finding]:
    """Object when the evaluated instant is outside [start, end] local time in **any** of the debtor's zones.

    ``until`` is the latest next opening among the zones that object; the engine re-evaluates from there,
    so an intersection of several zones' windows is found exactly (or never, when it is empty).
    """
    contact = ctx.scenario.contact
    if contact.channel not in TIMED_CHANNELS or ctx.consented(contact.person_id, contact.channel, ctx.t):
        return []
    closed = [tz for tz in ctx.zones if not in_window(ctx.t, tz, start, end, end_inclusive=end_inclusive)]
    if not closed:
        return []
    where = ", ".join(f"{ctx.t.astimezone(tz).strftime('%H:%M')} in {zone_name(tz)}" for tz in closed)
    until = max(next_opening(ctx.t, tz, start) for tz in closed)
    return [rule.finding(f"{where} is outside {label} {fmt_hhmm(start)}-{fmt_hhmm(end)}", until)]


def inconvenient(ctx: Context, rule: Rule) -> list[Finding]:
    """Object inside a debtor-designated inconvenient window (in each of the debtor's zones)."""
    contact = ctx.scenario.contact
    if contact.channel not in TIMED_CHANNELS or ctx.consented(contact.person_id, contact.channel, ctx.t):
        return []
    ends: list[datetime] = []
    for tz in ctx.zones:
        day = local_date(ctx.t, tz)
        m = minute_of_day(ctx.t, tz)
        for w in ctx.scenario.debtor.inconvenient_windows:
            if w.start < w.end:
                if day.weekday() in w.days and w.start <= m < w.end:
                    ends.append(local_instant(day, w.end, tz))
            else:  # wraps past midnight: the part after the start, and the part before the end next day
                if day.weekday() in w.days and m >= w.start:
                    ends.append(local_instant(day + timedelta(days=1), w.end, tz))
                elif (day - timedelta(days=1)).weekday() in w.days and m < w.end:
                    ends.append(local_instant(day, w.end, tz))
    if not ends:
        return []
    return [rule.finding("the debtor named this time as inconvenient", max(ends))]


def screened(ctx: Context, rule: Rule) -> list[Finding]:
    """Turn the screener's verdict on the contact's text into a finding (fixed text: it never expires)."""
    outcome = ctx.screen
    if outcome is None or outcome.verdict == "pass":
        return []
    categories = ", ".join(sorted({f.category for f in outcome.findings})) or "unspecified"
    severity = Verdict.BLOCK if outcome.verdict == "block" else Verdict.REVIEW
    return [rule.finding(f"message text failed screening: {categories}", None, severity)]
