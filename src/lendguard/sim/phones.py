"""Mobile numbers from real operator number segments (号段), and the forms people write them in.

The segment table (``data/cn_mobile_segments.csv``) is derived from libphonenumber and the
VincentSit tables with the 2022 corrections (see ``data/PROVENANCE.md``). Numbers are int64 while the
world is built and become strings only when written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa

from lendguard.sim import writer

VIRTUAL_OPERATOR_PREFIXES = ("162", "165", "167", "170", "171")


@dataclass(frozen=True)
class Segment:
    """A number range: ``prefix`` (3–5 digits) of an operator, either a carrier's own or an MVNO's."""

    prefix: str
    operator: str
    kind: str  # carrier | mvno


@cache
def segments() -> tuple[Segment, ...]:
    """Every segment the world draws from."""
    text = resources.files("lendguard.sim").joinpath("data/cn_mobile_segments.csv").read_text(encoding="utf-8")
    return tuple(Segment(r["prefix"], r["operator"], r["kind"]) for r in csv.DictReader(text.splitlines()))


def segment_of(number: str) -> Segment | None:
    """The longest segment prefix of an 11-digit number, or None when it is in no real segment."""
    best: Segment | None = None
    for seg in segments():
        if number.startswith(seg.prefix) and (best is None or len(seg.prefix) > len(best.prefix)):
            best = seg
    return best


def _weights(kind: str) -> np.ndarray:
    segs = segments()
    # Older three-digit carrier segments are the most common; four/five-digit blocks are small ranges.
    w = np.array([1.0 / 10 ** (len(s.prefix) - 3) for s in segs])
    w *= np.array([1.0 if s.kind == kind else 0.0 for s in segs])
    return w / w.sum()


def draw(rng: np.random.Generator, n: int, mvno_share: float = 0.03) -> np.ndarray:
    """``n`` random 11-digit mobile numbers (int64); ``mvno_share`` of them in virtual-operator segments."""
    segs = segments()
    mvno = rng.random(n) < mvno_share
    idx = np.where(
        mvno,
        rng.choice(len(segs), size=n, p=_weights("mvno")),
        rng.choice(len(segs), size=n, p=_weights("carrier")),
    )
    return numbers_in(rng, idx)


def numbers_in(rng: np.random.Generator, segment_index: np.ndarray) -> np.ndarray:
    """A random number inside each given segment."""
    segs = segments()
    prefix = np.array([int(s.prefix) for s in segs], dtype=np.int64)[segment_index]
    span = np.array([10 ** (11 - len(s.prefix)) for s in segs], dtype=np.int64)[segment_index]
    return prefix * span + (rng.random(len(segment_index)) * span).astype(np.int64)


def mvno_segment_indices() -> np.ndarray:
    """Indices of the virtual-operator segments in :func:`segments`."""
    return np.array([i for i, s in enumerate(segments()) if s.kind == "mvno"], dtype=np.int64)


def carrier_segment_indices() -> np.ndarray:
    """Indices of the base-operator segments in :func:`segments`."""
    return np.array([i for i, s in enumerate(segments()) if s.kind == "carrier"], dtype=np.int64)


def as_text(numbers: np.ndarray) -> pa.Array:
    """Plain 11-digit form."""
    return writer.digits(numbers, 11)


# The written forms of one number: plain, +86, +86 with spaces, dashes 3-4-4, spaces 3-4-4, 86-.
FORMS = ("plain", "plus86", "plus86_spaced", "dashed", "spaced", "cc_dash")


def in_forms(numbers: np.ndarray, form: np.ndarray) -> pa.Array:
    """Each number written in the form ``FORMS[form]`` (to exercise normalisation downstream)."""
    plain = as_text(numbers)
    head = writer.digits(numbers // 100_000_000, 3)
    mid = writer.digits(numbers // 10_000 % 10_000, 4)
    tail = writer.digits(numbers % 10_000, 4)
    options = (
        plain,
        writer.cat("+86", plain),
        writer.cat("+86 ", head, " ", mid, " ", tail),
        writer.cat(head, "-", mid, "-", tail),
        writer.cat(head, " ", mid, " ", tail),
        writer.cat("86-", plain),
    )
    out = plain
    for k in range(1, len(options)):
        out = writer.where(form == k, options[k], out)
    return out


def random_forms(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Form indices: plain except for ``share`` of the rows, which get a random other form."""
    other = rng.integers(1, len(FORMS), n)
    return np.where(rng.random(n) < share, other, 0)


def normalise(text: str) -> str:
    """The 11-digit form of a written number (test helper; detectors have their own)."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits
