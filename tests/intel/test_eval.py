"""Evaluation against ground truth: the command on the small world, and a generated world end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.intel.config_model import SIGNALS
from lendguard.intel.runner import evaluate_world
from tests.intel.conftest import SMALL


def test_eval_command_scores_the_small_world() -> None:
    result = CliRunner().invoke(build_cli(), ["intel", "eval", "--world", str(SMALL)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["precision"], report["recall"], report["true_positives"]) == (1.0, 1.0, 5)
    assert report["flagged_by_truth_kind"] == {"agent": 5}
    assert report["ring_purity_mean"] == 1.0
    assert set(report["ablation"]) == set(SIGNALS)


def test_ablation_removes_a_signals_contribution() -> None:
    # the agent ring scores 0.76, of which shared_contact 0.25 and burst 0.05: at 0.6 it survives the
    # loss of the burst but not of the shared contacts
    result = CliRunner().invoke(build_cli(), ["intel", "eval", "--world", str(SMALL), "--threshold", "0.6"])
    ablation = json.loads(result.stdout)["ablation"]
    assert ablation["shared_contact"]["recall"] == 0.0
    assert ablation["burst"]["recall"] == 1.0


def test_eval_without_truth_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_cli(), ["intel", "eval", "--world", str(tmp_path)])
    assert result.exit_code == 2


@pytest.mark.slow
def test_generated_world_meets_the_targets(tmp_path: Path) -> None:
    """A small world from the generator (planted agent rings and all three decoy kinds)."""
    from lendguard.sim.world import generate_world

    generate_world(borrowers=5000, seed=21, out=tmp_path, progress=False)
    report = evaluate_world(tmp_path)
    assert report["positives"] > 50
    assert report["precision"] >= 0.95
    assert report["recall"] >= 0.90
    assert set(report["flagged_by_truth_kind"]) == {"agent"}
