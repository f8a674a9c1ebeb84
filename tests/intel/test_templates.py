"""Template clustering: Chinese-aware near-duplicates, the Arrow folding equals the pure reference."""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel.folding_model import _fold_table, as_codes, fold_codes, normalise_text
from lendguard.intel.job import _code_points, fold_texts
from lendguard.intel.template_model import TemplateParams, cluster_texts

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
