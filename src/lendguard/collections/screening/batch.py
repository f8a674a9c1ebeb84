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
    CAPITAL,
    CJK,
    DIGIT,
    KEEP,
    LATIN,
    MULTI,
    SPACE,
    WORD,
    WORDS_MULTI,
    FoldTables,
    code_points,
    compact,
    compact_offsets_general,
    join_spelled,
    join_spelled_offsets,
    without_surrogates,
    words,
    words_offsets_general,
)

_SURROGATES = 0xD800  # first of the 0x800 surrogate code points
_REPLACEMENT = 0xFFFD


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
        surrogate = (codes - np.uint32(_SURROGATES)) < 0x800  # unsigned: code points below wrap round
        if surrogate.any():  # lone surrogates become U+FFFD, in the codes and in the texts (as ``screen`` does)
            codes = np.where(surrogate, np.uint32(_REPLACEMENT), codes)
            fixed = list(texts)
            for i in set(self._messages_at(np.flatnonzero(surrogate)).tolist()):
                fixed[i] = without_surrogates(fixed[i])
            self.texts = fixed
        size = len(tables.compact)  # code points from here on are left as they are by str.translate
        # One lookup per character (``take`` with ``clip``: code points past the tables read the last
        # entry, which says "kept, one character, a word character"); the rest reads its bits.
        flags = np.take(tables.codes.flags, codes, mode="clip")
        self._flags = flags
        self._codes = codes
        self._size = size
        # Every bit any character of a message carries, in one pass (an empty message gets 0: one
        # zero is appended so that every start is a valid index, and reduceat reads one element there).
        starts = np.minimum(bounds[:-1], len(flags))
        union = np.bitwise_or.reduceat(np.append(flags, np.uint16(0)), starts)
        union[lengths == 0] = 0
        self._union = union
        # Messages holding a character that folds to several characters take the per-message path.
        self.general: set[int] = set(np.flatnonzero(union & MULTI).tolist())
        kept = np.flatnonzero(flags & KEEP)
        kept_codes = np.take(codes, kept)
        folded = np.take(tables.codes.compact_code, kept_codes, mode="clip")
        past = kept_codes >= size
        if past.any():
            folded[past] = kept_codes[past]
        joined_view = folded.tobytes().decode("utf-32-le", "surrogatepass")
        view_bounds: list[int] = np.searchsorted(kept, bounds).tolist()  # kept characters before each start
        self._kept = kept
        self._view_bounds = view_bounds
        self.compact_views: list[str] = [joined_view[view_bounds[i] : view_bounds[i + 1]] for i in range(count)]
        self.latin: list[bool] = ((union & LATIN) != 0).tolist()
        self.cjk: list[bool] = ((union & CJK) != 0).tolist()
        address_mark = (union & ADDRESS_MARK) != 0
        self.address_mark: list[bool] = address_mark.tolist()
        digit_at = np.flatnonzero(flags & DIGIT)
        self.digits: list[int] = np.bincount(self._messages_at(digit_at), minlength=count).tolist()
        # Three digits in a row with gaps of at most one character: consecutive digit positions two
        # apart at most, twice, inside one message (the gate ``[0-9][^0-9]?[0-9][^0-9]?[0-9]``).
        close = np.diff(digit_at) <= 2
        triple = np.flatnonzero(close[:-1] & close[1:])
        digit_in = self._messages_at(np.concatenate((digit_at[triple], digit_at[triple + 2])))
        first, last = np.split(digit_in, 2)
        hint = address_mark.copy()
        hint[first[first == last]] = True
        self.number_hint: list[bool] = hint.tolist()
        self.en_address: list[bool] = self._en_address(digit_at).tolist()
        self._words_general: set[int] = set()
        self._words_keys: npt.NDArray[np.int64] | None = None  # built by the first words view asked for
        self._joined_words = ""
        self._words_bounds: list[int] = []

    def _messages_at(self, positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The message index of each position in the joined text."""
        return np.searchsorted(self._bounds, positions, side="right") - 1

    def _en_address(self, digit_at: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """Per message: a digit, white space and a capital (the detectors' ``[0-9]\\s+[A-Z]`` gate).

        Followed from each digit: step over white space inside the message until a capital (found)
        or anything else; one step per character of the longest run, on the few digits left.
        """
        flags = self._flags
        found = np.zeros(len(self.texts), dtype=np.bool_)
        message = self._messages_at(digit_at)
        end = self._bounds[message + 1]  # where the digit's message ends
        at = digit_at + 1
        spaced = at < end
        at, end, message = at[spaced], end[spaced], message[spaced]
        spaced = (np.take(flags, at) & SPACE) != 0  # at least one white-space character
        at, end, message = at[spaced] + 1, end[spaced], message[spaced]
        while len(at):
            inside = at < end
            at, end, message = at[inside], end[inside], message[inside]
            step = np.take(flags, at)
            found[message[(step & CAPITAL) != 0]] = True
            spaced = (step & SPACE) != 0
            at, end, message = at[spaced] + 1, end[spaced], message[spaced]
        return found

    def compact(self, i: int) -> str:
        """The compact view of message ``i`` (equal to ``normalise.compact``)."""
        if i in self.general:
            return compact(self.texts[i], self.tables)
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
        if i in self._words_general:
            return words_offsets_general(self.texts[i], self.tables)
        low, high = self._words_bounds[i], self._words_bounds[i + 1]
        origin: list[int] = [0]
        origin.extend(((keys[low:high] + 1) // 2 - self.bounds[i]).tolist())
        if len(origin) == len(view):
            return view, origin
        # Shorter: letters spelled out one by one were joined; join the full view and its map alike.
        return join_spelled_offsets(" " + self._joined_words[low:high], origin)

    def _build_words(self) -> npt.NDArray[np.int64]:
        """The words view of every message: its word characters and one space after each word.

        Keys (see :meth:`words_offsets`) come out sorted without a sort: position ``p`` may give
        ``2p`` (a word character) and ``2p + 1`` (the space after a word that ends at ``p``), so the
        keys are the set bits of the two masks interleaved.
        """
        flags = self._flags
        bounds = self._bounds
        self._words_general = set(np.flatnonzero(self._union & WORDS_MULTI).tolist())
        word = (flags & WORD) != 0
        last = word.copy()  # a word character whose next character (in the same message) is not
        last[:-1] &= ~word[1:]
        ends = bounds[1:][bounds[1:] > bounds[:-1]] - 1  # the last character of each non-empty message
        last[ends] = word[ends]  # a message's last character has no next one
        both = np.empty(2 * len(word), dtype=np.bool_)
        both[0::2] = word
        both[1::2] = last
        keys = np.flatnonzero(both).astype(np.int64)
        at = np.take(self._codes, keys // 2)
        chars = np.take(self.tables.codes.words_code, at, mode="clip")
        past = at >= self._size
        if past.any():
            chars[past] = at[past]
        chars[(keys & 1) == 1] = 0x20  # the space closing a word
        self._joined_words = chars.tobytes().decode("utf-32-le", "surrogatepass")
        self._words_bounds = np.searchsorted(keys, 2 * bounds).tolist()
        self._words_keys = keys
        return keys
