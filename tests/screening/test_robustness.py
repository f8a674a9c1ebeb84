"""Lone surrogates and invisible characters: no crash, no evasion, offsets into the original text.

JSON can carry a lone surrogate ("\\ud800"), which cannot be encoded as UTF-8: the screener reads it
as an unknown character (a separator) and reports U+FFFD in its place in the evidence (same length,
so offsets still hold). Combining marks, format characters (zero-width joiner, soft hyphen, variation
selectors, tags) and symbols past the fold tables inserted between characters do not hide a rule.
Every case runs through the single path (``screen``) and the batch path (``screen_many``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lendguard.collections.screening import ScreenResult, load_screener
from lendguard.collections.screening.statistical import WithInsultModel, load_insult_model
from lendguard.platform.model import Role
from tests.conftest import Tenant
from tests.screening.cli_app import screening_cli

SCREEN = "/v1/collections/messages:screen"
runner = CliRunner()


def both_paths(text: str, party: str = "debtor") -> list[ScreenResult]:
    """The result of ``text`` screened alone, and inside a batch between two other messages."""
    screener = load_screener()
    single = screener.screen(text, party=party)
    batched = screener.screen_many(["您好", text, "thank you"], party=party)[1]
    assert batched == single
    return [single, batched]


def check_offsets(text: str, result: ScreenResult) -> None:
    """Evidence is the original slice, with a lone surrogate shown as U+FFFD."""
    for f in result.findings:
        assert 0 <= f.start < f.end <= len(text)
        original = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text[f.start : f.end])
        assert f.evidence == original
        f.evidence.encode("utf-8")  # what the CLI and the API write


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("你\ud800傻逼", "傻逼"),  # a lone surrogate before the insult
        ("傻\ud800逼", "傻\ufffd逼"),  # ... and inside it: a separator
        ("傻\udfff\ud800逼", "傻\ufffd\ufffd逼"),
        ("you are an idi\ud800ot", None),  # an unknown character between letters breaks the word
    ],
)
def test_lone_surrogates_do_not_crash(text: str, evidence: str | None) -> None:
    for result in both_paths(text):
        check_offsets(text, result)
        if evidence is None:
            assert result.verdict == "pass"
        else:
            assert result.verdict == "block"
            assert evidence in [f.evidence for f in result.findings]


def test_surrogates_everywhere_in_a_batch() -> None:
    texts = ["\ud800", "", "\udc00傻逼\ud800", "pay \ud83d now", "\ud800" * 5 + "打断你的腿", "ok"]
    screener = load_screener()
    batched = screener.screen_many(texts, chunk=4)
    assert batched == [screener.screen(t) for t in texts]
    assert [r.verdict for r in batched] == ["pass", "pass", "block", "pass", "block", "pass"]
    for text, result in zip(texts, batched, strict=True):
        check_offsets(text, result)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("傻\u0301逼", "傻\u0301逼"),  # combining acute accent (Mn)
        ("傻\u20dd逼", "傻\u20dd逼"),  # combining enclosing circle (Me)
        ("傻\u200d逼", "傻\u200d逼"),  # zero-width joiner (Cf)
        ("傻\ufe0f逼", "傻\ufe0f逼"),  # variation selector 16
        ("傻\U000e0001逼", "傻\U000e0001逼"),  # a tag character, past the fold tables
        ("傻\U000e0100逼", "傻\U000e0100逼"),  # a variation selector of the supplement, past the tables
        ("傻\U0001fb00逼", "傻\U0001fb00逼"),  # a symbol for legacy computing, past the tables
        ("傻\U0001fb00\u200d\u0301逼", "傻\U0001fb00\u200d\u0301逼"),
        ("再不还就打\u0301断你的\u200d腿", "打\u0301断你的\u200d腿"),
        ("you are an idi\u200dot", "idi\u200dot"),  # the words view joins across invisible characters
        ("you are an idi\u00adot", "idi\u00adot"),  # soft hyphen
        ("f\u0301uck you", "f\u0301uck"),
        ("you will be arre\ufe0fsted", "arre\ufe0fsted"),
    ],
)
def test_inserted_marks_and_format_characters_do_not_hide_a_rule(text: str, evidence: str) -> None:
    for result in both_paths(text):
        assert result.verdict == "block", result
        assert evidence in [f.evidence for f in result.findings]
        check_offsets(text, result)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("你是\U0001d42c\U0001d41b", "\U0001d42c\U0001d41b"),  # mathematical bold letters: the only Latin in it
        ("你是ⓢⓑ", "ⓢⓑ"),  # circled letters
        ("\U0001d422\U0001d41d\U0001d422\U0001d428\U0001d42d", "\U0001d422\U0001d41d\U0001d422\U0001d428\U0001d42d"),
    ],
)
def test_letters_the_words_view_folds_open_it(text: str, evidence: str) -> None:
    for result in both_paths(text):
        assert result.verdict == "block", result
        assert evidence in [f.evidence for f in result.findings]
        check_offsets(text, result)


def test_a_letter_past_the_tables_is_still_a_letter() -> None:
    # CJK extension B is a letter: it separates nothing in the compact view ("傻𠀀逼" is not "傻逼").
    for result in both_paths("傻\U00020000逼"):
        assert result.verdict == "pass"
    for result in both_paths("\U00020000你个傻逼\U00020000"):
        assert result.verdict == "block"
        check_offsets("\U00020000你个傻逼\U00020000", result)


def test_lawful_messages_with_emoji_presentation_still_pass() -> None:
    for text in ["您的借款已逾期30天❤\ufe0f，请尽快还款，如有困难可申请分期", "Thank you\u200d for your payment 👍🏽"]:
        for result in both_paths(text):
            assert result.verdict == "pass", result


def test_statistical_layer_evidence_has_no_surrogate() -> None:
    text = "为啥不拍男的不好查的情节，为了黑女性\ud800的，把污水泼到女人身上"  # flagged by the model
    layered = WithInsultModel(load_screener(), load_insult_model())
    for result in [layered.screen(text), layered.screen_many([text])[0]]:
        assert result.verdict == "review"
        check_offsets(text, result)


def test_cli_screens_json_input_with_a_lone_surrogate(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    # Written as JSON escapes: the file itself is valid UTF-8.
    source.write_text('{"id": "s\\ud800", "text": "你\\ud800傻逼"}\n{"id": "ok", "text": "您好"}\n', encoding="utf-8")
    result = runner.invoke(screening_cli(), ["screen", str(source)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["s\ud800", "ok"]  # the id given back exactly (as an escape)
    assert [o["verdict"] for o in out] == ["block", "pass"]
    assert out[0]["findings"][0]["evidence"] == "傻逼"
    assert (out[0]["findings"][0]["start"], out[0]["findings"][0]["end"]) == (2, 4)


def test_api_screens_a_lone_surrogate(client: TestClient, tenant_a: Tenant) -> None:
    body = '{"messages": [{"id": "s\\ud800", "text": "\\u50bb\\ud800\\u903c"}, {"id": "m2", "text": "ok"}]}'
    headers = {**tenant_a.headers(Role.COLLECTOR), "content-type": "application/json"}
    response = client.post(SCREEN, content=body.encode("ascii"), headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["s\ufffd", "m2"]  # JSON out must be UTF-8: U+FFFD in its place
    assert [r["verdict"] for r in results] == ["block", "pass"]
    finding = results[0]["findings"][0]
    assert (finding["start"], finding["end"], finding["evidence"]) == (0, 3, "傻\ufffd逼")
