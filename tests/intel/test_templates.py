"""Template clustering: Chinese-aware near-duplicates, the Arrow folding equals the pure reference."""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel.job import _code_points
from lendguard.intel.template_model import TemplateParams, as_codes, cluster_texts, fold_codes, normalise_text

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
