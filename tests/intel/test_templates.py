"""Template clustering: Chinese-aware near-duplicates, the Arrow folding equals the pure reference."""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel import template_model
from lendguard.intel.folding_model import _fold_table, as_codes, fold_codes, normalise_text
from lendguard.intel.job import _code_points, _factorize, fold_texts
from lendguard.intel.template_model import (
    TemplateParams,
    _minimums,
    cluster_texts,
    code_signatures,
    signatures,
    unique_inverse,
)

BASE = (
    "本人{}因疫情失业无力偿还，贵司催收人员多次暴力催收，现要求立即停止一切催收并减免全部罚息，否则将向银保监会投诉。"
)


def test_filled_in_templates_cluster_and_different_texts_do_not() -> None:
    texts = [
        BASE.format("张三"),
        BASE.format("李四四"),
        BASE.format("王五").replace("，", ", "),  # punctuation and spacing do not matter
        "还款日扣款失败但是账户余额充足，请核查并退还逾期费，谢谢。",
        "The collector called my employer three times and told my colleagues about the debt.",
        "短",
    ]
    labels = cluster_texts(texts, TemplateParams())
    assert labels[0] == labels[1] == labels[2] == 0
    assert labels[3:] == [-1, -1, -1]


def test_full_width_forms_fold_to_ascii() -> None:
    assert normalise_text("ＡＢＣ１２３，请联系！") == "abc123请联系"


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs", "Cn", "Co")), max_size=40),
        min_size=1,
        max_size=8,
    )
)
def test_arrow_folding_equals_the_reference(texts: list[str]) -> None:
    # The Basic Multilingual Plane only: Python's unicodedata and Arrow's utf8proc may know different
    # Unicode versions, so recently assigned (or unassigned) code points can differ.
    lowered = pc.utf8_lower(pc.utf8_normalize(pa.array(texts), form="NFKC"))
    codes, lengths = fold_codes(*_code_points(lowered))
    folded = np.split(codes, np.cumsum(lengths)[:-1])
    assert [c.tobytes().decode("utf-32-le") for c in folded] == [normalise_text(t) for t in texts]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=6))
def test_code_point_filter_equals_the_reference_everywhere(texts: list[str]) -> None:
    # the letter-and-digit filter alone (astral planes included), after Python's own NFKC and lower case
    lowered = [unicodedata.normalize("NFKC", t).lower() for t in texts]
    codes, lengths = fold_codes(*as_codes(lowered))
    folded = np.split(codes, np.cumsum(lengths)[:-1])
    assert [c.tobytes().decode("utf-32-le", errors="surrogatepass") for c in folded] == [
        normalise_text(t) for t in texts
    ]


# Code points that fold alone (ASCII, ideographs, CJK and full-width punctuation) mixed with ones that
# need the whole text normalised: composed and combining letters, ligatures, final sigma, Hangul jamo,
# CJK tone marks, letters above the BMP.
_PIECES = [*"Ab z09,.!@ 本人张三贵司，。！（）：“”…ＡＢ１２－〇〸", "e\u0301", "\u0301", "é", "ﬁ"]
_PIECES += ["\u1100\u1161", "\u302a", "𝐀", "İ", "㈱", "\u3000"]
_MIXED = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_MIXED, min_size=1, max_size=8))
def test_table_folding_equals_the_reference(texts: list[str]) -> None:
    # texts of code points that fold alone go by the table, the others by Arrow; the order is kept
    codes, lengths = fold_texts(pa.array(texts, type=pa.string()))
    folded = np.split(codes, np.cumsum(lengths)[:-1])
    assert [c.tobytes().decode("utf-32-le") for c in folded] == [normalise_text(t) for t in texts]


def test_code_points_of_the_table_fold_alone() -> None:
    # what makes table folding exact: no code point of the table (nor of its NFKC form) is a combining
    # mark or the second half of a canonical composition, so no neighbour changes how it folds
    seconds = set()
    for c in range(0x110000):
        parts = unicodedata.decomposition(chr(c)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    seconds.update(range(0x1161, 0x1176))  # Hangul vowels and trailing consonants compose algorithmically
    seconds.update(range(0x11A8, 0x11C3))
    for c in np.flatnonzero(_fold_table() >= 0).tolist():
        for part in unicodedata.normalize("NFKC", chr(c)):
            assert unicodedata.combining(part) == 0, hex(c)
            assert ord(part) not in seconds, hex(c)
        assert len(chr(c).lower()) == 1, hex(c)  # no case mapping to several letters


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(st.integers(0, 49), min_size=1, max_size=20), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=40),
)
def test_signature_minimums_do_not_depend_on_the_chunks(texts: list[list[int]], chunk: int) -> None:
    # texts are cut into chunks of about ``chunk`` shingle ids (whole texts; a long text is a chunk alone)
    permuted = np.random.default_rng(len(texts)).integers(0, 2**32, (3, 50), dtype=np.uint64).astype(np.uint32)
    ids = np.array([i for text in texts for i in text], dtype=np.int64)
    offsets = np.cumsum([0] + [len(t) for t in texts[:-1]]).astype(np.int64)
    expected = [[min(row[t].tolist()) for t in texts] for row in permuted]
    assert _minimums(permuted, ids, offsets, chunk).tolist() == expected


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2**32 - 1)), max_size=30), st.integers(0, 3))
def test_arrow_factorize_numbers_fixed_width_keys_as_numpy_does(rows: list[tuple[int, int]], skip: int) -> None:
    # LSH bands are numbered as byte strings (a NumPy void dtype, Arrow fixed-size binary); a slice too
    block = np.array(rows, dtype=np.uint32).reshape(len(rows), 2)
    keys = block.view(np.dtype((np.void, 8))).ravel()[skip:]
    unique, index = _factorize(keys)
    assert unique.dtype == keys.dtype
    assert unique[index].tolist() == keys.tolist()
    assert sorted(unique.tolist()) == unique_inverse(keys)[0].tolist()


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(_MIXED, min_size=1, max_size=8), st.sampled_from([2, 3, 4, 5]))
def test_arrow_factorize_gives_the_same_signatures(texts: list[str], k: int) -> None:
    # k > 3: shingles are fixed-width byte strings, numbered by Arrow too
    params = TemplateParams(shingle=k)
    assert code_signatures(*as_codes(texts), params, _factorize).tolist() == signatures(texts, params).tolist()


def test_components_do_not_depend_on_how_band_rows_are_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    # below UNIQUE_SORT_BELOW texts, rows are sorted by one distinct key; above it, stably by bucket and
    # component: both orders are the same
    texts = [BASE.format(name) for name in ("张三", "李四四", "王五", "赵六六六", "钱七")] * 3 + [
        "不同的投诉内容" * 3
    ] * 2
    params = TemplateParams()
    expected = cluster_texts(texts, params)
    monkeypatch.setattr(template_model, "UNIQUE_SORT_BELOW", 0)
    assert cluster_texts(texts, params) == expected
    assert len(set(expected)) == 2
