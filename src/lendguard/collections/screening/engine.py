"""The screener: loads the lexicons once, compiles them into Aho-Corasick automata and screens text.

This is the adapter around the pure modules: it reads the package data (lexicons, folding tables,
the traditional-to-simplified character table shipped with ``opencc``), derives pinyin and initials
with ``pypinyin`` and builds ``ahocorasick_rs`` automata. Everything runs offline from what the package
installs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from operator import itemgetter
from typing import Any

import ahocorasick_rs
from pypinyin import Style, lazy_pinyin

from lendguard.collections.screening.batch import FoldedBatch
from lendguard.collections.screening.detectors import detect, may_find
from lendguard.collections.screening.lexicon import ExtraTerm, Lexicon, extra_entries, parse_lexicon
from lendguard.collections.screening.matcher import Automaton, ContextRules, Pattern, merge, raw_hits, resolve
from lendguard.collections.screening.model import (
    Category,
    Entry,
    Finding,
    Party,
    ScreenResult,
    Verdict,
    decide,
    lang_of,
    party_of,
)
from lendguard.collections.screening.normalise import (
    ADDRESS_MARK_RANGES,
    BEYOND_TABLES,
    CJK_RANGES,
    DIGIT_RANGES,
    LATIN,
    FoldTables,
    build_tables,
    char_class,
    compact,
    compact_offsets,
    flag_ranges,
    is_cjk,
    without_surrogates,
    words,
    words_of,
    words_offsets,
)

DATA_PACKAGE = "lendguard.collections.screening"
# Messages normalised together by ``Screener.screen_many``: large enough that NumPy's per-call cost
# vanishes, small enough that the batch arrays stay in the cache.
BATCH_CHUNK = 512


def _read_json(name: str) -> dict[str, Any]:
    text = resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _t2s_characters() -> dict[str, str]:
    """Traditional to simplified, character by character, from the table opencc ships."""
    table: dict[str, str] = {}
    path = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            simple = parts[1].split()[0]
            if len(simple) == 1:
                table[parts[0]] = simple
    return table


@dataclass(frozen=True)
class Base:
    """What every screener shares: folding tables and the two lexicons."""

    tables: FoldTables
    zh: Lexicon
    en: Lexicon


@lru_cache(maxsize=1)
def load_base() -> Base:
    """Read and parse the data once per process."""
    fold = _read_json("fold.json")
    tables = build_tables(t2s=_t2s_characters(), variants=fold["variants"], emoji=fold["emoji"], leet=fold["leet"])
    return Base(tables, parse_lexicon(_read_json("zh.json")), parse_lexicon(_read_json("en.json")))


def surface_forms(entry: Entry, term: str) -> set[str]:
    """The forms a term is matched in: itself, with 你的 for 你, and pinyin/initials when asked."""
    forms = {term}
    if "你" in term and "你的" not in term:
        forms.add(term.replace("你", "你的", 1))
    if entry.category is Category.GOODS_MENTION and term.startswith("买") and not term.startswith("买的"):
        forms.add("买的" + term[1:])
    if term.isascii() and entry.category is not Category.DISCLOSURE:
        forms |= masked_forms(term)
    if entry.pinyin and all(is_cjk(c) for c in term):
        syllables = lazy_pinyin(term, style=Style.NORMAL)
        forms.add("".join(syllables))
        forms.add(" ".join(syllables))
        if len(syllables) >= 3:
            forms.add("".join(lazy_pinyin(term, style=Style.FIRST_LETTER)))
    return forms


def masked_forms(term: str) -> set[str]:
    """The longest word of ``term`` with one or two inner letters masked by ``*`` ("f*ck", "f**k")."""
    word = max(term.split(), key=len)
    if len(word) < 4 or not word.isalpha():
        return set()
    out = {term.replace(word, word[:i] + "*" + word[i + 1 :], 1) for i in range(1, len(word) - 1)}
    out |= {term.replace(word, word[:i] + "**" + word[i + 2 :], 1) for i in range(1, len(word) - 2)}
    return out


@dataclass
class Automata:
    """The two automata of one language setting (compact view and words view).

    ``keys[view][i]`` is the i-th key of that view's automaton, ``patterns[view][i]`` what it stands
    for and ``ruled[view][i]`` whether any of those is a rule (not only a lawful phrase), so a message
    whose hits are all lawful phrases skips the offset map and the context rules.
    """

    compact: Automaton
    words: Automaton
    keys: dict[str, list[str]]
    patterns: dict[str, list[tuple[Pattern, ...]]]
    ruled: dict[str, list[bool]]


def compile_automata(tables: FoldTables, entries: Iterable[Entry], lawful: Iterable[tuple[str, str]]) -> Automata:
    """Compile entries and lawful phrasings into one automaton per view."""
    store: dict[str, dict[str, list[Pattern]]] = {"compact": {}, "words": {}}

    def add(term: str, rule: str, entry: Entry | None) -> None:
        if term.isascii():
            view, key = "words", words(term, tables)
        else:
            view, key = "compact", compact(term, tables)
        if key.strip():
            store[view].setdefault(key, []).append(Pattern(rule, entry, len(key)))

    for entry in entries:
        for term in entry.terms:
            for form in surface_forms(entry, term):
                add(form, entry.id, entry)
    for rule, term in lawful:
        add(term, rule, None)
    built: dict[str, Automaton] = {}
    keys: dict[str, list[str]] = {}
    patterns: dict[str, list[tuple[Pattern, ...]]] = {}
    for view, by_key in store.items():
        keys[view] = list(by_key) or ["\x00\x00"]  # never in a view: an automaton needs a key
        patterns[view] = [tuple(by_key.get(key, ())) for key in keys[view]]
        # The non-contiguous NFA, not the DFA: the DFA is a few times faster in a hot loop over the
        # same messages, but its tables are megabytes, and over a stream of different messages on a
        # busy machine every step became a cache miss (measured: 11,000 vs 17,500 messages/s of CPU).
        built[view] = ahocorasick_rs.AhoCorasick(
            keys[view],
            matchkind=ahocorasick_rs.MatchKind.Standard,
            implementation=ahocorasick_rs.Implementation.NoncontiguousNFA,
        )
    ruled = {view: [any(p.entry is not None for p in ps) for ps in pats] for view, pats in patterns.items()}
    return Automata(compact=built["compact"], words=built["words"], keys=keys, patterns=patterns, ruled=ruled)


_DIGIT_CLASS = char_class(DIGIT_RANGES)  # ASCII and full-width digits (a dict translate is slow)
_NOT_DIGIT = "[^" + _DIGIT_CLASS[1:]
_CJK = re.compile(char_class(CJK_RANGES))
_LATIN = re.compile("[A-Za-z]")
_DIGIT = re.compile(_DIGIT_CLASS)
_ADDRESS_MARK = re.compile(char_class(ADDRESS_MARK_RANGES))
# Personal-data detectors only run when the text has a few digits in a row or an address mark.
_NUMBER_HINT = re.compile(
    f"{_DIGIT_CLASS}{_NOT_DIGIT}?{_DIGIT_CLASS}{_NOT_DIGIT}?{_DIGIT_CLASS}|{char_class(ADDRESS_MARK_RANGES)}"
)
_PARTIES = {p.value: p for p in Party}
_KEY = itemgetter(0)  # the key index of an automaton match
_BEYOND_TABLES = BEYOND_TABLES.search  # a code point past the fold tables or a lone surrogate
# Enum members read once: each ``Verdict.X`` lookup goes through a descriptor.
_BLOCK = Verdict.BLOCK
_PASS = Verdict.PASS.value
_LANGS = frozenset({"auto", "zh", "en"})


def _blocks(ranges: Iterable[tuple[int, int]], gap: int = 256) -> list[tuple[int, int]]:
    """``ranges`` (sorted) merged where less than ``gap`` code points apart: a short, coarser class."""
    out: list[tuple[int, int]] = []
    for low, high in ranges:
        if out and low - out[-1][1] < gap:
            out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return out


def detect_lang(text: str) -> str:
    """``zh`` when CJK characters make up a fair share of the letters, else ``en``."""
    cjk = len(_CJK.findall(text))
    return "zh" if cjk and cjk * 3 >= len(_LATIN.findall(text)) else "en"


class Screener:
    """Screens collection messages; build it with :func:`load_screener` (compiled once, cached)."""

    def __init__(self, base: Base, extra: tuple[Entry, ...] = ()) -> None:
        self.base = base
        self.extra = extra
        zh_entries = base.zh.entries + tuple(e for e in extra if e.lang == "zh")
        en_entries = base.en.entries + tuple(e for e in extra if e.lang == "en")
        zh_lawful = [(rid, t) for rid, terms in base.zh.lawful for t in terms]
        en_lawful = [(rid, t) for rid, terms in base.en.lawful for t in terms]
        # Pinyin and initials of Chinese entries live in the words view, so `zh` includes them. The
        # debtor's automata leave out the disclosure entries (they only count for other parties), so
        # ordinary debt words cost nothing when the debtor is the recipient.
        by_lang = {"zh": zh_entries, "en": en_entries, "auto": zh_entries + en_entries}
        lawful_by_lang = {"zh": zh_lawful, "en": en_lawful, "auto": zh_lawful + en_lawful}
        self.automata: dict[tuple[str, bool], Automata] = {}
        for lang, entries in by_lang.items():
            for debtor in (True, False):
                kept = [e for e in entries if not (debtor and e.category is Category.DISCLOSURE)]
                self.automata[(lang, debtor)] = compile_automata(base.tables, kept, lawful_by_lang[lang])
        # Latin letters, full-width letters, the few symbols the words view reads as letters and every
        # other character it reads as Latin letters (the ``LATIN`` bit of the tables): the words view
        # is needed. A class of BMP characters only is a bitmap for ``re`` (one step per character);
        # the few supplementary ones (mathematical and enclosed letters) are tested only when a scan
        # for rare code points (``_rare``: those blocks, lone surrogates, past the tables) finds one.
        latin = flag_ranges(base.tables.codes, LATIN)
        bmp = tuple(r for r in latin if r[1] < 0x10000)
        self._latin_bmp = re.compile(char_class(bmp)).search
        self._latin_all = re.compile(char_class(latin)).search
        rare = [(0xD800, 0xDFFF), *_blocks(r for r in latin if r[1] >= 0x10000), (0x1FB00, 0x10FFFF)]
        self._rare = re.compile(char_class(tuple(rare))).search
        quote_cues = base.zh.quote_cues + base.en.quote_cues
        self.rules = ContextRules(
            negation_compact=tuple(compact(c, base.tables) for c in base.zh.negation),
            negation_words=base.en.negation,
            quote_cues=quote_cues,
        )

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every entry in force (shared lexicons plus institution terms)."""
        return self.base.zh.entries + self.base.en.entries + self.extra

    def _setting(self, party: str, lang: str) -> tuple[Party, Automata]:
        """The recipient and the automata for ``party`` and ``lang`` (``ValueError`` on a bad one)."""
        recipient = _PARTIES.get(party) or party_of(party)
        if lang not in _LANGS:
            lang_of(lang)
        return recipient, self.automata[(lang, recipient is Party.DEBTOR)]

    def screen(self, text: str, *, party: str = "debtor", lang: str = "auto") -> ScreenResult:
        """Screen one message for ``party``; findings carry offsets into ``text``."""
        recipient, automata = self._setting(party, lang)
        return self._screen(text, recipient, lang, automata, None, 0)

    def screen_many(
        self, texts: Sequence[str], *, party: str = "debtor", lang: str = "auto", chunk: int = BATCH_CHUNK
    ) -> list[ScreenResult]:
        """Screen many messages for the same ``party`` and ``lang``; the same results as :meth:`screen`.

        The messages are normalised ``chunk`` at a time in a few NumPy passes over the joined text
        (:class:`~lendguard.collections.screening.batch.FoldedBatch`) instead of character by
        character; matching, context rules and detectors still run per message.
        """
        recipient, automata = self._setting(party, lang)
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, not {chunk}")
        tables = self.base.tables
        screen = self._screen
        results: list[ScreenResult] = []
        for low in range(0, len(texts), chunk):
            part = texts[low : low + chunk]
            batch = FoldedBatch(part, tables)
            # ``batch.texts``: the messages with any lone surrogate replaced, as ``screen`` does.
            results.extend([screen(text, recipient, lang, automata, batch, i) for i, text in enumerate(batch.texts)])
        return results

    def _screen(
        self, text: str, recipient: Party, lang: str, automata: Automata, batch: FoldedBatch | None, i: int
    ) -> ScreenResult:
        """Screen ``text``; with a ``batch``, ``text`` is its message ``i`` and its views come from it."""
        tables = self.base.tables
        found: list[tuple[Finding, Verdict]] = []
        ascii_only = text.isascii()
        # A code point past the fold tables or a lone surrogate (rare): the views are folded one
        # character at a time, and surrogates become U+FFFD (an unknown character, a separator) so
        # that the matcher and the findings' evidence can be encoded; the length and offsets do not change.
        rare = batch is None and not ascii_only and self._rare(text) is not None
        beyond = rare and _BEYOND_TABLES(text) is not None
        if beyond:
            text = without_surrogates(text)
        if batch is None:
            latin = ascii_only or self._latin_bmp(text) is not None or (rare and self._latin_all(text) is not None)
            number_hint = _NUMBER_HINT.search(text) is not None
        else:
            latin = ascii_only or batch.latin[i]
            number_hint = batch.number_hint[i]
        mapped: tuple[str, list[int]] | None = None  # the compact view's offset map, built at most once
        # The compact view's keys all hold a non-ASCII character (CJK, or an emoji folded to CJK), so
        # plain-ASCII text cannot match there; the words view needs a Latin letter (or a leet digit).
        if not ascii_only:
            if batch is not None:
                view = batch.compact(i)
            else:
                view = compact(text, tables) if beyond else text.translate(tables.compact)
            matches = automata.compact.find_matches_as_indexes(view, overlapping=True)
            if matches and any(map(automata.ruled["compact"].__getitem__, map(_KEY, matches))):
                compact_hits = raw_hits(matches, automata.patterns["compact"], padded=False)
                mapped = compact_offsets(text, tables, view) if batch is None else batch.compact_offsets(i)
                found.extend(resolve(text, mapped[0], mapped[1], compact_hits, self.rules, words_view=False))
        if latin:
            if batch is not None:
                view = batch.words(i)
            else:
                view = words(text, tables) if beyond else words_of(text.translate(tables.words))
            matches = automata.words.find_matches_as_indexes(view, overlapping=True)
            if matches and any(map(automata.ruled["words"].__getitem__, map(_KEY, matches))):
                words_hits = raw_hits(matches, automata.patterns["words"], padded=True)
                view, origin = words_offsets(text, tables, view) if batch is None else batch.words_offsets(i, view)
                found.extend(resolve(text, view, origin, words_hits, self.rules, words_view=True))
        if number_hint:
            if batch is None:
                digits, mark = len(_DIGIT.findall(text)), _ADDRESS_MARK.search(text) is not None
            else:
                digits, mark = batch.digits[i], batch.address_mark[i]
            if digits >= 15 or mark:
                if mapped is None:
                    mapped = compact_offsets(text, tables) if batch is None else batch.compact_offsets(i)
                found.extend((f, _BLOCK) for f in detect(text, mapped[0], mapped[1]))
            elif batch is None:
                found.extend((f, _BLOCK) for f in detect(text))
            elif may_find(text, digits, en_address=batch.en_address[i], marks=False):  # no mark: none of 号栋幢
                found.extend((f, _BLOCK) for f in detect(text, digit_count=digits, en_address=batch.en_address[i]))
        if lang != "auto":
            result_lang = lang
        elif ascii_only:
            result_lang = "en"
        else:
            result_lang = "zh" if (_CJK.search(text) is not None if batch is None else batch.cjk[i]) else "en"
        if not found:
            return ScreenResult(verdict=_PASS, findings=[], lang=result_lang)
        kept = merge(found)
        verdict = decide([(f.category, severity) for f, severity in kept], recipient)
        return ScreenResult(verdict=verdict.value, findings=[f for f, _ in kept], lang=result_lang)


def _extra_key(extra_terms: Iterable[ExtraTerm | tuple[str, str]] | None) -> tuple[ExtraTerm, ...]:
    if not extra_terms:
        return ()
    items = [t if isinstance(t, ExtraTerm) else ExtraTerm(category=t[0], term=t[1]) for t in extra_terms]
    return tuple(sorted(items, key=lambda t: (t.category, t.term, t.id)))


@lru_cache(maxsize=128)
def _screener_for(key: tuple[ExtraTerm, ...]) -> Screener:
    return Screener(load_base(), extra_entries(key))


def load_screener(extra_terms: Iterable[ExtraTerm | tuple[str, str]] | None = None) -> Screener:
    """The screener for the shared lexicons plus ``extra_terms`` (an institution's stricter terms).

    Lexicons are loaded and compiled once; calling again with the same terms returns the cached
    screener. Extra terms only add blocking rules: no category can be switched off.
    """
    return _screener_for(_extra_key(extra_terms))
