"""Near-duplicate complaint texts: MinHash over character shingles with LSH banding (pure, NumPy).

Chinese has no spaces, so texts are compared as sets of overlapping character k-grams ("shingles")
after Unicode NFKC folding, lower-casing and removing everything that is not a letter or digit; that
works the same for Chinese and English. Hashes are fixed integer arithmetic, so every engine and
every run gives the same signatures. Detecting template complaints is one of the behaviours lenders
use to recognise anti-collection agencies (issue 6; DESIGN.md §1).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lendguard.intel.graph_model import UnionFind

_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True)
class TemplateParams:
    """MinHash/LSH settings; ``bands * rows`` permutations; pairs at ``similarity`` or above match."""

    shingle: int = 3
    bands: int = 8
    rows: int = 4
    similarity: float = 0.6
    min_chars: int = 12  # shorter texts say too little to call them a template
    seed: int = 20260


_NOT_WORD = re.compile(r"[\W_]+")


def normalise_text(text: str) -> str:
    """NFKC-folded, lower-cased letters and digits only (punctuation and spaces carry no template)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


# The same folding as Arrow compute functions (RE2 and utf8proc run it in C++ on a whole column); the
# job uses this, tests check that both give the same strings.
ARROW_NOT_WORD = r"[^\p{L}\p{N}]+"


def _shingle_hashes(texts: Sequence[str], k: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """All k-gram hashes of all texts concatenated, and each text's start offset."""
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    n = codes.size
    hashes = np.zeros(n, dtype=np.uint64)
    multipliers = (np.uint64(0x9E3779B1), np.uint64(0x85EBCA77), np.uint64(0xC2B2AE3D), np.uint64(0x27D4EB2F))
    for offset in range(k):
        part = np.zeros(n, dtype=np.uint64)
        part[: n - offset] = codes[offset:]
        hashes = (hashes * np.uint64(1000003)) ^ (part * multipliers[offset % 4])
    shingle_counts = np.maximum(lengths - k + 1, 1)
    # keep the k-grams that lie inside one text (a text shorter than k keeps its one prefix k-gram)
    keep = np.repeat(starts, shingle_counts) + (
        np.arange(int(shingle_counts.sum())) - np.repeat(np.cumsum(shingle_counts) - shingle_counts, shingle_counts)
    )
    offsets = np.concatenate(([0], np.cumsum(shingle_counts)[:-1])).astype(np.int64)
    folded = (hashes[keep] >> np.uint64(32)) ^ (hashes[keep] & _MASK32)
    return folded, offsets


def signatures(texts: Sequence[str], params: TemplateParams) -> npt.NDArray[np.uint64]:
    """MinHash signature (one row per text, ``bands * rows`` columns) of normalised texts."""
    if not texts:
        return np.zeros((0, params.bands * params.rows), dtype=np.uint64)
    hashes, offsets = _shingle_hashes(texts, params.shingle)
    rng = np.random.default_rng(params.seed)
    perms = params.bands * params.rows
    a = rng.integers(1, 2**63, size=perms, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=perms, dtype=np.uint64)
    out = np.empty((len(texts), perms), dtype=np.uint64)
    # multiply-shift hashing: (a*x + b) mod 2**64 (uint64 wrap-around), top 32 bits; no division
    with np.errstate(over="ignore"):
        for j in range(perms):
            values = (a[j] * hashes + b[j]) >> np.uint64(32)
            out[:, j] = np.minimum.reduceat(values, offsets)
    return out


def _similar_pairs(sig: npt.NDArray[np.uint64], params: TemplateParams) -> list[tuple[int, int]]:
    """Pairs (bucket head, other member) that share an LSH bucket and are similar enough, deduplicated."""
    heads: list[npt.NDArray[np.int64]] = []
    others: list[npt.NDArray[np.int64]] = []
    for band in range(params.bands):
        block = np.ascontiguousarray(sig[:, band * params.rows : (band + 1) * params.rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * params.rows))).ravel()
        order = np.argsort(keys, kind="stable").astype(np.int64)
        sorted_keys = keys[order]
        new_bucket = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
        bucket_start = np.maximum.accumulate(np.where(new_bucket, np.arange(len(order)), 0))
        member = ~new_bucket  # every member but the first of its bucket is paired with the first
        heads.append(order[bucket_start[member]])
        others.append(order[member])
    if not heads:
        return []
    a = np.concatenate(heads)
    b = np.concatenate(others)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    if len(pairs) == 0:
        return []
    similar = (sig[pairs[:, 0]] == sig[pairs[:, 1]]).mean(axis=1) >= params.similarity
    return [(int(x), int(y)) for x, y in pairs[similar]]


def cluster_texts(texts: Sequence[str], params: TemplateParams) -> list[int]:
    """Cluster label per text: the index of the cluster's first text, or -1 for a text with no twin.

    Candidate pairs come from LSH buckets (texts equal on all ``rows`` values of a band); a pair is
    joined only when its estimated Jaccard similarity is at least ``params.similarity``.
    """
    return cluster_normalised([normalise_text(t) for t in texts], params)


def cluster_normalised(normalised: Sequence[str], params: TemplateParams) -> list[int]:
    """:func:`cluster_texts` on texts already passed through :func:`normalise_text` (or an equivalent)."""
    eligible = [i for i, t in enumerate(normalised) if len(t) >= params.min_chars]
    labels = [-1] * len(normalised)
    if len(eligible) < 2:
        return labels
    distinct: dict[str, int] = {}
    for i in eligible:
        distinct.setdefault(normalised[i], len(distinct))
    unique_texts = list(distinct)
    sig = signatures(unique_texts, params)
    union = UnionFind(len(unique_texts))
    for a, b in _similar_pairs(sig, params):
        union.union(a, b)
    roots = [union.find(i) for i in range(len(unique_texts))]
    sizes: dict[int, int] = {}
    for i in eligible:
        root = roots[distinct[normalised[i]]]
        sizes[root] = sizes.get(root, 0) + 1
    first: dict[int, int] = {}
    for i in eligible:
        root = roots[distinct[normalised[i]]]
        if sizes[root] >= 2:
            labels[i] = first.setdefault(root, i)
    return labels
