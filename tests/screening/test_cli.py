"""`lendguard screen FILE|-` and `lendguard screen eval DATASET` (both through the same group)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.screening.cli_app import screening_cli

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_screen_file_of_plain_and_json_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    lines = [
        "您的借款已逾期30天，请尽快还款，如有困难可申请分期",
        json.dumps({"id": "a7", "text": "你這個傻 逼，快還錢"}, ensure_ascii=False),
        json.dumps({"id": "a8", "text": "他欠我们的贷款逾期了", "party": "third_party"}, ensure_ascii=False),
        "",
        "we may report the account to a credit bureau as the contract allows",
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(screening_cli(), ["screen", str(source)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["1", "a7", "a8", "5"]
    assert [o["verdict"] for o in out] == ["pass", "block", "block", "pass"]
    finding = out[1]["findings"][0]
    assert finding["category"] == "insult"
    assert "你這個傻 逼，快還錢"[finding["start"] : finding["end"]] == finding["evidence"] == "傻 逼"
    assert {f["category"] for f in out[2]["findings"]} == {"disclosure"}


def test_screen_stdin_with_options() -> None:
    result = runner.invoke(
        screening_cli(), ["screen", "--party", "designated_contact", "--lang", "zh", "-"], input="请转告他尽快还款\n"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "block"


def test_bad_input_exits_2_naming_the_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    result = runner.invoke(screening_cli(), ["screen", str(source)])
    assert result.exit_code == 2
    assert f"{source}:2" in result.output
    source.write_text('{"text": "ok", "party": "boss"}\n', encoding="utf-8")
    result = runner.invoke(screening_cli(), ["screen", str(source)])
    assert result.exit_code == 2
    assert ":1" in result.output and "party" in result.output
    assert runner.invoke(screening_cli(), ["screen", str(tmp_path / "missing.txt")]).exit_code == 2
    assert runner.invoke(screening_cli(), ["screen", "--lang", "fr", "-"], input="x\n").exit_code == 2


def test_eval_prints_the_figures() -> None:
    result = runner.invoke(
        screening_cli(), ["screen", "eval", str(ROOT / "datasets/screening/messages.jsonl"), "--split", "test"]
    )
    assert result.exit_code == 0, result.output
    for needle in ("threat", "privacy_exposure", "overall (micro)", "gold \\ predicted", "block: precision"):
        assert needle in result.stdout


def test_eval_rejects_unknown_files(tmp_path: Path) -> None:
    other = tmp_path / "x.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(screening_cli(), ["screen", "eval", str(other)])
    assert result.exit_code == 2
    assert "unknown data set format" in result.output


def test_help_lists_both_forms() -> None:
    result = runner.invoke(screening_cli(), ["screen", "--help"])
    assert result.exit_code == 0
    assert "eval" in result.stdout and "messages" in result.stdout
