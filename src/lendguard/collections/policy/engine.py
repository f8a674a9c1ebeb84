"""The decision: run a pack's rules on a scenario and find the earliest instant the contact is allowed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lendguard.collections.policy.model import Decision, Scenario, Verdict
from lendguard.collections.policy.packs import Pack
from lendguard.collections.policy.registry import Context, Finding
from lendguard.collections.policy.screening import ScreenOutcome, TextScreener
from lendguard.collections.policy.timewin import local_date, offset_zone, zone

# next_allowed_at is searched this far ahead; beyond it (or after this many steps) the answer is null.
HORIZON = timedelta(days=400)
MAX_STEPS = 200


def _context(scenario: Scenario, t: datetime, screen: ScreenOutcome | None) -> Context:
    zones = tuple(zone(name) for name in scenario.debtor.timezones) or (offset_zone(scenario.at),)
    # History at the contact's own instant is prior: the planned contact itself is never in the history, so an
    # attempt stamped at the same instant (a fixed clock, a dialer's minute stamps, a concurrent attempt
    # recorded first under the debtor's lock) already happened. Later entries are ignored.
    past = tuple(a for a in scenario.history if a.at <= scenario.at)
    days = tuple(local_date(a.at, zones[0]) for a in past)
    return Context(scenario, t, zones, zones[0], past, screen, days)


def evaluate(pack: Pack, ctx: Context) -> list[Finding]:
    """Every finding of every active rule of ``pack`` at ``ctx.t``, in pack order."""
    found: list[Finding] = []
    for rule in pack.active():
        found += rule.check(ctx, pack.values(rule))
    return found


def verdict_of(findings: list[Finding]) -> Verdict:
    """``block`` if any finding blocks, ``review`` if any asks for review, else ``allow``."""
    severities = {f.violation.severity for f in findings}
    if Verdict.BLOCK in severities:
        return Verdict.BLOCK
    return Verdict.REVIEW if severities else Verdict.ALLOW


def decide(scenario: Scenario, pack: Pack, screener: TextScreener | None = None) -> Decision:
    """Decide ``scenario`` under ``pack``; the contact's text goes through ``screener`` when both exist.

    ``next_allowed_at`` is the earliest instant ≥ ``at`` at which the same contact (same facts, same history)
    would get ``allow``: each finding says when its rule stops objecting, the engine jumps to the latest of
    those and re-evaluates until nothing objects; ``None`` when a rule never stops objecting.
    """
    text = scenario.contact.text
    screen = screener.screen(text, scenario.contact.role.value) if (screener is not None and text) else None
    at = scenario.at.astimezone(UTC)
    base = _context(scenario, at, screen)
    findings = evaluate(pack, base)
    return Decision(
        scenario.id,
        verdict_of(findings),
        tuple(f.violation for f in findings),
        _next_allowed(pack, base, findings),
    )


def _next_allowed(pack: Pack, base: Context, findings: list[Finding]) -> datetime | None:
    out_zone = base.scenario.at.tzinfo
    t = base.t
    for _ in range(MAX_STEPS):
        if not findings:
            return t.astimezone(out_zone)
        untils = [f.until for f in findings]
        if any(u is None for u in untils):
            return None
        nxt = max(u for u in untils if u is not None)
        if nxt <= t or nxt - base.t > HORIZON:
            return None
        t = nxt
        findings = evaluate(pack, replace(base, t=t))
    return None
