"""Adapts the message screener (``lendguard.collections.screening``) to the engine's ``TextScreener``.

With the setting ``LENDGUARD_SCREENING__STATISTICAL`` on, the screener is wrapped by the optional
statistical insult layer, as in the screening API and ``lendguard screen``.
"""

from __future__ import annotations

from typing import Any

from lendguard.collections.policy.screening import ScreenFinding, ScreenOutcome, TextScreener
from lendguard.collections.screening import load_screener


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


def load_text_screener(statistical: bool | None = None) -> TextScreener:
    """The real message screener, adapted to the policy engine.

    ``statistical`` adds the statistical insult layer; ``None`` reads the setting from the environment
    (the composition root passes its settings' value).
    """
    screener: Any = load_screener()
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
