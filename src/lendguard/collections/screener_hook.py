"""Adapts the message screener (``lendguard.collections.screening``) to the engine's ``TextScreener``.

The screener is built by another part of the capability; when its package is not installed yet the
engine runs without text screening (``load_text_screener`` returns ``None``). With the setting
``LENDGUARD_SCREENING__STATISTICAL`` on, the screener is wrapped by the optional statistical insult
layer, as in the screening API and ``lendguard screen``.
"""

from __future__ import annotations

import importlib
from typing import Any

from lendguard.collections.policy.screening import ScreenFinding, ScreenOutcome, TextScreener


class ScreenerAdapter:
    """Wraps a screener whose ``screen(text, party=..., lang="auto")`` returns ``.verdict``/``.findings``."""

    def __init__(self, screener: Any) -> None:
        self.screener = screener

    def screen(self, text: str, party: str) -> ScreenOutcome:
        """Screen ``text`` for ``party`` and convert the result to the engine's outcome."""
        result = self.screener.screen(text, party=party, lang="auto")
        verdict = str(getattr(result.verdict, "value", result.verdict))
        findings = tuple(
            ScreenFinding(str(getattr(f.category, "value", f.category)), str(f.rule)) for f in result.findings
        )
        return ScreenOutcome(verdict, findings)


def load_text_screener(statistical: bool | None = None) -> TextScreener | None:
    """The real message screener, adapted; ``None`` when the screening package is not available.

    ``statistical`` adds the statistical insult layer; ``None`` reads the setting from the environment
    (the composition root passes its settings' value).
    """
    try:
        module = importlib.import_module("lendguard.collections.screening")
    except ModuleNotFoundError:
        return None
    loader = getattr(module, "load_screener", None)
    if loader is None:
        return None
    screener = loader()
    if statistical is None:
        statistical = _statistical_setting()
    if statistical:
        from lendguard.collections.screening.statistical import WithInsultModel, load_insult_model

        screener = WithInsultModel(screener, load_insult_model())
    return ScreenerAdapter(screener)


def _statistical_setting() -> bool:
    """``LENDGUARD_SCREENING__STATISTICAL`` (false when the settings cannot be read)."""
    from lendguard.platform.settings import Settings

    try:
        return Settings().screening.statistical
    except ValueError:
        return False
