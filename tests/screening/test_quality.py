"""Quality targets of issue 4, asserted by running the evaluation on the held-out test split.

This is a quality test, not a timing test: it screens the 385 test messages (about a second).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lendguard.collections.screening import load_screener
from lendguard.collections.screening.eval_model import Report
from lendguard.collections.screening.evaluate import evaluate_own
from lendguard.collections.screening.model import Category

DATASET = Path(__file__).resolve().parents[2] / "datasets" / "screening" / "messages.jsonl"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def test_report() -> Report:
    return evaluate_own(load_screener(), DATASET, "test")


def test_the_labelled_set_has_the_required_shape(rows: list[dict[str, object]]) -> None:
    by_lang = Counter(str(r["lang"]) for r in rows)
    assert by_lang["zh"] >= 600 and by_lang["en"] >= 300
    for lang in ("zh", "en"):
        offending = sum(1 for r in rows if r["lang"] == lang and r["categories"])
        lawful = sum(1 for r in rows if r["lang"] == lang and not r["categories"])
        assert lawful >= offending, lang
    test_share = sum(1 for r in rows if r["split"] == "test") / len(rows)
    assert 0.28 <= test_share <= 0.32
    evasions = {e for r in rows for e in r["evasion"]}  # type: ignore[attr-defined]
    assert {"trad", "fullwidth", "space", "symbol", "pinyin", "homophone", "emoji", "leet"} <= evasions
    test_categories = {c for r in rows if r["split"] == "test" for c in r["categories"]}  # type: ignore[attr-defined]
    assert test_categories == {c.value for c in Category}


def test_block_precision_and_recall_on_the_test_split(test_report: Report) -> None:
    assert test_report.messages >= 350
    assert test_report.block.precision >= 0.95
    assert test_report.block.recall >= 0.90


def test_lawful_messages_are_almost_never_blocked(test_report: Report) -> None:
    assert test_report.lawful_blocked_rate <= 0.01
