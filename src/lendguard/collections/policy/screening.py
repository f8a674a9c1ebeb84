"""The hook through which the engine has a contact's message text screened (pure protocol)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ScreenFinding:
    """One problem the screener found: a category (``threat``, ``third_party_disclosure``...) and its rule."""

    category: str
    rule: str


@dataclass(frozen=True)
class ScreenOutcome:
    """The screener's verdict on a text: ``block``, ``review`` or ``pass``, with its findings."""

    verdict: str
    findings: tuple[ScreenFinding, ...] = ()


class TextScreener(Protocol):
    """Anything that screens a collection message; ``party`` is the role of the person it goes to."""

    def screen(self, text: str, party: str) -> ScreenOutcome:
        """Screen ``text`` addressed to ``party``."""
        ...
