"""Scenario JSON (the ``policy check`` contract) to :class:`Scenario`, with errors naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from lendguard.collections.policy.model import (
    WEEKDAYS,
    Attempt,
    Channel,
    Consent,
    Contact,
    Debt,
    Debtor,
    Outcome,
    PartyRole,
    Purpose,
    Scenario,
    Window,
)
from lendguard.collections.policy.timewin import hhmm, zone

E = TypeVar("E", bound=StrEnum)
MISSING = object()


class ScenarioError(ValueError):
    """Invalid scenario input; ``field`` is the dotted path of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _get(obj: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> Any:
    value = obj.get(key, MISSING)
    if value is MISSING or (value is None and default is not MISSING):
        if default is MISSING:
            raise ScenarioError(f"{path}{key}", "is required")
        return default
    return value


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(path, "must be an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(path, "must be an array")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(path, "must be a non-empty string")
    return value


def _opt_str(value: Any, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(path, "must be true or false")
    return value


def _opt_bool(value: Any, path: str) -> bool | None:
    return None if value is None else _bool(value, path)


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(path, "must be an integer")
    return value


def _enum(kind: type[E], value: Any, path: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ScenarioError(path, f"must be one of {', '.join(m.value for m in kind)}") from None


def _time(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise ScenarioError(path, "must be an ISO-8601 timestamp with an offset")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(path, f"not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ScenarioError(path, "needs a UTC offset (e.g. +08:00)")
    return parsed


def _strs(value: Any, path: str) -> tuple[str, ...]:
    return tuple(_str(v, f"{path}[{i}]") for i, v in enumerate(_list(value, path)))


def _window(raw: Any, path: str) -> Window:
    w = _obj(raw, path)
    days = frozenset(
        WEEKDAYS.index(d) if d in WEEKDAYS else _enum_day(d, f"{path}.days[{i}]")
        for i, d in enumerate(_list(_get(w, "days", f"{path}.", list(WEEKDAYS)), f"{path}.days"))
    )
    try:
        start = hhmm(_str(_get(w, "from", f"{path}."), f"{path}.from"))
    except ValueError as exc:
        raise ScenarioError(f"{path}.from", str(exc)) from None
    try:
        end = hhmm(_str(_get(w, "to", f"{path}."), f"{path}.to"))
    except ValueError as exc:
        raise ScenarioError(f"{path}.to", str(exc)) from None
    return Window(days, start, end)


def _enum_day(value: Any, path: str) -> int:
    raise ScenarioError(path, f"must be one of {', '.join(WEEKDAYS)}")


def _debtor(raw: Any) -> Debtor:
    d = _obj(raw, "debtor")
    zones = _strs(_get(d, "timezones", "debtor.", []), "debtor.timezones")
    for i, name in enumerate(zones):
        try:
            zone(name)
        except ValueError as exc:
            raise ScenarioError(f"debtor.timezones[{i}]", str(exc)) from None
    windows = _list(_get(d, "inconvenient_windows", "debtor.", []), "debtor.inconvenient_windows")
    return Debtor(
        id=_str(_get(d, "id", "debtor."), "debtor.id"),
        timezones=zones,
        inconvenient_windows=tuple(_window(w, f"debtor.inconvenient_windows[{i}]") for i, w in enumerate(windows)),
        opted_out_channels=frozenset(
            _enum(Channel, c, f"debtor.opted_out_channels[{i}]").value
            for i, c in enumerate(_list(_get(d, "opted_out_channels", "debtor.", []), "debtor.opted_out_channels"))
        ),
        cease_requested=_bool(_get(d, "cease_requested", "debtor.", False), "debtor.cease_requested"),
        attorney_represented=_bool(_get(d, "attorney_represented", "debtor.", False), "debtor.attorney_represented"),
        employer_prohibits_contact=_bool(
            _get(d, "employer_prohibits_contact", "debtor.", False), "debtor.employer_prohibits_contact"
        ),
        reachable=_bool(_get(d, "reachable", "debtor.", True), "debtor.reachable"),
    )


def _contact(raw: Any, debtor: Debtor, all_debts: tuple[str, ...]) -> Contact:
    c = _obj(raw, "contact")
    staff = _get(c, "staff", "contact.", None)
    return Contact(
        channel=_enum(Channel, _get(c, "channel", "contact."), "contact.channel"),
        person_id=_str(_get(c, "person_id", "contact.", debtor.id), "contact.person_id"),
        role=_enum(PartyRole, _get(c, "role", "contact.", "debtor"), "contact.role"),
        debt_ids=_strs(_get(c, "debt_ids", "contact.", list(all_debts)), "contact.debt_ids"),
        purpose=_enum(Purpose, _get(c, "purpose", "contact.", "collection"), "contact.purpose"),
        number=_opt_str(c.get("number"), "contact.number"),
        place=None if c.get("place") is None else _choice(c["place"], ("home", "work", "other"), "contact.place"),
        address_kind=None
        if c.get("address_kind") is None
        else _choice(c["address_kind"], ("personal", "work"), "contact.address_kind"),
        includes_opt_out=_opt_bool(c.get("includes_opt_out"), "contact.includes_opt_out"),
        text=None if c.get("text") is None else _text(c["text"]),
        recorded=_opt_bool(c.get("recorded"), "contact.recorded"),
        staff=None if staff is None else _int(staff, "contact.staff"),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ScenarioError("contact.text", "must be a string")
    return value


def _choice(value: Any, allowed: tuple[str, ...], path: str) -> str:
    if value not in allowed:
        raise ScenarioError(path, f"must be one of {', '.join(allowed)}")
    return str(value)


def _attempt(raw: Any, path: str, debtor: Debtor) -> Attempt:
    a = _obj(raw, path)
    p = f"{path}."
    return Attempt(
        at=_time(_get(a, "at", p), f"{p}at"),
        channel=_enum(Channel, _get(a, "channel", p), f"{p}channel"),
        person_id=_str(_get(a, "person_id", p, debtor.id), f"{p}person_id"),
        role=_enum(PartyRole, _get(a, "role", p, "debtor"), f"{p}role"),
        debt_ids=_strs(_get(a, "debt_ids", p, []), f"{p}debt_ids"),
        outcome=_enum(Outcome, _get(a, "outcome", p), f"{p}outcome"),
        initiated_by=_choice(_get(a, "initiated_by", p, "collector"), ("collector", "consumer"), f"{p}initiated_by"),
        number=_opt_str(a.get("number"), f"{p}number"),
        agency_id=_opt_str(a.get("agency_id"), f"{p}agency_id"),
    )


def parse_scenario(raw: Any) -> Scenario:
    """Validate and convert one scenario object; raises :class:`ScenarioError` naming the bad field."""
    s = _obj(raw, "scenario")
    sid = _str(_get(s, "id", ""), "id")
    at = _time(_get(s, "at", ""), "at")
    debtor = _debtor(_get(s, "debtor", ""))
    debts = tuple(
        Debt(
            id=_str(_get(_obj(d, f"debts[{i}]"), "id", f"debts[{i}]."), f"debts[{i}].id"),
            days_past_due=_int(_get(d, "days_past_due", f"debts[{i}].", 0), f"debts[{i}].days_past_due"),
            disputed=_bool(_get(d, "disputed", f"debts[{i}].", False), f"debts[{i}].disputed"),
            time_barred=_bool(_get(d, "time_barred", f"debts[{i}].", False), f"debts[{i}].time_barred"),
        )
        for i, d in enumerate(_list(_get(s, "debts", "", []), "debts"))
    )
    contact = _contact(_get(s, "contact", ""), debtor, tuple(d.id for d in debts))
    consents = []
    for i, raw_c in enumerate(_list(_get(s, "consents", "", []), "consents")):
        c, p = _obj(raw_c, f"consents[{i}]"), f"consents[{i}]."
        until = c.get("until")
        consents.append(
            Consent(
                person_id=_str(_get(c, "person_id", p, debtor.id), f"{p}person_id"),
                channel=_enum(Channel, _get(c, "channel", p), f"{p}channel").value,
                start=_time(_get(c, "from", p), f"{p}from"),
                end=None if until is None else _time(until, f"{p}until"),
            )
        )
    history = tuple(
        _attempt(h, f"history[{i}]", debtor) for i, h in enumerate(_list(_get(s, "history", "", []), "history"))
    )
    return Scenario(sid, at, contact, debtor, debts, tuple(consents), history)
