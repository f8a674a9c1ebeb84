"""The optional statistical ``insult`` layer: shipped weights, what it adds, and that it is off by default."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from lendguard.collections.screening import load_screener
from lendguard.collections.screening.evaluate import evaluate_own
from lendguard.collections.screening.model import Finding, ScreenResult
from lendguard.collections.screening.statistical import (
    FORMAT,
    MODEL_FILE,
    RULE_ID,
    SCALE,
    InsultModel,
    WithInsultModel,
    augment,
    fold,
    load_insult_model,
)
from tests.screening.cli_app import screening_cli

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "src" / "lendguard" / "collections" / "screening" / "data" / MODEL_FILE
DEV = ROOT / "datasets" / "cold" / "dev.csv"
OWN = ROOT / "datasets" / "screening" / "messages.jsonl"
# COLD dev comments of the held-out 20 % (label 1) that no rule flags and the model does.
HELD_OUT_OFFENSIVE = "为啥不拍男的不好查的情节，为了黑女性的，把污水泼到女人身上"
LAWFUL = [
    "您的借款已逾期30天，请尽快还款，如有困难可申请分期",
    "我司将依法向人民法院提起诉讼",
    "王先生您好，您本期应还1200元，可在App内申请延期或分期。",
]
runner = CliRunner()


def trainer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_insult_model", ROOT / "datasets/cold/train_insult_model.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_weights_are_small_shipped_and_carry_their_provenance() -> None:
    assert WEIGHTS.stat().st_size < 3_000_000
    raw = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert raw["format"] == FORMAT
    provenance = raw["provenance"]
    assert provenance["script"] == "datasets/cold/train_insult_model.py"
    assert provenance["train_file_sha256"] == hashlib.sha256(DEV.read_bytes()).hexdigest()
    assert provenance["own_file_sha256"] == hashlib.sha256(OWN.read_bytes()).hexdigest()
    assert isinstance(provenance["seed"], int)
    assert "test.csv" not in json.dumps(provenance)
    model = load_insult_model()
    assert model is load_insult_model()  # parsed once per process
    assert len(model.weights) > 10_000


def test_shipped_weights_reproduce_the_held_out_figures_they_record() -> None:
    """The run-time scorer computes the trainer's features: its held-out figures come out exactly."""
    train = trainer()
    raw = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    figures = raw["provenance"]["held_out_figures"]
    dev = train.read_dev()
    _, held = train.stratified_split(dev, raw["provenance"]["seed"], raw["provenance"]["held_out"])
    model = load_insult_model()
    positives = [dev[i][0] for i in held if dev[i][1] == 1]
    negatives = [dev[i][0] for i in held if dev[i][1] == 0]
    assert len(held) == figures["held_out_rows"]
    assert sum(map(model.flags, positives)) / len(positives) == pytest.approx(figures["model_recall"], abs=6e-4)
    assert sum(map(model.flags, negatives)) / len(negatives) == pytest.approx(figures["model_fp"], abs=6e-4)
    assert figures["combined_fp"] <= raw["provenance"]["fp_budget"]


def test_held_out_rows_were_not_trained_on() -> None:
    train = trainer()
    dev = train.read_dev()
    fit, held = train.stratified_split(dev, 20261126, 0.2)
    assert not set(fit) & set(held) and len(fit) + len(held) == len(dev)
    labels_held = [dev[i][1] for i in held]
    assert 0.45 < sum(labels_held) / len(labels_held) < 0.55  # stratified like dev (3,211 of 6,431)


def test_adds_a_review_finding_with_offsets_into_the_original_text() -> None:
    screener, model = load_screener(), load_insult_model()
    text = HELD_OUT_OFFENSIVE + " ＡＢＣ"
    rules = screener.screen(text)
    assert "insult" not in rules.categories
    result = augment(model, text, rules)
    assert result.verdict == "review"
    [finding] = [f for f in result.findings if f.rule == RULE_ID]
    assert finding.category == "insult"
    assert text[finding.start : finding.end] == finding.evidence
    assert 0 < len(finding.evidence) < len(text)  # the clause that scores most, not the whole text


def test_never_weakens_or_duplicates_the_rules() -> None:
    screener, model = load_screener(), load_insult_model()
    blocked = "你这个老赖，" + HELD_OUT_OFFENSIVE
    rules = screener.screen(blocked)
    assert rules.verdict == "block" and "insult" in rules.categories
    assert augment(model, blocked, rules) is rules  # an insult the rules found is not repeated
    threat = "再不还就打断你的腿。" + HELD_OUT_OFFENSIVE
    rules = screener.screen(threat)
    result = augment(model, threat, rules)
    assert result.verdict == "block"
    assert set(rules.findings) < set(result.findings)


def test_lawful_reminders_and_english_text_are_left_alone() -> None:
    screener, model = load_screener(), load_insult_model()
    for text in LAWFUL:
        assert not model.flags(text), text
        assert augment(model, text, screener.screen(text)).verdict == "pass"
    english = ScreenResult("pass", [], "en")
    assert augment(model, "we may report the account to a credit bureau", english) is english
    assert augment(model, HELD_OUT_OFFENSIVE, english, lang="en") is english


def test_fold_keeps_offsets_and_the_format_is_checked() -> None:
    assert fold("ＳＢ你好ABC　x") == "sb你好abc x"
    assert len(fold("ＡＢ，。ｚ")) == 5
    with pytest.raises(ValueError, match="format"):
        InsultModel.from_json(json.dumps({"format": "other", "ngrams": [1, 2, 3], "weights": {}}))
    with pytest.raises(ValueError, match="n-grams"):
        InsultModel.from_json(json.dumps({"format": FORMAT, "ngrams": [1, 2], "weights": {}}))
    tiny = InsultModel({"傻": 3 * SCALE, "好": -3 * SCALE}, bias=0.0, threshold=1.0)
    assert tiny.flags("傻") and not tiny.flags("好") and not tiny.flags("")
    assert tiny.best_span("你好，傻子。") == (3, 5)


def test_the_project_targets_still_hold_with_the_layer_on() -> None:
    report = evaluate_own(WithInsultModel(load_screener(), load_insult_model()), OWN, "test")
    assert report.block.precision >= 0.95
    assert report.block.recall >= 0.90
    assert report.lawful_blocked_rate <= 0.01
    lawful = sum(report.confusion["pass"].values())
    assert report.confusion["pass"]["review"] / lawful <= 0.01  # the layer sends no lawful message to review


def test_cli_is_off_by_default_and_switched_on_by_flag_or_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in.txt"
    source.write_text(HELD_OUT_OFFENSIVE + "\n" + LAWFUL[0] + "\n", encoding="utf-8")

    def run(*flags: str) -> list[dict[str, object]]:
        result = runner.invoke(screening_cli(), ["screen", *flags, str(source)])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    monkeypatch.delenv("LENDGUARD_SCREENING__STATISTICAL", raising=False)
    assert [o["verdict"] for o in run()] == ["pass", "pass"]
    on = run("--statistical")
    assert [o["verdict"] for o in on] == ["review", "pass"]
    assert [f["rule"] for f in on[0]["findings"]] == [RULE_ID]  # type: ignore[attr-defined]
    monkeypatch.setenv("LENDGUARD_SCREENING__STATISTICAL", "true")
    assert [o["verdict"] for o in run()] == ["review", "pass"]
    assert [o["verdict"] for o in run("--no-statistical")] == ["pass", "pass"]


def test_eval_with_the_layer_on_cold_dev(tmp_path: Path) -> None:
    """``screen eval --statistical`` on a small COLD-format file raises insult recall over the rules alone."""
    train = trainer()
    dev = train.read_dev()
    _, held = train.stratified_split(dev, 20261126, 0.2)
    sample = tmp_path / "cold_sample.csv"
    with sample.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["", "split", "topic", "label", "TEXT"])
        for i in held[:300]:
            writer.writerow([i, "dev", "x", dev[i][1], dev[i][0]])

    def recall(*flags: str) -> float:
        result = runner.invoke(screening_cli(), ["screen", "eval", *flags, str(sample)])
        assert result.exit_code == 0, result.output
        line = next(x for x in result.stdout.splitlines() if x.startswith("insult recall on label 1"))
        return float(line.rsplit(" ", 1)[1])

    assert recall("--statistical") > recall() + 0.1


def test_batch_call_gives_the_same_results_as_one_by_one() -> None:
    layered = WithInsultModel(load_screener(), load_insult_model())
    texts = [HELD_OUT_OFFENSIVE, *LAWFUL, "你这个老赖", "you worthless deadbeat"]
    assert layered.screen_many(texts) == [layered.screen(t) for t in texts]
    assert [r.verdict for r in layered.screen_many(texts)] == ["review", "pass", "pass", "pass", "block", "block"]


def test_finding_shape_is_the_usual_one() -> None:
    result = augment(load_insult_model(), HELD_OUT_OFFENSIVE, load_screener().screen(HELD_OUT_OFFENSIVE))
    [finding] = result.findings
    assert isinstance(finding, Finding)
    assert set(finding.as_dict()) == {"category", "start", "end", "evidence", "rule"}
