"""Collection-message screener (Chinese and English): the library interface the policy engine calls.

``load_screener(extra_terms=None) -> Screener``; ``Screener.screen(text, *, party="debtor",
lang="auto") -> ScreenResult`` with ``.verdict`` in {"block", "review", "pass"} and ``.findings``, a
list of ``Finding(category, start, end, evidence, rule)`` with offsets into the original text.
See docs/screening.md.
"""

from __future__ import annotations

from lendguard.collections.screening.engine import Screener, load_screener
from lendguard.collections.screening.lexicon import ExtraTerm
from lendguard.collections.screening.model import Category, Finding, Party, ScreenResult, Verdict

__all__ = ["Category", "ExtraTerm", "Finding", "Party", "ScreenResult", "Screener", "Verdict", "load_screener"]
