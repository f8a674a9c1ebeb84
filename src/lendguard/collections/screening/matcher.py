"""Pure matcher: turns raw multi-pattern hits into findings, applying the context rules.

The automaton itself (Aho-Corasick, ``ahocorasick_rs``, built by
:mod:`lendguard.collections.screening.engine`) is passed in through the :class:`Automaton`
protocol, so this module stays free of third-party imports. Context rules cut false positives:

- *lawful phrasings*: a hit inside a lawful phrase ("依法向人民法院提起诉讼", "report the account to a
  credit bureau") is dropped (CN-CBA26-04 forbids only *misleading* legal consequences);
- *negation*: a cue such as "不会"/"绝不"/"will not" shortly before a threat, exposure or authority
  term cancels it ("我们不会联系您的家人");
- *quoting the debtor*: a term inside quotation marks opened after "您说"/"客户称"/"you said" is the
  debtor's words, not the collector's.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

from lendguard.collections.screening.model import Category, Entry, Finding, Verdict

OPEN_QUOTES = '“「『"'
CLOSE_QUOTES = '”」』"'
NEGATION_WINDOW_COMPACT = 12
NEGATION_WINDOW_WORDS = 6
QUOTE_CUE_WINDOW = 16
_QUOTES = tuple(set(OPEN_QUOTES + CLOSE_QUOTES))


@dataclass(frozen=True)
class Pattern:
    """What the automaton returns for one key: the entry it belongs to (``None`` for a lawful phrase)."""

    rule: str
    entry: Entry | None
    length: int


class Automaton(Protocol):
    """The multi-pattern matcher the screener uses (``ahocorasick_rs.AhoCorasick``, or the baseline).

    ``find_matches_as_indexes(view, overlapping=True)`` returns every occurrence of every key as
    ``(key index, start, end)`` in character offsets of ``view`` (``end`` exclusive).
    """

    def find_matches_as_indexes(self, haystack: str, overlapping: bool = False) -> list[tuple[int, int, int]]: ...


@dataclass(frozen=True)
class ContextRules:
    """Cues of the context rules, already in the form of the view they are looked for in."""

    negation_compact: tuple[str, ...]
    negation_words: tuple[str, ...]
    quote_cues: tuple[str, ...]


class Hit(NamedTuple):
    """A raw hit in a normalised view, ``end`` exclusive (a named tuple: made for every hit, cheaply)."""

    start: int
    end: int
    pattern: Pattern


def raw_hits(
    matches: Sequence[tuple[int, int, int]], patterns: Sequence[tuple[Pattern, ...]], padded: bool
) -> list[Hit]:
    """Hits of the ``(key index, start, end)`` matches; in the padded words view the boundary spaces are trimmed."""
    trim = 1 if padded else 0
    return [Hit(start + trim, end - trim, pattern) for index, start, end in matches for pattern in patterns[index]]


# Simplified and traditional forms: the lead before a quote is read in the original text.
_SPEAKERS = (
    "你",
    "您",
    "客户",
    "客戶",
    "借款人",
    "对方",
    "對方",
    "债务人",
    "債務人",
    "customer",
    "consumer",
    "borrower",
    "debtor",
    "you",
)
_SPEECH_VERBS = (
    "说",
    "說",
    "称",
    "稱",
    "道",
    "骂",
    "罵",
    "讲",
    "講",
    "喊",
    "表示",
    "said",
    "says",
    "wrote",
    "toldus",
    "yelled",
)
_CLAUSE_END = "，。！？；,.!?;\n"


def _view_slice(view: str, origin: list[int], begin: int, end: int) -> str:
    """The part of the normalised view that comes from original characters ``[begin, end)``."""
    return view[bisect_left(origin, begin) : bisect_left(origin, end)]


_LAST_CLAUSE_END = re.compile("[" + re.escape(_CLAUSE_END) + "][^" + re.escape(_CLAUSE_END) + "]*\\Z")
# Module constants: enum member and ``.value`` lookups go through a descriptor (slow in a hot loop).
_DISCLOSURE = Category.DISCLOSURE
_CATEGORY_NAME = {c: c.value for c in Category}


@lru_cache(maxsize=16)
def _any_of(cues: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation of the cues: a single scan instead of one ``in`` per cue."""
    return re.compile("|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)) or "(?!)")


def _negated(
    text: str,
    view: str,
    origin: list[int],
    start: int,
    rules: ContextRules,
    words_view: bool,
) -> bool:
    """A negation cue earlier in the same clause (at most a few words back) cancels the hit.

    The clause is cut in the original text (its punctuation) and read in the normalised view, so
    traditional characters and inserted symbols do not hide the cue.
    """
    reach = 60 if words_view else 24
    low = max(0, start - reach)
    # The last clause end in [low, start): the one followed by no other before ``start`` (\Z matches
    # at ``endpos``), one search of the short window instead of listing every clause end of the text.
    last_end = _LAST_CLAUSE_END.search(text, low, start)
    begin = last_end.start() + 1 if last_end is not None else low
    clause = _view_slice(view, origin, begin, start)
    if words_view:
        window = " " + " ".join(clause.split()[-NEGATION_WINDOW_WORDS:]) + " "
        return _any_of(rules.negation_words).search(window) is not None
    window = clause[-NEGATION_WINDOW_COMPACT:]
    return _any_of(rules.negation_compact).search(window) is not None


def quoted_from_debtor(text: str, start: int, end: int, cues: Sequence[str]) -> bool:
    """True when ``text[start:end]`` sits inside quotes opened right after a debtor speech cue."""
    # The nearest quotation mark before the hit must be an opening one.
    opening = max(text.rfind(q, 0, start) for q in _QUOTES)
    if opening < 0 or text[opening] not in OPEN_QUOTES:
        return False
    if not any(ch in CLOSE_QUOTES for ch in text[end:]):
        return False
    lead = text[max(0, opening - QUOTE_CUE_WINDOW) : opening].lower().replace(" ", "")
    if any(cue in lead for cue in cues):
        return True
    # "<debtor> ... 说/称/said" right before the quote: the debtor's own words being reported.
    stripped = lead.rstrip(":：,，")
    speaker = any(s in lead for s in _SPEAKERS)
    return speaker and stripped.endswith(_SPEECH_VERBS)


def resolve(
    text: str,
    view: str,
    origin: list[int],
    hits: Sequence[Hit],
    rules: ContextRules,
    *,
    words_view: bool,
) -> list[tuple[Finding, Verdict]]:
    """Findings (with their severity) of the hits in one view after the context rules."""
    lawful = [(h.start, h.end) for h in hits if h.pattern.entry is None]
    out: list[tuple[Finding, Verdict]] = []
    quoted = any(q in text for q in _QUOTES)  # without a quotation mark nothing is quoted
    top = len(origin) - 1
    size = len(text)
    for hit_start, hit_end, pattern in hits:
        entry = pattern.entry
        if entry is None:
            continue
        category = entry.category
        if lawful and category is not _DISCLOSURE and any(ls <= hit_start and hit_end <= le for ls, le in lawful):
            continue  # inside a lawful phrasing (disclosure still counts there)
        start = origin[min(hit_start, top)]
        end = min(origin[min(max(hit_end - 1, hit_start), top)] + 1, size)
        context = entry.context
        if "negation" in context and _negated(text, view, origin, start, rules, words_view):
            continue
        if quoted and "quote" in context and quoted_from_debtor(text, start, end, rules.quote_cues):
            continue
        out.append((Finding(_CATEGORY_NAME[category], start, end, text[start:end], pattern.rule), entry.severity))
    return out


def merge(found: Sequence[tuple[Finding, Verdict]]) -> list[tuple[Finding, Verdict]]:
    """Drop a finding inside another one of the same category, or inside a longer one of any category.

    "上门费" (unfair fee) thus does not also report "上门" (visit), and "通缉令" (public exposure) does
    not also report "通缉" (false authority). Findings come out sorted by offset.
    """
    ordered = sorted(found, key=lambda fv: (fv[0].start, -(fv[0].end - fv[0].start), fv[0].rule))
    kept: list[tuple[Finding, Verdict]] = []
    for finding, severity in ordered:
        covered = any(
            k.start <= finding.start
            and finding.end <= k.end
            and (k.category == finding.category or (k.end - k.start) > (finding.end - finding.start))
            for k, _ in kept
        )
        if not covered:
            kept.append((finding, severity))
    return kept


def debt_related(category: Category) -> bool:
    """Categories that only count when the recipient is not the debtor (disclosure of the debt)."""
    return category is Category.DISCLOSURE
