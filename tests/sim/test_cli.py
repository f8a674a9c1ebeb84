"""The commands: sim generate (refusals, atomic output), sim load, demo --no-serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lendguard.cli import build_cli

runner = CliRunner()


def text(result: object) -> str:
    """Command output with Rich's line wrapping undone."""
    return " ".join(str(getattr(result, "output", "")).split())


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    monkeypatch.setenv("LENDGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("LENDGUARD_ENVIRONMENT", "test")
    monkeypatch.setenv("LENDGUARD_SECURITY__PASSWORD_COST", "10")
    return tmp_path


def test_generate_writes_a_world_and_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = runner.invoke(build_cli(), ["sim", "generate", "--borrowers", "200", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "borrowers.csv").is_file() and (out / "truth" / "rings.csv").is_file()
    before = (out / "borrowers.csv").read_bytes()
    again = runner.invoke(build_cli(), ["sim", "generate", "--borrowers", "200", "--seed", "4", "--out", str(out)])
    assert again.exit_code == 2
    assert "not empty" in text(again)
    assert (out / "borrowers.csv").read_bytes() == before
    forced = runner.invoke(
        build_cli(), ["sim", "generate", "--borrowers", "200", "--seed", "4", "--out", str(out), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert (out / "borrowers.csv").read_bytes() != before
    assert [p.name for p in tmp_path.iterdir()] == ["world"]  # no staging directory left behind


def test_generate_rejects_a_size_out_of_range(tmp_path: Path) -> None:
    result = runner.invoke(
        build_cli(), ["sim", "generate", "--borrowers", "5", "--seed", "3", "--out", str(tmp_path / "w")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "w").exists()


def test_load_then_refuse_a_second_load(env: Path) -> None:
    out = env / "world"
    assert (
        runner.invoke(
            build_cli(), ["sim", "generate", "--borrowers", "150", "--seed", "1", "--out", str(out)]
        ).exit_code
        == 0
    )
    first = runner.invoke(build_cli(), ["sim", "load", str(out)])
    assert first.exit_code == 0, first.output
    assert "demo users" in text(first)
    second = runner.invoke(build_cli(), ["sim", "load", str(out)])
    assert second.exit_code == 2
    assert "already holds institutions" in text(second)


def test_load_names_a_missing_file(env: Path) -> None:
    result = runner.invoke(build_cli(), ["sim", "load", str(env / "nowhere")])
    assert result.exit_code == 2
    assert "not a directory" in text(result)


def test_demo_builds_a_world_and_prints_logins(env: Path) -> None:
    result = runner.invoke(build_cli(), ["demo", "--borrowers", "150", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "l01-collector" in text(result) and "lendguard-demo" in text(result)
    reused = runner.invoke(build_cli(), ["demo", "--borrowers", "150", "--no-serve"])
    assert reused.exit_code == 0 and "reusing" in text(reused)
