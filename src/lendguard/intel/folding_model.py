"""Folding complaint texts for template comparison (pure, NumPy): NFKC, lower case, letters and digits.

:func:`normalise_text` is the reference on Python strings. The job folds whole columns as arrays of
code points: by a table for texts whose every code point folds on its own (:func:`fold_simple`), and
otherwise after Arrow's NFKC and lower case, keeping letters and digits (:func:`fold_codes`).
``tests/intel/test_templates.py`` checks both against the reference.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_NOT_WORD = re.compile(r"[\W_]+")


def normalise_text(text: str) -> str:
    """NFKC-folded, lower-cased letters and digits only (punctuation and spaces carry no template)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


Codes = tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]


def as_codes(texts: Sequence[str]) -> Codes:
    """Texts as one array of code points and each text's length."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    return codes, lengths


@functools.cache
def _alnum_bmp() -> npt.NDArray[np.bool_]:
    return np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)


# Code points that fold on their own, whatever surrounds them: ASCII, CJK unified ideographs, CJK
# punctuation, general punctuation and the full-width forms of ASCII. None combines with a neighbour
# (no combining mark, no second half of a canonical composition) and none has context-dependent case,
# so NFKC, lower case and the letter-and-digit filter act on a text of them one code point at a time.
_PER_CODE_POINT = (
    range(0x20, 0x7F),
    range(0x2010, 0x2028),
    range(0x3000, 0x302A),  # 0x302A-0x302F are combining tone marks
    range(0x3030, 0x3040),
    range(0x4E00, 0xA000),
    range(0xFF01, 0xFF5F),
)


@functools.cache
def _fold_table() -> npt.NDArray[np.int32]:
    """For each BMP code point of ``_PER_CODE_POINT``: the code point :func:`normalise_text` makes of it
    (0: removed); -1 for every other code point and for one that becomes several."""
    table = np.full(0x10000, -1, dtype=np.int32)
    cjk = np.arange(0x4E00, 0xA000)
    table[cjk] = np.where(_alnum_bmp()[cjk], cjk, 0)  # NFKC and lower case leave ideographs alone
    for block in _PER_CODE_POINT:
        for c in block if block.start != 0x4E00 else ():
            folded = normalise_text(chr(c))
            marks = any(unicodedata.combining(part) for part in unicodedata.normalize("NFKC", chr(c)))
            if len(folded) <= 1 and not marks:  # U+2017 becomes a space and a combining mark
                table[c] = ord(folded) if folded else 0
    return table


def fold_simple(codes: npt.NDArray[np.uint32], lengths: npt.NDArray[np.int64]) -> tuple[Codes, npt.NDArray[np.bool_]]:
    """Fold the texts made only of code points that fold on their own (nearly every complaint), by table.

    Returns their folded code points and lengths (length 0 for the others) and which texts are left for
    the general path (Unicode normalisation of the whole text, then :func:`fold_codes`).
    """
    if not len(codes) or int(codes.max()) < 0x10000:
        # mode="wrap": every code is in range, and NumPy's take then skips its bounds checks (about 1.5 ms
        # of CPU instead of 3 for the 908k code points of a 50,000-borrower world's complaints)
        mapped = _fold_table().take(codes, mode="wrap")
    else:  # code points above the BMP never fold on their own
        bmp = codes < 0x10000
        mapped = np.where(bmp, _fold_table()[np.where(bmp, codes, 0)], -1)
    ends = np.cumsum(lengths, dtype=np.int64)

    def per_text(positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """How many of ``positions`` (sorted) fall in each text."""
        return np.bincount(np.searchsorted(ends, positions, side="right"), minlength=len(lengths))[: len(lengths)]

    other = per_text(np.flatnonzero(mapped < 0)) > 0  # usually none
    keep = mapped > 0
    if other.any():
        keep &= ~np.repeat(other, lengths)
    dropped = per_text(np.flatnonzero(~keep))  # spaces and punctuation: a small share of a text
    return (mapped[keep].view(np.uint32), lengths - dropped), other  # kept code points are positive


def merge_folded(simple: Codes, others: Codes, other: npt.NDArray[np.bool_]) -> Codes:
    """Texts folded by :func:`fold_simple` with the ``other`` ones (in order) folded the general way."""
    (codes, lengths), (more, more_lengths) = simple, others
    out_lengths = lengths.copy()
    out_lengths[other] = more_lengths
    source = np.cumsum(lengths) - lengths  # where each text's code points start in codes + more
    source[other] = len(codes) + np.cumsum(more_lengths) - more_lengths
    starts = np.cumsum(out_lengths) - out_lengths
    index = np.repeat(source - starts, out_lengths) + np.arange(int(out_lengths.sum()))
    return np.concatenate((codes, more))[index], out_lengths


def fold_codes(codes: npt.NDArray[np.uint32], lengths: npt.NDArray[np.int64]) -> Codes:
    """Keep the letters and digits (``str.isalnum``) of NFKC-folded, lower-cased texts: the last step
    of :func:`normalise_text`, on code points."""
    if not len(codes) or int(codes.max()) < 0x10000:  # the usual case: one table lookup per code point
        keep = _alnum_bmp()[codes]
    else:
        keep = np.zeros(len(codes), dtype=bool)
        bmp = codes < 0x10000
        keep[bmp] = _alnum_bmp()[codes[bmp]]
        astral = np.flatnonzero(~bmp)
        # rare: decide each distinct code point above the BMP in Python
        distinct, inverse = np.unique(codes[astral], return_inverse=True)
        keep[astral] = np.array([chr(int(c)).isalnum() for c in distinct], dtype=bool)[inverse.ravel()]
    kept = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))  # kept code points before each position
    ends = np.cumsum(lengths, dtype=np.int64)
    return codes[keep], kept[ends] - kept[ends - lengths]
