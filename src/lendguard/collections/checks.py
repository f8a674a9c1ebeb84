"""Reading scenario files and running the engine over them (shared by the CLI and the API)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lendguard.collections.policy.engine import decide
from lendguard.collections.policy.packs import Pack, PackError, get_pack, tighten
from lendguard.collections.policy.parse import ScenarioError, parse_scenario
from lendguard.collections.policy.screening import TextScreener


class InputError(ValueError):
    """Bad input to a policy command, with a message that names the file, scenario and field."""


def load_json(text: str, source: str) -> Any:
    """Parse JSON text, naming the line and column of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})") from None


def make_pack(name: str, overrides: Mapping[str, Mapping[str, object]] | None = None) -> Pack:
    """A built-in pack, tightened by ``overrides`` when given."""
    try:
        pack = get_pack(name)
        return tighten(pack, overrides) if overrides else pack
    except PackError as exc:
        raise InputError(str(exc)) from None


def check_all(data: Any, pack: Pack, screener: TextScreener | None, source: str = "input") -> list[dict[str, object]]:
    """Decide one scenario or an array of them; every scenario is validated before any is decided."""
    items = data if isinstance(data, list) else [data]
    scenarios = []
    for i, raw in enumerate(items):
        try:
            scenarios.append(parse_scenario(raw))
        except ScenarioError as exc:
            sid = raw.get("id") if isinstance(raw, dict) else None
            where = f"scenario {i}" + (f" (id {sid!r})" if isinstance(sid, str) else "")
            raise InputError(f"{source}: {where}: field {exc.field}: {exc.message}") from None
    return [decide(s, pack, screener).as_dict() for s in scenarios]
