"""Rule packs: a named set of rules with parameters; institutions may tighten a pack, never loosen it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lendguard.collections.policy.cn import CN_RULES
from lendguard.collections.policy.registry import ParamValue, Rule
from lendguard.collections.policy.timewin import hhmm
from lendguard.collections.policy.us_regf import US_RULES


class PackError(ValueError):
    """An unknown pack, an unknown rule or parameter, or an override that loosens the pack."""


@dataclass(frozen=True)
class Pack:
    """A named set of rules; ``enabled`` lists the rules in force, ``params`` their parameter values."""

    name: str
    rules: tuple[Rule, ...]
    enabled: frozenset[str]
    params: Mapping[str, Mapping[str, ParamValue]] = field(default_factory=dict)

    def active(self) -> tuple[Rule, ...]:
        """The rules in force, in pack order."""
        return tuple(r for r in self.rules if r.id in self.enabled)

    def values(self, rule: Rule) -> dict[str, ParamValue]:
        """Parameter values of ``rule`` in this pack (pack defaults overlaid by overrides)."""
        given = self.params.get(rule.id, {})
        return {p.name: given.get(p.name, p.default) for p in rule.params}

    def describe(self) -> list[dict[str, object]]:
        """Each rule with its source, whether it is on and its parameters (for docs, API and CLI)."""
        return [
            {
                "rule": r.id,
                "source": r.source,
                "severity": r.severity.value,
                "enabled": r.id in self.enabled,
                "optional": r.optional,
                "params": self.values(r),
                "doc": r.doc,
            }
            for r in self.rules
        ]


def _base(name: str, rules: tuple[Rule, ...]) -> Pack:
    return Pack(name, rules, frozenset(r.id for r in rules if not r.optional))


BUILTIN: dict[str, Pack] = {"cn": _base("cn", CN_RULES), "us-regf": _base("us-regf", US_RULES)}


def get_pack(name: str) -> Pack:
    """A built-in pack by name (``cn`` or ``us-regf``)."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise PackError(f"unknown pack {name!r}; known: {', '.join(sorted(BUILTIN))}") from None


def _coerce(rule: Rule, name: str, value: object) -> ParamValue:
    param = rule.param(name)
    if isinstance(param.default, bool):
        if not isinstance(value, bool):
            raise PackError(f"{rule.id}.{name}: expected true or false")
        return value
    if isinstance(value, str):
        try:
            return hhmm(value)
        except ValueError as exc:
            raise PackError(f"{rule.id}.{name}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PackError(f"{rule.id}.{name}: expected an integer")
    return value


def tighten(pack: Pack, overrides: Mapping[str, Mapping[str, object]]) -> Pack:
    """``pack`` with an institution's overrides; a change that loosens the pack raises :class:`PackError`.

    ``overrides`` maps a rule id to ``{"enabled": bool, <param>: value}``; time parameters accept "HH:MM".
    Switching a rule on, lowering a cap or narrowing a window tightens; anything else is refused.
    """
    by_id = {r.id: r for r in pack.rules}
    enabled = set(pack.enabled)
    params: dict[str, dict[str, ParamValue]] = {k: dict(v) for k, v in pack.params.items()}
    for rule_id, changes in overrides.items():
        rule = by_id.get(rule_id)
        if rule is None:
            raise PackError(f"pack {pack.name!r} has no rule {rule_id!r}")
        for name, raw in changes.items():
            if name == "enabled":
                if raw is True:
                    enabled.add(rule_id)
                elif raw is False and rule_id in pack.enabled:
                    raise PackError(f"{rule_id}: switching off a rule of pack {pack.name!r} would loosen it")
                elif raw is not False:
                    raise PackError(f"{rule_id}.enabled: expected true or false")
                continue
            try:
                param = rule.param(name)
            except KeyError:
                raise PackError(f"rule {rule_id!r} has no parameter {name!r}") from None
            value = _coerce(rule, name, raw)
            current = pack.values(rule)[name]
            looser = (
                (param.tighter == "lower" and value > current)
                or (param.tighter == "higher" and value < current)
                or (param.tighter == "true" and current is True and value is False)
            )
            if looser:
                raise PackError(
                    f"{rule_id}.{name}={raw!r} would loosen pack {pack.name!r} (pack value {current!r}; "
                    f"only {'lower' if param.tighter == 'lower' else 'higher'} values are allowed)"
                )
            params.setdefault(rule_id, {})[name] = value
    return Pack(pack.name, pack.rules, frozenset(enabled), params)
