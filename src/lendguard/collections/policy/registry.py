"""Rules as small registered units: an id, a legal source, a severity and tunable parameters.

A rule is a function ``check(ctx, params) -> list[Finding]`` registered with :func:`rule`. Its one-line
docstring names its legal source. A :class:`Finding` carries the violation and ``until``: the first
instant at which this rule would stop objecting to the same contact (``None`` when it never will),
from which the engine computes ``next_allowed_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from lendguard.collections.policy.model import Attempt, Consent, Scenario, Verdict, Violation
from lendguard.collections.policy.screening import ScreenOutcome
from lendguard.collections.policy.timewin import day_start, local_date

ParamValue = int | bool
# Which way a parameter tightens: "lower" (caps, the end of a window), "higher" (cool-downs, the start of
# a window) or "true" (a switch whose True is the stricter setting).
Tighter = Literal["lower", "higher", "true"]


@dataclass(frozen=True)
class Param:
    """A tunable parameter of a rule, with its pack default and the direction that tightens it."""

    name: str
    default: ParamValue
    tighter: Tighter
    help: str = ""


@dataclass(frozen=True)
class Context:
    """What a rule sees: the scenario, the instant ``t`` being evaluated and the precomputed zones."""

    scenario: Scenario
    t: datetime
    zones: tuple[tzinfo, ...]
    day_zone: tzinfo
    past: tuple[Attempt, ...]
    screen: ScreenOutcome | None
    past_days: tuple[date, ...] = ()  # local date (day zone) of each past attempt, computed once per decision

    def consented(self, person_id: str, channel: str, t: datetime, max_days: int | None = None) -> bool:
        """True when ``person_id`` consented to ``channel`` at instant ``t`` (optionally for ≤ max_days days)."""
        return any(self._covers(c, person_id, channel, t, max_days) for c in self.scenario.consents)

    def _covers(self, c: Consent, person_id: str, channel: str, t: datetime, max_days: int | None) -> bool:
        if c.person_id != person_id or c.channel != channel or t < c.start:
            return False
        end = c.end
        if max_days is not None:
            # The consent date is day 1 of the period (Reg F 1006.14(b)(3)(i)), in the debtor's day zone.
            cap = day_start(local_date(c.start, self.day_zone) + timedelta(days=max_days), self.day_zone)
            end = cap if end is None else min(end, cap)
        return end is None or t < end


@dataclass(frozen=True)
class Finding:
    """A violation and the instant the rule stops objecting (``None``: never, with the same facts)."""

    violation: Violation
    until: datetime | None


Check = Callable[[Context, Mapping[str, ParamValue]], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    id: str
    source: str
    severity: Verdict
    params: tuple[Param, ...]
    optional: bool
    check: Check
    doc: str

    def param(self, name: str) -> Param:
        """The parameter called ``name`` (``KeyError`` when the rule has none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def finding(self, message: str, until: datetime | None, severity: Verdict | None = None) -> Finding:
        """A finding of this rule."""
        return Finding(Violation(self.id, self.source, severity or self.severity, message), until)


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, source: str, severity: Verdict, *params: Param, optional: bool = False
) -> Callable[[Check], Rule]:
    """Register ``check`` as rule ``rule_id``; ``optional`` rules are off unless a pack switches them on."""

    def register(check: Check) -> Rule:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id!r} registered twice")
        doc = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else ""
        made = Rule(rule_id, source, severity, params, optional, check, doc)
        RULES[rule_id] = made
        return made

    return register
