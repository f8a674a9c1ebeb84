"""Properties of the normaliser: the fast views equal the views with offsets, and offsets map back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.collections.screening.engine import load_base
from lendguard.collections.screening.lexicon import LexiconError, parse_lexicon
from lendguard.collections.screening.normalise import compact, compact_offsets, words, words_offsets

ALPHABET = st.sampled_from(
    list("傻逼你這個老賴 ,.*-_|、。！？abcSBfuck1d0t@$ＡＢｎｍ１２３🔪🙂👊\u200b\u3000您的买手机\t")
)
TEXTS = st.lists(ALPHABET, max_size=40).map("".join) | st.text(max_size=40)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_fast_views_equal_the_views_with_offsets(text: str) -> None:
    tables = load_base().tables
    view, origin = compact_offsets(text, tables)
    assert view == compact(text, tables)
    assert len(origin) == len(view)
    assert origin == sorted(origin) and all(0 <= o < len(text) for o in origin)
    wview, worigin = words_offsets(text, tables)
    assert wview == words(text, tables)
    assert len(worigin) == len(wview)
    assert all(0 <= o <= len(text) for o in worigin)


def test_folding_examples() -> None:
    tables = load_base().tables
    assert compact("你這個 傻.逼！", tables) == "你这个傻逼"
    assert compact("ＳＢ", tables) == "sb"
    assert compact("拿🔪", tables) == "拿刀"
    assert words("You are an 1D10T!!", tables) == " you are an idiot "
    assert words("f u c k", tables) == " fuck "
    assert words("f*ck", tables) == " f*ck "


def test_a_broken_lexicon_names_the_entry() -> None:
    with pytest.raises(LexiconError, match=r"zh\.x"):
        parse_lexicon({"lang": "zh", "entries": [{"id": "zh.x", "category": "nonsense", "terms": ["a"]}]})
    with pytest.raises(LexiconError, match="terms"):
        parse_lexicon({"lang": "zh", "entries": [{"id": "zh.y", "category": "insult", "terms": []}]})
