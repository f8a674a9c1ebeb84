"""Batch screening (``Screener.screen_many``) gives exactly the results of screening one at a time.

The batch path folds many messages in a few NumPy passes (``batch.FoldedBatch``); its views, offset
maps and gates must equal the per-message functions, which are the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.collections.screening import load_screener
from lendguard.collections.screening.batch import FoldedBatch
from lendguard.collections.screening.detectors import _EN_ADDRESS_HINT
from lendguard.collections.screening.engine import _NUMBER_HINT, load_base
from lendguard.collections.screening.model import ScreenResult
from lendguard.collections.screening.normalise import (
    compact,
    compact_offsets,
    compact_offsets_general,
    words,
    words_offsets,
    words_offsets_general,
)

DATASET = Path(__file__).resolve().parents[2] / "datasets" / "screening" / "messages.jsonl"
# Evasion characters, digits for the detectors, quotes for the context rules, characters that fold
# to several (an emoji word, NFKC expansions), a code point past the tables and letters spelled out;
# invisible characters (combining marks, format characters, variation selectors), a lone surrogate and
# symbols past the tables, which both paths must drop or replace alike.
CHARACTERS = (
    "傻逼你這個老賴 ,.*-_|、。！？abcSBfuck1d0t@$ＡＢｎｍ１２３🔪🙂👊\u200b\u3000"
    '您的买手机\t“”"号路栋室0123456789Xㄅ㈱①ﬁßİ'
    "\u0301\u20dd\u200d\u00ad\ufe0f\ud800\udc00\U000e0001\U000e0100\U0001fb00"
)
PIECES = [
    "12 Main",
    "3\u3000\u3000Ｘ",
    " A",
    "\U00020000",
    "建国路88号3号楼",
    "110105199003071239",
    "6222020200000000006",
    "不会",
    "您说“",
    "f u c k ",
]
ALPHABET = st.sampled_from([*CHARACTERS, *PIECES])
TEXTS = st.lists(ALPHABET, max_size=40).map("".join) | st.text(max_size=30)
EDGE_CASES = [
    *("", " ", "a", "ab", "你", "🔪", "\U00020000", "f u c k", "1d10t", "123", "号", "ｎｍｓｌ", "傻 逼 "),
    *("\ud800", "傻\ud800逼", "傻\u0301逼", "idi\u200dot", "傻\U0001fb00逼", "\U000e0001"),
]


def as_tuples(results: list[ScreenResult]) -> list[tuple[object, ...]]:
    return [(r.verdict, r.lang, [f.as_dict() for f in r.findings]) for r in results]


def assert_same_as_one_by_one(texts: list[str], party: str = "debtor", lang: str = "auto", chunk: int = 512) -> None:
    screener = load_screener()
    one_by_one = [screener.screen(t, party=party, lang=lang) for t in texts]
    batched = screener.screen_many(texts, party=party, lang=lang, chunk=chunk)
    assert as_tuples(batched) == as_tuples(one_by_one)


@pytest.mark.parametrize(("party", "lang"), [("debtor", "auto"), ("third_party", "auto"), ("designated_contact", "zh")])
def test_labelled_set_batched_equals_one_by_one(party: str, lang: str) -> None:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [str(row["text"]) for row in rows]
    assert_same_as_one_by_one(texts, party, lang, chunk=97)  # a chunk size that does not divide the set


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=25), st.sampled_from(["debtor", "third_party"]))
def test_random_evasion_batches_equal_one_by_one(texts: list[str], party: str) -> None:
    assert_same_as_one_by_one(texts + EDGE_CASES, party, chunk=7)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=25))
def test_batch_views_and_offset_maps_equal_the_reference(texts: list[str]) -> None:
    tables = load_base().tables
    texts = texts + EDGE_CASES
    batch = FoldedBatch(texts, tables)
    assert batch.en_address == [_EN_ADDRESS_HINT.search(t) is not None for t in texts]
    assert batch.number_hint == [_NUMBER_HINT.search(t) is not None for t in texts]
    for i, text in enumerate(texts):
        assert batch.compact(i) == compact(text, tables)
        assert batch.words(i) == words(text, tables)
        assert batch.compact_offsets(i) == compact_offsets_general(text, tables)
        assert batch.words_offsets(i, words(text, tables)) == words_offsets_general(text, tables)
        # the per-message NumPy fast paths as well
        assert compact_offsets(text, tables) == compact_offsets_general(text, tables)
        assert words_offsets(text, tables) == words_offsets_general(text, tables)


def test_gates_of_a_batch() -> None:
    texts = ["还款1 2 3元", "12a3", "号", "abc", "你好", "１２３", "", "x1y2z3", "1ab2c3", "12", "3"]
    batch = FoldedBatch(texts, load_base().tables)
    # "12" then "3" are two messages: three digits, but not in one message
    assert batch.number_hint == [True, True, True, False, False, True, False, True, False, False, False]
    assert batch.number_hint == [_NUMBER_HINT.search(t) is not None for t in texts]
    assert batch.digits == [3, 3, 0, 0, 0, 3, 0, 3, 3, 2, 1]
    assert batch.latin == [False, True, False, True, False, False, False, True, True, False, False]
    assert batch.cjk == [True, False, True, False, True, False, False, False, False, False, False]


def test_screen_many_checks_party_and_lang() -> None:
    screener = load_screener()
    with pytest.raises(ValueError, match="party"):
        screener.screen_many(["x"], party="nobody")
    with pytest.raises(ValueError, match="language"):
        screener.screen_many(["x"], lang="fr")
    with pytest.raises(ValueError, match="chunk"):
        screener.screen_many(["x"], chunk=0)
    assert screener.screen_many([]) == []
