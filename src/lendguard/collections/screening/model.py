"""Pure domain of the message screener: categories, rule entries, findings and the verdict.

The categories follow the prohibited conduct of CN-CBA26-04 (the "8 red lines"), CN-NFRA-SLC25-01
(small-loan companies), CN-NIFA24-03 (collect only from the debtor), CN-PIPL-25 (no public disclosure)
and, for English text, 12 CFR 1006.14(a) (harassment), 1006.18 (false representations), 1006.6(d)
(US-F-6d-01, third-party bar) and 1006.26(b) (US-F-26-01, threats to sue on time-barred debt).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Category(StrEnum):
    """What kind of prohibited content a finding is."""

    THREAT = "threat"
    INSULT = "insult"
    FALSE_AUTHORITY = "false_authority"
    DISCLOSURE = "disclosure"
    EXPOSURE_THREAT = "exposure_threat"
    PRIVACY_EXPOSURE = "privacy_exposure"
    GOODS_MENTION = "goods_mention"
    UNFAIR_DEMAND = "unfair_demand"


class Party(StrEnum):
    """Who receives the message; disclosure depends on it (US-F-6d-01, CN-NIFA24-03, CN-NFRA-SLC25-01 (5))."""

    DEBTOR = "debtor"
    DESIGNATED_CONTACT = "designated_contact"
    THIRD_PARTY = "third_party"


class Verdict(StrEnum):
    """``block``: must not be sent; ``review``: a person must look first; ``pass``: may be sent."""

    BLOCK = "block"
    REVIEW = "review"
    PASS = "pass"


VERDICTS: tuple[str, ...] = ("block", "review", "pass")
LANGS: tuple[str, ...] = ("auto", "zh", "en")


@dataclass(frozen=True)
class Entry:
    """One rule of a lexicon: an id, its category, the surface forms it matches and its severity.

    ``severity`` is ``block`` or ``review``. ``source`` names the legal rule the entry enforces.
    ``context`` lists the context rules that may cancel a hit (``negation``, ``quote``).
    """

    id: str
    category: Category
    lang: str
    terms: tuple[str, ...]
    severity: Verdict = Verdict.BLOCK
    source: str = ""
    context: tuple[str, ...] = ("negation", "quote")
    pinyin: bool = False


@dataclass(frozen=True)
class Finding:
    """One piece of prohibited content; ``start``/``end`` are offsets into the ORIGINAL text."""

    category: str
    start: int
    end: int
    evidence: str
    rule: str

    def as_dict(self) -> dict[str, object]:
        """The JSON shape used by the CLI and the API."""
        return {
            "category": self.category,
            "start": self.start,
            "end": self.end,
            "evidence": self.evidence,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class ScreenResult:
    """The verdict on one message and the findings that explain it."""

    verdict: str
    findings: list[Finding] = field(default_factory=list)
    lang: str = "zh"

    @property
    def categories(self) -> set[str]:
        """The distinct categories found."""
        return {f.category for f in self.findings}


class ScreensText(Protocol):
    """What screens messages: the rule screener (``engine.Screener``) or it wrapped by the statistical layer."""

    def screen(self, text: str, *, party: str = ..., lang: str = ...) -> ScreenResult: ...

    def screen_many(self, texts: Sequence[str], *, party: str = ..., lang: str = ...) -> list[ScreenResult]: ...


def party_of(value: str) -> Party:
    """Parse a party name, with a clear error for anything else."""
    try:
        return Party(value)
    except ValueError:
        allowed = ", ".join(p.value for p in Party)
        raise ValueError(f"unknown party {value!r} (expected one of: {allowed})") from None


def lang_of(value: str) -> str:
    """Parse a language option (``auto``, ``zh`` or ``en``)."""
    if value not in LANGS:
        raise ValueError(f"unknown language {value!r} (expected one of: {', '.join(LANGS)})")
    return value


def decide(severities: list[tuple[str, Verdict]], party: Party) -> Verdict:
    """The message verdict from the severity of each finding.

    Any ``block`` finding blocks. Naming the goods bought is blocked towards anyone but the debtor
    (it discloses the debt, CN-NFRA-SLC25-01 (4)) and only flagged for review towards the debtor.
    """
    verdict = Verdict.PASS
    for category, severity in severities:
        effective = severity
        if category == Category.GOODS_MENTION and party is not Party.DEBTOR:
            effective = Verdict.BLOCK
        if effective is Verdict.BLOCK:
            return Verdict.BLOCK
        if effective is Verdict.REVIEW:
            verdict = Verdict.REVIEW
    return verdict
