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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain, compress, repeat
from operator import or_

import numpy as np
import numpy.typing as npt

# Letters spelled one by one ("f u c k", "i.d.i.o.t" after punctuation became spaces): three or more
# single letters in a row are joined. Two letters ("s b") are handled by explicit lexicon entries.
_SPACED_LETTERS = re.compile(r"(?<= )(?:[a-z] ){2,}[a-z](?= )")
# The same condition as a plain substring scan, several times cheaper than the substitution itself:
# only the few messages that hold it pay for the join.
_SPACED_HINT = re.compile(" [a-z] [a-z] [a-z] ")
_TOKEN = re.compile(r"\S+")
_DELETE_CATEGORIES = ("Z", "P", "S", "C")
# Characters that show nothing of their own (combining and enclosing marks, format characters such as
# zero-width joiners, soft hyphens and variation selectors): inserted between two
# letters they are an evasion, so both views drop them without a trace (the words view does not break
# a word there). The zero-width space is the exception: it marks a word break (Thai, Khmer; some
# English text uses it as a space), so it stays a separator like a space, and letters spelled out with
# one between each ("f\u200bu\u200bc\u200bk") are joined like "f u c k".
INVISIBLE_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
_WORD_BREAKS = frozenset({"\u200b"})
# Ranges scanned when the tables are built: the BMP, the supplementary symbols (mathematical letters,
# musical and Egyptian format characters...) and the emoji planes.
_SCAN_RANGES = ((0x0000, 0x1FAFF),)
_TABLE_SIZE = 0x1FB00
# What the list tables cannot fold with ``str.translate``: code points past them (translate would leave
# them as they are) and lone surrogates (JSON can carry "\ud800"; they cannot be encoded as UTF-8).
BEYOND_TABLES = re.compile("[\ud800-\udfff\U0001fb00-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (the basic block and extension A)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


# Character classes the screener gates work on, as code-point ranges: one definition for its regular
# expressions (``char_class``) and for the per-character flags of batch normalisation.
DIGIT_RANGES = ((0x30, 0x39), (0xFF10, 0xFF19))  # ASCII and full-width digits
ADDRESS_MARK_RANGES = tuple((ord(c), ord(c)) for c in "号號栋棟幢室")  # where a Chinese address ends
LATIN_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0x40, 0x40), (0x24, 0x24))
CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
CAPITAL_RANGES = ((0x41, 0x5A), (0xFF38, 0xFF38))  # what may follow a house number in an English address

# Bits of ``CodeTables.flags``.
KEEP = 1  # the compact view keeps something of the character
MULTI = 2  # ... and it is not exactly one character (an emoji word, an NFKC expansion)
WORD = 4  # the words view reads it as (part of) a word, not a break
WORDS_MULTI = 8  # its words-view replacement is not exactly one character
DIGIT = 16
ADDRESS_MARK = 32
LATIN = 64  # a Latin letter (or a symbol the words view reads as one): the words view is needed
CJK = 128
SPACE = 256  # white space as regular expressions read ``\\s`` (``str.isspace``)
CAPITAL = 512


def char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """A regular-expression character class of the code-point ranges."""
    parts = (re.escape(chr(low)) + ("-" + re.escape(chr(high)) if high > low else "") for low, high in ranges)
    return "[" + "".join(parts) + "]"


@dataclass(frozen=True)
class CodeTables:
    """The same folding as arrays indexed by code point, for batch normalisation with NumPy.

    Index ``len(FoldTables.compact)`` (one past the string tables) stands for every code point past
    them, which ``str.translate`` leaves as it is: kept, one character, a word character.
    ``compact_code`` is the one code point a character folds to (meaningful where the flags say
    ``KEEP`` and not ``MULTI``); ``flags`` holds the bits above.
    """

    compact_code: npt.NDArray[np.uint32]
    words_code: npt.NDArray[np.uint32]
    flags: npt.NDArray[np.uint16]


def _unchanged(ch: str) -> tuple[str, str]:
    return ch, ch


@dataclass(frozen=True)
class FoldTables:
    """``str.translate`` tables of the two views (a value ``""`` deletes the character).

    They are lists indexed by code point (identity where nothing changes) rather than dicts: list
    indexing makes ``str.translate`` about twice as fast. Code points past the end (CJK extension B
    and later, symbols of the last planes, tag characters) are rare; ``translate`` would leave them as
    they are, so :func:`compact` and :func:`words` fold texts holding one character by character
    through ``past``, which applies the same rules as the tables. ``codes`` holds the same folding as
    NumPy arrays (see :class:`CodeTables`).
    """

    compact: list[str]
    words: list[str]
    codes: CodeTables
    past: Callable[[str], tuple[str, str]] = _unchanged

    def fold_compact(self, ch: str) -> str:
        """The compact-view replacement of one character."""
        code = ord(ch)
        return self.compact[code] if code < len(self.compact) else self.past(ch)[0]

    def fold_words(self, ch: str) -> str:
        """The words-view replacement of one character."""
        code = ord(ch)
        return self.words[code] if code < len(self.words) else self.past(ch)[1]


def _nfkc_lower(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded


def fold_char(
    ch: str,
    *,
    t2s: Mapping[str, str],
    variants: Mapping[str, str],
    emoji: Mapping[str, str],
    leet: Mapping[str, str],
) -> tuple[str, str]:
    """The compact-view and words-view replacements of one character (see :func:`build_tables`)."""
    if ch in emoji:
        return emoji[ch], " "
    if unicodedata.category(ch) in INVISIBLE_CATEGORIES and ch not in _WORD_BREAKS:  # dropped, no word break
        return "", ""
    folded = _nfkc_lower(ch)
    kept = [
        c
        for c in folded
        if unicodedata.category(c)[0] not in _DELETE_CATEGORIES and unicodedata.category(c) not in INVISIBLE_CATEGORIES
    ]
    if not kept:
        return "", leet.get(folded, " ")
    simple = "".join(variants.get(t2s.get(c, c), t2s.get(c, c)) for c in kept)
    if simple.isascii() and simple.isalnum():
        return simple, "".join(leet.get(c, c) for c in simple)
    return simple, " "


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
    view. Separators (space, punctuation, symbols, control characters) leave the compact view and
    break a word in the words view; invisible characters (:data:`INVISIBLE_CATEGORIES`) leave both.
    """
    fold = partial(fold_char, t2s=t2s, variants=variants, emoji=emoji, leet=leet)
    compact = [chr(code) for code in range(_TABLE_SIZE)]
    words = list(compact)
    for low, high in _SCAN_RANGES:
        for code in range(low, high + 1):
            # Identity entries are stored too: str.translate pays for a failed dict lookup per character.
            compact[code], words[code] = fold(chr(code))
    return FoldTables(compact=compact, words=words, codes=code_tables(compact, words), past=lru_cache(4096)(fold))


def code_tables(compact: list[str], words: list[str]) -> CodeTables:
    """The NumPy form of the two string tables (one extra entry for code points past them)."""
    compact_len = np.array([len(v) for v in compact] + [1], dtype=np.int64)
    words_len = np.array([len(v) for v in words] + [1], dtype=np.int64)
    code = np.array([ord(v) if len(v) == 1 else 0 for v in compact] + [0], dtype=np.uint32)
    words_code = np.array([ord(v) if len(v) == 1 else 0 for v in words] + [0], dtype=np.uint32)
    word_char = np.array([v != " " for v in words] + [True], dtype=np.bool_)
    flags = np.zeros(len(compact) + 1, dtype=np.uint16)
    flags[[chr(code).isspace() for code in range(len(compact))] + [False]] |= SPACE
    # Code points past the tables take the per-message path (they are folded one by one): as if each
    # folded to several characters in both views.
    compact_len[-1] = words_len[-1] = 2
    flags[compact_len > 0] |= KEEP
    flags[compact_len > 1] |= MULTI
    flags[word_char] |= WORD
    flags[words_len != 1] |= WORDS_MULTI
    for bit, ranges in (
        (DIGIT, DIGIT_RANGES),
        (ADDRESS_MARK, ADDRESS_MARK_RANGES),
        (LATIN, LATIN_RANGES),
        (CJK, CJK_RANGES),
        (CAPITAL, CAPITAL_RANGES),
    ):
        for low, high in ranges:
            flags[low : high + 1] |= bit
    # Other characters the words view reads as Latin letters (mathematical letters, circled and
    # superscript letters...): without the bit, a message whose only letters are such would skip the
    # words view ("你是𝐬𝐛").
    # Digits are left out, as the ASCII ones are (the leetspeak table reads them as letters).
    latin = [
        code >= 0x80 and w.isascii() and w.strip() != "" and any(c.isascii() and c.isalpha() for c in v)
        for code, (v, w) in enumerate(zip(compact, words, strict=True))
    ]
    flags[np.flatnonzero(latin)] |= LATIN
    return CodeTables(compact_code=code, words_code=words_code, flags=flags)


def flag_ranges(codes: CodeTables, bit: int) -> tuple[tuple[int, int], ...]:
    """The code points whose flags carry ``bit``, as ranges (for a regular-expression class)."""
    at = np.flatnonzero(codes.flags[:-1] & bit)
    if not len(at):
        return ()
    breaks = np.flatnonzero(np.diff(at) > 1)
    lows = np.concatenate(([at[0]], at[breaks + 1]))
    highs = np.concatenate((at[breaks], [at[-1]]))
    return tuple(zip(lows.tolist(), highs.tolist(), strict=True))


def code_points(text: str) -> npt.NDArray[np.uint32]:
    """The code points of ``text`` as an array (lone surrogates included, as Python strings allow)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def table_index(codes: npt.NDArray[np.uint32], tables: FoldTables) -> npt.NDArray[np.uint32]:
    """Indices into the :class:`CodeTables` arrays: code points past the tables share the last entry."""
    return np.minimum(codes, np.uint32(len(tables.compact)))


def beyond_tables(text: str) -> bool:
    """True when ``text`` holds a code point past the tables or a lone surrogate (a cheap ASCII test first)."""
    return not text.isascii() and BEYOND_TABLES.search(text) is not None


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds a lone surrogate (which cannot be encoded as UTF-8)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (same length: offsets stay valid).

    A surrogate cannot be encoded as UTF-8, so neither the matcher nor a JSON response could take it;
    as U+FFFD (a symbol) it is an unknown character, a separator like any other.
    """
    return _SURROGATE.sub(REPLACEMENT, text)


def compact(text: str, tables: FoldTables) -> str:
    """The compact view (no offsets): ``str.translate``, or one character at a time past the tables."""
    if beyond_tables(text):
        return "".join(map(tables.fold_compact, text))
    return text.translate(tables.compact)


def words(text: str, tables: FoldTables) -> str:
    """The words view (no offsets): `` w1 w2 ... `` with a space at each end."""
    if beyond_tables(text):
        return words_of("".join(map(tables.fold_words, text)))
    return words_of(text.translate(tables.words))


def words_of(folded: str) -> str:
    """The words view of a text already folded by the words table (``text.translate(tables.words)``)."""
    parts = folded.split()
    if not parts:
        return " "
    joined = " " + " ".join(parts) + " "
    return join_spelled(joined) if len(parts) > 2 else joined


def join_spelled(view: str) -> str:
    """The words view ``view`` with letters spelled out one by one joined ("f u c k" -> "fuck")."""
    if _SPACED_HINT.search(view) is None:  # a plain scan, several times cheaper than the substitution
        return view
    return _SPACED_LETTERS.sub(lambda m: m.group().replace(" ", ""), view)


def compact_offsets(text: str, tables: FoldTables, view: str | None = None) -> tuple[str, list[int]]:
    """The compact view and, for each of its characters, the index of the original character.

    ``view`` may pass the compact view when the caller has it already. When every character folds
    to at most one character (all but a few messages) the map is the index of each kept character,
    found by NumPy in one pass; otherwise the general per-piece construction runs.
    """
    flags = tables.codes.flags[table_index(code_points(text), tables)]
    if (flags & MULTI).any():  # an emoji word or an NFKC expansion
        return compact_offsets_general(text, tables)
    origin: list[int] = np.flatnonzero(flags & KEEP).tolist()
    return (text.translate(tables.compact) if view is None else view), origin


def compact_offsets_general(text: str, tables: FoldTables) -> tuple[str, list[int]]:
    """:func:`compact_offsets` for any text, piece by piece (the reference the fast path must equal)."""
    try:  # all in C: look every code point up, then repeat each index by the length of its piece
        pieces = list(map(tables.compact.__getitem__, map(ord, text)))
    except IndexError:  # a code point past the table (CJK extension B...): slow path
        pieces = [tables.fold_compact(ch) for ch in text]
    view = "".join(pieces)
    origin = list(compress(range(len(text)), pieces))  # indices of the characters that were kept
    if len(origin) != len(view):  # some character became several (an emoji word, an NFKC expansion)
        origin = list(chain.from_iterable(map(repeat, range(len(text)), map(len, pieces))))
    return view, origin


def words_offsets(text: str, tables: FoldTables, view: str | None = None) -> tuple[str, list[int]]:
    """The words view and its offset map; the same string as :func:`words`.

    ``view`` may pass the words view when the caller has it already. When every character folds to
    exactly one character, a word character keeps its own index, and the single space after each
    word takes the index of the character that ended the word (the leading space takes 0): NumPy
    finds both in one pass. A view shorter than that map had letters spelled out one by one joined;
    it and texts with expansions take the general construction.
    """
    if view is None:
        view = words(text, tables)
    flags = tables.codes.flags[table_index(code_points(text), tables)]
    if not (flags & WORDS_MULTI).any():
        word = (flags & WORD).astype(np.bool_)
        ends = np.flatnonzero(word[:-1] & ~word[1:]) + 1  # the break right after each word
        kept = np.concatenate((np.flatnonzero(word), ends, [len(text)] if len(word) and word[-1] else []))
        origin: list[int] = [0]
        origin.extend(np.sort(kept).astype(np.int64).tolist())
        if len(origin) == len(view):
            return view, origin
    return words_offsets_general(text, tables)


def words_offsets_general(text: str, tables: FoldTables) -> tuple[str, list[int]]:
    """:func:`words_offsets` for any text (the reference the fast path must equal).

    Built in C (no loop per character or per token): the folded text and its offsets, then a mask
    that keeps every non-space and the first space after each run of them.
    """
    try:
        pieces = list(map(tables.words.__getitem__, map(ord, text)))
    except IndexError:  # a code point past the table: slow path
        pieces = [tables.fold_words(ch) for ch in text]
    flat = "".join(pieces)
    size = len(text)
    if len(flat) == size:
        origin: list[int] = list(range(size + 1))
    else:
        origin = list(chain.from_iterable(map(repeat, range(size), map(len, pieces))))
        origin.append(size)
    if not flat.strip():
        return " ", [0]
    # Keep a character of ``flat`` when it is not a space or follows a non-space (the one space after
    # each token); all of it in C. A kept space takes the origin of the character after the token.
    keep = list(map(or_, map(" ".__ne__, flat), map(" ".__ne__, " " + flat[:-1])))
    out_origin: list[int] = [0]
    out_origin.extend(compress(origin, keep))
    joined = " " + "".join(compress(flat, keep))
    if flat[-1] != " ":  # the last token still needs its closing space
        joined += " "
        out_origin.append(size)
    return join_spelled_offsets(joined, out_origin)


def join_spelled_offsets(joined: str, origin: list[int]) -> tuple[str, list[int]]:
    """:func:`join_spelled` of a words view, carrying its offset map along (the spaces dropped)."""
    if _SPACED_HINT.search(joined) is None:  # no letters spelled out one by one: nothing to join
        return joined, origin
    matches = list(_SPACED_LETTERS.finditer(joined))
    if not matches:
        return joined, origin
    drop = {k for m in matches for k in range(m.start(), m.end()) if joined[k] == " "}
    kept = [k for k in range(len(joined)) if k not in drop]
    return "".join(joined[k] for k in kept), [origin[k] for k in kept]


def span_back(origin: list[int], start: int, end: int, text_length: int) -> tuple[int, int]:
    """Original ``[start, end)`` of the normalised span ``[start, end)`` (``end`` exclusive)."""
    if not origin:
        return 0, 0
    first = origin[min(start, len(origin) - 1)]
    last = origin[min(max(end - 1, start), len(origin) - 1)]
    return first, min(last + 1, text_length)
