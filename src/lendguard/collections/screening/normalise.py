"""Pure text normaliser of the screener, with a map from normalised back to original offsets.

Two views of a message are matched:

- the *compact* view (Chinese rules): full-width forms folded (NFKC), lower case, traditional to
  simplified, variant and homophone characters folded, mapped emoji replaced by the word they stand
  for, and every separator (space, punctuation, symbol, zero-width character, other emoji) removed,
  so "傻 ㄅ逼", "傻.逼" and "傻🙂逼" all read "傻逼";
- the *words* view (English rules and pinyin): lower-case Latin words separated by single spaces,
  leetspeak folded ("1d10t"), letters spelled out one by one joined ("f u c k", "f.u.c.k"), and every
  other character (CJK included) a word break, so "你是sb" contains the word "sb".

Both views are made with ``str.translate`` (fast path); the offset map is only built, by the same
tables, when a rule hit has to be reported (``compact_offsets``/``words_offsets``). The tables are
built once from data given by the caller (the loader reads the lexicon files), so this module has no
I/O and no third-party imports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

# Letters spelled one by one ("f u c k", "i.d.i.o.t" after punctuation became spaces): three or more
# single letters in a row are joined. Two letters ("s b") are handled by explicit lexicon entries.
_SPACED_LETTERS = re.compile(r"(?<= )(?:[a-z] ){2,}[a-z](?= )")
_DELETE_CATEGORIES = ("Z", "P", "S", "C")
# Ranges scanned when the tables are built: BMP plus the emoji and CJK extension planes in use.
_SCAN_RANGES = ((0x0000, 0xFFFF), (0x1F000, 0x1FAFF), (0x20000, 0x2A6DF))


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (the basic block and extension A)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@dataclass(frozen=True)
class FoldTables:
    """``str.translate`` tables of the two views (a value ``""`` deletes the character)."""

    compact: dict[int, str]
    words: dict[int, str]


def _nfkc_lower(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded


def build_tables(
    *,
    t2s: Mapping[str, str],
    variants: Mapping[str, str],
    emoji: Mapping[str, str],
    leet: Mapping[str, str],
) -> FoldTables:
    """Build both translation tables.

    ``t2s`` maps a traditional character to its simplified form, ``variants`` folds variant and
    homophone characters onto the character the lexicon uses, ``emoji`` maps an emoji to the word it
    stands for (e.g. a knife to 刀) and ``leet`` maps digits and symbols used as letters in the words
    view.
    """
    compact: dict[int, str] = {}
    words: dict[int, str] = {}
    for low, high in _SCAN_RANGES:
        for code in range(low, high + 1):
            ch = chr(code)
            if unicodedata.category(ch) == "Cs":  # lone surrogates never occur in decoded text
                continue
            if ch in emoji:
                compact[code] = emoji[ch]
                words[code] = " "
                continue
            folded = _nfkc_lower(ch)
            kept = [c for c in folded if unicodedata.category(c)[0] not in _DELETE_CATEGORIES]
            if not kept:
                compact[code] = ""
                words[code] = leet.get(folded, " ")
                continue
            simple = "".join(variants.get(t2s.get(c, c), t2s.get(c, c)) for c in kept)
            if simple != ch:
                compact[code] = simple
            if simple.isascii() and simple.isalnum():
                out = "".join(leet.get(c, c) for c in simple)
                if out != ch:
                    words[code] = out
            else:
                words[code] = " "
    return FoldTables(compact=compact, words=words)


def compact(text: str, tables: FoldTables) -> str:
    """The compact view (fast path, no offsets)."""
    return text.translate(tables.compact)


def words(text: str, tables: FoldTables) -> str:
    """The words view (fast path, no offsets): `` w1 w2 ... `` with a space at each end."""
    joined = " " + " ".join(text.translate(tables.words).split()) + " "
    if joined.count(" ") > 3:
        joined = _SPACED_LETTERS.sub(lambda m: m.group().replace(" ", ""), joined)
    return joined


def compact_offsets(text: str, tables: FoldTables) -> tuple[str, list[int]]:
    """The compact view and, for each of its characters, the index of the original character."""
    out: list[str] = []
    origin: list[int] = []
    table = tables.compact
    for i, ch in enumerate(text):
        mapped = table.get(ord(ch), ch)
        out.append(mapped)
        origin.extend([i] * len(mapped))
    return "".join(out), origin


def words_offsets(text: str, tables: FoldTables) -> tuple[str, list[int]]:
    """The words view and its offset map; the same string as :func:`words`."""
    chars: list[str] = [" "]
    origin: list[int] = [0]
    table = tables.words
    for i, ch in enumerate(text):
        for out in table.get(ord(ch), ch):
            if out.isspace():
                if chars[-1] != " ":
                    chars.append(" ")
                    origin.append(i)
            else:
                chars.append(out)
                origin.append(i)
    if chars[-1] != " ":
        chars.append(" ")
        origin.append(len(text))
    joined = "".join(chars)
    if joined.count(" ") <= 3:
        return joined, origin
    keep = [True] * len(joined)
    for match in _SPACED_LETTERS.finditer(joined):
        for k in range(match.start(), match.end()):
            if joined[k] == " ":
                keep[k] = False
    return "".join(c for c, k in zip(joined, keep, strict=True) if k), [
        o for o, k in zip(origin, keep, strict=True) if k
    ]


def span_back(origin: list[int], start: int, end: int, text_length: int) -> tuple[int, int]:
    """Original ``[start, end)`` of the normalised span ``[start, end)`` (``end`` exclusive)."""
    if not origin:
        return 0, 0
    first = origin[min(start, len(origin) - 1)]
    last = origin[min(max(end - 1, start), len(origin) - 1)]
    return first, min(last + 1, text_length)
