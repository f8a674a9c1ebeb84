"""Pure batch normaliser: the compact views and offset maps of many messages in a few NumPy passes.

``str.translate`` and the per-message offset maps of :mod:`normalise` cost a few Python-level steps
per character (a lookup, an object, a write); folding a whole batch of messages joined into one
array costs nanoseconds per character instead. Every view and map produced here is identical to the
per-message functions (``compact``, ``compact_offsets``, ``words_offsets``), which stay the reference
and take over for the few messages the arrays cannot describe (a character that folds to several
characters, such as an emoji standing for a word, or letters spelled out one by one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lendguard.collections.screening.normalise import (
    ADDRESS_MARK,
    CJK,
    DIGIT,
    KEEP,
    LATIN,
    MULTI,
    WORD,
    WORDS_MULTI,
    FoldTables,
    code_points,
    compact_offsets_general,
    join_spelled,
    table_index,
    words,
    words_offsets_general,
)


class FoldedBatch:
    """The folded form of ``texts`` (``texts[i]`` is message ``i``).

    Built eagerly: the compact view of every message and, per message, what the screener's gates ask
    (``latin``: a Latin letter; ``cjk``: a CJK character; ``digits``: how many digits; ``address_mark``:
    a character that ends a Chinese address; ``number_hint``: three digits with at most one other
    character between each, or an address mark). Offset maps are cut out of batch-wide arrays only
    for the messages that ask (those with a rule hit).
    """

    def __init__(self, texts: Sequence[str], tables: FoldTables) -> None:
        self.texts = texts
        self.tables = tables
        count = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
        bounds = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        self._bounds = bounds
        self.bounds: list[int] = bounds.tolist()  # message i is joined[bounds[i]:bounds[i + 1]]
        codes = code_points("".join(texts))
        idx = table_index(codes, tables)
        flags = tables.codes.flags[idx]  # one lookup per character; everything below reads its bits
        self._flags = flags
        # Messages holding a character that folds to several characters take the per-message path.
        self.general: set[int] = set(self._messages_at(np.flatnonzero(flags & MULTI)).tolist())
        kept = np.flatnonzero(flags & KEEP)
        folded = tables.codes.compact_code[idx[kept]]
        past = codes[kept] >= len(tables.compact)  # left as they are by str.translate
        if past.any():
            folded[past] = codes[kept][past]
        joined_view = folded.tobytes().decode("utf-32-le", "surrogatepass")
        view_bounds: list[int] = np.searchsorted(kept, bounds).tolist()  # kept characters before each start
        self._kept = kept
        self._view_bounds = view_bounds
        self.compact_views: list[str] = [joined_view[view_bounds[i] : view_bounds[i + 1]] for i in range(count)]
        self.latin: list[bool] = (self._count(LATIN) > 0).tolist()
        self.cjk: list[bool] = (self._count(CJK) > 0).tolist()
        address_mark = self._count(ADDRESS_MARK) > 0
        self.address_mark: list[bool] = address_mark.tolist()
        self.digits: list[int] = self._count(DIGIT).tolist()
        # Three digits in a row with gaps of at most one character: consecutive digit positions two
        # apart at most, twice, inside one message (the gate ``[0-9][^0-9]?[0-9][^0-9]?[0-9]``).
        digit_at = np.flatnonzero(flags & DIGIT)
        close = np.diff(digit_at) <= 2
        triple = np.flatnonzero(close[:-1] & close[1:])
        digit_in = self._messages_at(np.concatenate((digit_at[triple], digit_at[triple + 2])))
        first, last = np.split(digit_in, 2)
        hint = address_mark.copy()
        hint[first[first == last]] = True
        self.number_hint: list[bool] = hint.tolist()
        self._codes = codes
        self._idx = idx
        self._words_general: set[int] = set()
        self._words_keys: npt.NDArray[np.int64] | None = None  # built by the first words view asked for
        self._joined_words = ""
        self._words_bounds: list[int] = []

    def _messages_at(self, positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The message index of each position in the joined text."""
        return np.searchsorted(self._bounds, positions, side="right") - 1

    def _count(self, bit: int) -> npt.NDArray[np.int64]:
        """Per message: how many of its characters carry ``bit`` (a running count cut at the bounds)."""
        running = np.zeros(len(self._flags) + 1, dtype=np.int64)
        np.cumsum((self._flags & bit) != 0, out=running[1:])
        counts: npt.NDArray[np.int64] = running[self._bounds[1:]] - running[self._bounds[:-1]]
        return counts

    def compact(self, i: int) -> str:
        """The compact view of message ``i`` (equal to ``normalise.compact``)."""
        if i in self.general:
            return self.texts[i].translate(self.tables.compact)
        return self.compact_views[i]

    def compact_offsets(self, i: int) -> tuple[str, list[int]]:
        """The compact view of message ``i`` and its offset map (equal to ``normalise.compact_offsets``)."""
        if i in self.general:
            return compact_offsets_general(self.texts[i], self.tables)
        low, high = self._view_bounds[i], self._view_bounds[i + 1]
        origin: list[int] = (self._kept[low:high] - self.bounds[i]).tolist()
        return self.compact_views[i], origin

    def words(self, i: int) -> str:
        """The words view of message ``i`` (equal to ``normalise.words``)."""
        if self._words_keys is None:
            self._build_words()
        if i in self._words_general:
            return words(self.texts[i], self.tables)
        return join_spelled(" " + self._joined_words[self._words_bounds[i] : self._words_bounds[i + 1]])

    def words_offsets(self, i: int, view: str) -> tuple[str, list[int]]:
        """Message ``i``'s words view ``view`` (from :meth:`words`) and its offset map.

        Equal to ``normalise.words_offsets``. The batch-wide keys encode a word character at ``p`` as
        ``2p`` and the single space closing a word that ends before ``e`` as ``2e - 1``, so the keys of
        one message are a contiguous, sorted slice even where the next message starts with a word.
        """
        keys = self._words_keys if self._words_keys is not None else self._build_words()
        if i not in self._words_general:
            low, high = self._words_bounds[i], self._words_bounds[i + 1]
            origin: list[int] = [0]
            origin.extend(((keys[low:high] + 1) // 2 - self.bounds[i]).tolist())
            if len(origin) == len(view):  # shorter: letters spelled out one by one were joined
                return view, origin
        return words_offsets_general(self.texts[i], self.tables)

    def _build_words(self) -> npt.NDArray[np.int64]:
        """The words view of every message: its word characters and one space after each word."""
        flags = self._flags
        bounds = self._bounds
        self._words_general = set(self._messages_at(np.flatnonzero(flags & WORDS_MULTI)).tolist())
        word = (flags & WORD).astype(np.bool_)
        following = np.zeros(len(word), dtype=np.bool_)  # the next character of the same message is a word's
        following[:-1] = word[1:]
        last = bounds[1:] - 1
        following[last[last >= bounds[:-1]]] = False  # a message's last character has no next one
        ends = np.flatnonzero(word & ~following) + 1  # the break (or message end) right after each word
        keys = np.concatenate((2 * np.flatnonzero(word), 2 * ends - 1)).astype(np.int64)
        keys.sort()
        at = keys // 2
        chars = np.where(
            self._codes[at] >= len(self.tables.words), self._codes[at], self.tables.codes.words_code[self._idx[at]]
        )
        chars[(keys & 1) == 1] = 0x20  # the space closing a word
        self._joined_words = chars.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
        self._words_bounds = np.searchsorted(keys, 2 * bounds).tolist()
        self._words_keys = keys
        return keys
