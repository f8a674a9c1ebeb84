"""Near-duplicate complaint texts: MinHash over character shingles with LSH banding (pure, NumPy).

Chinese has no spaces, so texts are compared as sets of overlapping character k-grams ("shingles")
after Unicode NFKC folding, lower-casing and removing everything that is not a letter or digit; that
works the same for Chinese and English. Detecting template complaints is one of the behaviours lenders
use to recognise anti-collection agencies (issue 6; DESIGN.md §1).

The signatures are bit-identical to the de-facto standard library's, datasketch (>= 2.0, its default
``affine32`` scheme): ``MinHash(num_perm=bands*rows, seed=seed)`` updated with the UTF-8 bytes of
every shingle, and the candidate pairs are those of ``MinHashLSH(params=(bands, rows))`` (texts equal
on all ``rows`` values of some band), kept when ``MinHash.jaccard`` >= ``similarity``. Only the
arithmetic is vectorised: each distinct shingle is hashed once (SHA-1, first 4 bytes little-endian,
MurmurHash3 32-bit finaliser) and the permutations ``a*h + b mod 2**32`` are applied with NumPy.
``tests/intel/test_templates.py`` compares both on random texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lendguard.intel.folding_model import as_codes, normalise_text
from lendguard.intel.graph_model import components

_U32 = np.uint32
_MAX32 = _U32(0xFFFFFFFF)


@dataclass(frozen=True)
class TemplateParams:
    """MinHash/LSH settings; ``bands * rows`` permutations; pairs at ``similarity`` or above match."""

    shingle: int = 3
    bands: int = 8
    rows: int = 4
    similarity: float = 0.6
    min_chars: int = 12  # shorter texts say too little to call them a template
    seed: int = 20260


def shingles(text: str, k: int) -> set[str]:
    """The k-grams of a folded text (a text shorter than ``k`` is its own single shingle)."""
    if len(text) < k:
        return {text} if text else set()
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def permutations(params: TemplateParams) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """datasketch's affine32 permutation parameters ``(a, b)`` for ``params.seed``."""
    gen = np.random.RandomState(params.seed)
    perms = params.bands * params.rows
    a = gen.randint(0, 1 << 31, perms, dtype=np.uint32) * _U32(2) + _U32(1)  # odd: a bijection mod 2**32
    b = gen.randint(0, 1 << 32, perms, dtype=np.uint32)
    return a, b


def _fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finaliser (datasketch pre-mixes every input hash with it)."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def _window_keys(codes: npt.NDArray[np.uint32], lengths: npt.NDArray[np.int64], k: int) -> npt.NDArray[Any]:
    """One sortable key per k-gram of every text, texts in order: code points packed into a uint64 when
    they fit (k <= 3), else the raw k code points."""
    n = len(codes)
    m = max(n - k + 1, 0)  # windows of the concatenated codes, some crossing from one text into the next
    inside = np.ones(m, dtype=bool)
    ends = np.cumsum(lengths)
    for back in range(1, k):  # a window starting in the last k-1 positions of its text crosses its end
        starts = ends - back
        inside[starts[(starts >= 0) & (starts < m)]] = False
    if k * 21 <= 64:  # a code point has at most 21 bits
        # in place: one array of keys instead of a temporary per shift and per code point
        packed = codes[:m].astype(np.uint64)
        for offset in range(1, k):
            packed <<= np.uint64(21)
            packed |= codes[offset : offset + m]
        return packed[inside]
    windows = np.zeros((0, k), dtype=np.uint32)
    if m:
        windows = np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(codes, k)[inside])
    return windows.view(np.dtype((np.void, 4 * k))).ravel()


def _vocabulary(unique: npt.NDArray[Any], k: int) -> list[str]:
    """The k-gram strings of the distinct keys (unpacked back to code points in one decode)."""
    if unique.dtype == np.uint64:
        shifts = np.uint64(21) * np.arange(k - 1, -1, -1, dtype=np.uint64)
        grams = ((unique[:, None] >> shifts) & np.uint64(0x1FFFFF)).astype("<u4")
    else:
        grams = unique.view("<u4").reshape(len(unique), k)
    joined = grams.tobytes().decode("utf-32-le", errors="surrogatepass")
    return [joined[i : i + k] for i in range(0, len(joined), k)]


# Distinct keys and each key's index among them, for uint64 keys and fixed-width byte strings (void)
Factorize = Callable[[npt.NDArray[Any]], tuple[npt.NDArray[Any], npt.NDArray[np.int64]]]


def unique_inverse(keys: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """The distinct keys and each key's index among them (NumPy: a sort; callers may pass a hash-based one)."""
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, inverse.astype(np.int64).ravel()


def _tokens(
    codes: npt.NDArray[np.uint32], lengths: npt.NDArray[np.int64], k: int, factorize: Factorize = unique_inverse
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[str]]:
    """Every text's shingles as ids into a vocabulary: (ids, shingle count per text, vocabulary)."""
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    counts = np.where(lengths >= k, lengths - k + 1, 0)
    keys = _window_keys(codes, lengths, k)
    unique, ids = factorize(keys)
    vocabulary = _vocabulary(unique, k)
    short = np.flatnonzero((lengths > 0) & (lengths < k))
    if short.size:  # rare: a text shorter than k is one shingle, itself
        texts = {
            int(i): codes[starts[i] : starts[i] + lengths[i]].tobytes().decode("utf-32-le", errors="surrogatepass")
            for i in short
        }
        extra = {text: len(vocabulary) + j for j, text in enumerate(dict.fromkeys(texts.values()))}
        vocabulary += list(extra)
        per_text = np.split(ids, np.cumsum(counts)[:-1])
        for i, text in texts.items():
            per_text[i] = np.array([extra[text]], dtype=np.int64)
        counts = counts.copy()
        counts[short] = 1
        ids = np.concatenate(per_text)
    return ids, counts, vocabulary


def signatures(
    texts: Sequence[str], params: TemplateParams, factorize: Factorize = unique_inverse
) -> npt.NDArray[np.uint32]:
    """MinHash signature (one row per folded text, ``bands * rows`` columns), equal to datasketch's."""
    return code_signatures(*as_codes(texts), params, factorize)


def code_signatures(
    codes: npt.NDArray[np.uint32], lengths: npt.NDArray[np.int64], params: TemplateParams, factorize: Factorize
) -> npt.NDArray[np.uint32]:
    """:func:`signatures` of texts given as code points (see :func:`as_codes`)."""
    perms = params.bands * params.rows
    out = np.full((len(lengths), perms), _MAX32, dtype=np.uint32)  # an empty set keeps the maximum
    if not len(lengths):
        return out
    ids, counts, vocabulary = _tokens(codes, lengths, params.shingle, factorize)
    sha1 = hashlib.sha1
    digests = b"".join([sha1(t.encode("utf-8")).digest() for t in vocabulary])  # 20 bytes each
    hashes = _fmix32(np.frombuffer(digests, dtype="<u4")[::5])  # the first 4 bytes, little-endian
    a, b = permutations(params)
    present = np.flatnonzero(counts > 0)
    if not present.size:
        return out
    offsets = (np.cumsum(counts) - counts)[present]
    # every permutation of every distinct shingle (uint32 arithmetic wraps: mod 2**32, as in datasketch)
    permuted = a[:, None] * hashes[None, :] + b[:, None]
    out[present] = _minimums(permuted, ids, offsets).T
    return out


# Shingle ids per chunk in :func:`_minimums`: a chunk's ids (int64) and values (uint32), 384 KiB, stay
# in a core's L2 cache while every permutation passes over them.
CHUNK_IDS = 1 << 15


def _minimums(
    permuted: npt.NDArray[np.uint32], ids: npt.NDArray[np.int64], offsets: npt.NDArray[np.int64], chunk: int = CHUNK_IDS
) -> npt.NDArray[np.uint32]:
    """Per permutation (row of ``permuted``) and text, the least permuted value of the text's shingle ids.

    Texts are the consecutive runs of ``ids`` starting at ``offsets`` (each run non-empty). They are
    taken in chunks of about ``chunk`` ids (whole texts), every permutation per chunk, instead of every
    permutation over all ids: on a 50,000-borrower world (793k ids) the 32 permutations take about 22 ms
    of CPU instead of 27.
    """
    perms, texts = len(permuted), len(offsets)
    ends = np.append(offsets[1:], len(ids))
    cuts = np.searchsorted(ends, np.arange(chunk, len(ids), chunk), side="right")  # texts ending by each mark
    bounds = np.unique(np.concatenate(([0], cuts, [texts])))
    sizes = ends[bounds[1:] - 1] - offsets[bounds[:-1]]
    mins = np.empty((perms, texts), dtype=np.uint32)
    buffer = np.empty(int(sizes.max()), dtype=np.uint32)  # one buffer for every chunk's values
    for first, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        start = int(offsets[first])
        part = ids[start : int(ends[stop - 1])]
        starts = offsets[first:stop] - start
        values = buffer[: len(part)]
        for j in range(perms):
            # mode="wrap": the ids are all in range, so the result is the same, but NumPy buffers ``out``
            # in the default mode="raise" (documented): 32 takes of 793k ids (50,000-borrower world) take
            # about 15 ms of CPU instead of 40
            permuted[j].take(part, out=values, mode="wrap")
            np.minimum.reduceat(values, starts, out=mins[j, first:stop])
    return mins


def _bucket_pairs(block: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """Every pair (i < j) of rows of ``block`` that are equal, as ``i * n + j``."""
    n = len(block)
    order = np.lexsort(block.T[::-1]).astype(np.int64)
    ordered = block[order]
    new = np.concatenate(([True], (ordered[1:] != ordered[:-1]).any(axis=1)))
    bucket = np.cumsum(new) - 1
    ends = np.flatnonzero(np.concatenate((new[1:], [True]))) + 1  # exclusive end of each bucket
    after = ends[bucket] - np.arange(n) - 1  # later members of the same bucket
    left = np.repeat(order, after)
    step = np.arange(int(after.sum())) - np.repeat(np.cumsum(after) - after, after)
    right = order[np.repeat(np.arange(n), after) + 1 + step]
    return np.minimum(left, right) * n + np.maximum(left, right)


def similar_pairs(sig: npt.NDArray[np.uint32], params: TemplateParams) -> npt.NDArray[np.int64]:
    """Pairs (i, j), i < j, that share an LSH bucket and whose estimated Jaccard is >= similarity.

    Exactly ``MinHashLSH(params=(bands, rows)).query`` filtered by ``MinHash.jaccard``: every pair in
    a shared bucket is checked, not only pairs with the bucket's first member.
    """
    n = len(sig)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    codes: list[npt.NDArray[np.int64]] = []
    for band in range(params.bands):
        codes.append(_bucket_pairs(sig[:, band * params.rows : (band + 1) * params.rows]))
    pairs = np.unique(np.concatenate(codes))
    both = np.stack([pairs // n, pairs % n], axis=1)
    return both[_verified(sig, both, params)]


def _verified(
    sig: npt.NDArray[np.uint32], pairs: npt.NDArray[np.int64], params: TemplateParams
) -> npt.NDArray[np.bool_]:
    """Which pairs (rows of ``pairs``) have an estimated Jaccard similarity >= ``params.similarity``."""
    perms = sig.shape[1]
    equal = np.empty(len(pairs), dtype=np.int64)
    # counted in bytes when they cannot overflow: NumPy's sum of booleans otherwise widens every one to
    # int64 (about 2 ms less CPU for the ~145,000 pairs checked on a 50,000-borrower world)
    count = np.uint8 if perms < 256 else np.int64
    chunk = 1 << 18  # bounded temporaries: (chunk x perms) booleans
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        same = sig.take(part[:, 0], axis=0) == sig.take(part[:, 1], axis=0)
        equal[start : start + chunk] = same.sum(axis=1, dtype=count)
    return equal / np.float64(perms) >= params.similarity  # the float division MinHash.jaccard does


def _buckets(block: npt.NDArray[np.uint32], factorize: Factorize) -> npt.NDArray[np.int64]:
    """Bucket number of each row (rows equal on the whole band share one; the numbering is arbitrary).

    Each row of the band is one fixed-width byte-string key, numbered by ``factorize`` in one pass (on
    a 50,000-borrower world the 8 bands take about 6 ms of CPU with Arrow, instead of 11 with three
    passes over pairs of values per band).
    """
    rows = np.ascontiguousarray(block)
    return factorize(rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1]))).ravel())[1]


# Below this many texts, (bucket * n + component) * n + row < n**3 fits in an int64.
UNIQUE_SORT_BELOW = 1 << 21


def _grouped(
    rows: npt.NDArray[np.int64], bucket: npt.NDArray[np.int64], label: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """``rows`` (ascending) sorted by bucket, then component, then row: (order, bucket start flags,
    component start flags)."""
    n = len(label)
    key = bucket[rows] * n + label[rows]
    # below UNIQUE_SORT_BELOW, the row in the key too: keys are distinct, so NumPy's default sort (SIMD
    # quicksort) gives the stable order; about 3 ms less CPU over the 16 sorts of a 50,000-borrower world
    distinct = n < UNIQUE_SORT_BELOW
    order = rows[np.argsort(key * n + rows) if distinct else np.argsort(key, kind="stable")]
    b, lab = bucket[order], label[order]
    new_bucket = np.concatenate(([True], b[1:] != b[:-1]))
    new_group = new_bucket | np.concatenate(([True], lab[1:] != lab[:-1]))
    return order, new_bucket, new_group


def _star_pairs(order: npt.NDArray[np.int64], new_bucket: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """(first row of its bucket, row) for every other row of each bucket."""
    head = order[np.maximum.accumulate(np.where(new_bucket, np.arange(len(order)), 0))]
    return np.stack([head, order], axis=1)[~new_bucket]


def _cross_pairs(
    order: npt.NDArray[np.int64], new_bucket: npt.NDArray[np.bool_], new_group: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Every pair of rows that share a bucket but lie in different components (each pair once)."""
    bucket_end = np.flatnonzero(np.concatenate((new_bucket[1:], [True]))) + 1
    group_end = np.flatnonzero(np.concatenate((new_group[1:], [True]))) + 1
    at_bucket_end = bucket_end[np.cumsum(new_bucket) - 1]
    at_group_end = group_end[np.cumsum(new_group) - 1]
    after = at_bucket_end - at_group_end  # rows of later components in the same bucket
    left = np.repeat(order, after)
    step = np.arange(int(after.sum())) - np.repeat(np.cumsum(after) - after, after)
    right = order[np.repeat(at_group_end, after) + step]
    return np.stack([left, right], axis=1)


def similar_components(
    sig: npt.NDArray[np.uint32], params: TemplateParams, factorize: Factorize = unique_inverse
) -> npt.NDArray[np.int64]:
    """The components of the :func:`similar_pairs` graph, labelled by their smallest row.

    Exact, without enumerating every candidate pair: band by band, each bucket's rows are first checked
    against the bucket's first row, then every pair of rows still in different components is checked.
    Pairs inside one component could not change the components, so they are skipped; a bucket of
    near-duplicates then costs about one check per row instead of one per pair. ``factorize`` numbers
    the buckets (see :func:`unique_inverse`); the result does not depend on it.
    """
    n = len(sig)
    label = np.arange(n, dtype=np.int64)

    def join(pairs: npt.NDArray[np.int64]) -> None:
        nonlocal label
        pairs = pairs[label[pairs[:, 0]] != label[pairs[:, 1]]]
        joined = pairs[_verified(sig, pairs, params)] if len(pairs) else pairs
        if len(joined):
            label = components(n, label[joined])[label]

    for band in range(params.bands):
        bucket = _buckets(sig[:, band * params.rows : (band + 1) * params.rows], factorize)
        shared = np.flatnonzero(np.bincount(bucket)[bucket] >= 2)  # rows alone in their bucket pair with none
        if not shared.size:
            continue
        order, new_bucket, _ = _grouped(shared, bucket, label)
        join(_star_pairs(order, new_bucket))
        join(_cross_pairs(*_grouped(shared, bucket, label)))
    return label


def cluster_texts(texts: Sequence[str], params: TemplateParams) -> list[int]:
    """Cluster label per text: the index of the cluster's first text, or -1 for a text with no twin.

    Candidate pairs come from LSH buckets (texts equal on all ``rows`` values of a band); a pair is
    joined only when its estimated Jaccard similarity is at least ``params.similarity``.
    """
    return cluster_normalised([normalise_text(t) for t in texts], params)


def cluster_normalised(
    normalised: Sequence[str], params: TemplateParams, factorize: Factorize = unique_inverse
) -> list[int]:
    """:func:`cluster_texts` on texts already passed through :func:`normalise_text` (or an equivalent)."""
    return cluster_codes(*as_codes(normalised), params, factorize).tolist()


def cluster_codes(
    codes: npt.NDArray[np.uint32],
    lengths: npt.NDArray[np.int64],
    params: TemplateParams,
    factorize: Factorize = unique_inverse,
) -> npt.NDArray[np.int64]:
    """:func:`cluster_normalised` of folded texts given as code points (see :func:`as_codes`).

    ``factorize`` finds the distinct shingles (see :func:`unique_inverse`); the result does not depend on it.
    """
    labels = np.full(len(lengths), -1, dtype=np.int64)
    eligible = lengths >= params.min_chars
    chosen = np.flatnonzero(eligible)
    if len(chosen) < 2:
        return labels
    sig = code_signatures(codes[np.repeat(eligible, lengths)], lengths[chosen], params, factorize)
    root = similar_components(sig, params, factorize)
    # label = the first text of each component; components of one text stay unlabelled
    order = np.argsort(root, kind="stable")
    sorted_root = root[order]
    head = np.concatenate(([True], sorted_root[1:] != sorted_root[:-1]))
    group = np.cumsum(head) - 1
    size = np.bincount(group)
    first = chosen[order[head]]  # stable sort: the first eligible text of each component
    member = size[group] >= 2
    labels[chosen[order[member]]] = first[group[member]]
    return labels
