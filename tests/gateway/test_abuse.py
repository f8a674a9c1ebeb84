"""Abuse and resale detection: each rule on crafted data, the SQL job, and the synthetic world's resellers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.gateway import abuse
from lendguard.gateway.abuse_model import ClientStats, evaluate, flagged, precision_recall
from lendguard.gateway.cli import evaluate_world
from lendguard.sim.world import generate_world

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def honest(ref: str = "H") -> ClientStats:
    return ClientStats(
        ref,
        queries=200,
        borrowers=190,
        assessment_queries=180,
        unmatched_assessment=6,
        daily_counts=(3, 2, 4, 3, 2, 3, 5, 2, 3, 4),
    )


def test_an_honest_client_raises_no_alert() -> None:
    assert evaluate([honest()]) == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"unmatched_assessment": 170}, "no_followup"),
        ({"daily_counts": (3, 2, 4, 3, 2, 3, 90, 2, 80, 4)}, "volume_spike"),
        ({"crowded_borrowers": 100}, "crowded_borrowers"),
        ({"off_purpose": 10}, "off_contract"),
        ({"off_channel": 10}, "off_contract"),
        ({"shared_authorisations": 2, "shared_auth_queries": 40}, "shared_authorisation"),
        ({"night_queries": 90, "night_max_hour_burst": 40}, "night_bulk"),
    ],
)
def test_each_rule_fires_with_its_evidence(changes: dict[str, object], rule: str) -> None:
    stats = ClientStats(**{**honest().__dict__, **changes})  # type: ignore[arg-type]
    alerts = evaluate([stats])
    assert [a.rule for a in alerts] == [rule]
    assert alerts[0].evidence  # every alert names what it saw


def test_flagging_needs_strong_or_combined_evidence() -> None:
    spike_only = ClientStats(**{**honest("S").__dict__, "daily_counts": (3, 2, 90, 3, 2, 80, 5, 2, 3, 4)})  # type: ignore[arg-type]
    both = ClientStats(**{**spike_only.__dict__, "client_ref": "R", "unmatched_assessment": 170})  # type: ignore[arg-type]
    assert flagged(evaluate([spike_only, both])) == {"R"}


def test_precision_recall() -> None:
    assert precision_recall({"a", "b"}, {"a", "c"}) == (0.5, 0.5)
    assert precision_recall(set(), set()) == (1.0, 1.0)


def test_sql_job_measures_crowds_shared_authorisations_contract_and_follow_up() -> None:
    queries = []
    for i, client in enumerate(("C1", "C2", "C3")):  # one borrower queried by three clients within an hour
        queries.append(
            {
                "query_id": f"q{i}",
                "client_ref": client,
                "borrower_ref": "B1",
                "at": T0 + timedelta(minutes=i),
                "purpose": "credit_assessment",
                "channel": "app",
                "authorisation_ref": f"A{i}",
            }
        )
    for i, borrower in enumerate(("B2", "B3")):  # one authorisation presented for two borrowers, at night, off channel
        queries.append(
            {
                "query_id": f"s{i}",
                "client_ref": "C1",
                "borrower_ref": borrower,
                "at": T0.replace(hour=18) + timedelta(minutes=i),
                "purpose": "marketing",
                "channel": "api_batch",
                "authorisation_ref": "SHARED",
            }
        )
    applications = [{"client_ref": "C2", "borrower_ref": "B1", "at": T0 + timedelta(hours=1)}]
    contracts = {c: (["credit_assessment"], ["app"]) for c in ("C1", "C2", "C3")}
    stats = {
        s.client_ref: s
        for s in abuse.run(
            abuse.query_table(queries, "Asia/Shanghai"),
            abuse.application_table(applications),
            abuse.contract_table(contracts),
        )
    }
    assert stats["C1"].crowded_borrowers == stats["C2"].crowded_borrowers == stats["C3"].crowded_borrowers == 1
    assert (stats["C1"].shared_authorisations, stats["C1"].shared_auth_queries) == (1, 2)
    assert (stats["C1"].off_purpose, stats["C1"].off_channel) == (2, 2)
    assert stats["C1"].night_queries == 2  # 18:00 UTC is 02:00 in Shanghai
    assert (stats["C2"].assessment_queries, stats["C2"].unmatched_assessment) == (1, 0)
    assert (stats["C1"].assessment_queries, stats["C1"].unmatched_assessment) == (1, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(borrowers=3000, seed=11, out=out)
    return out


def test_the_worlds_resellers_are_found(world: Path) -> None:
    result = evaluate_world(world)
    assert result["precision"] >= 0.9 and result["recall"] >= 0.9, result


def test_eval_command_prints_json(world: Path) -> None:
    run = CliRunner().invoke(build_cli(), ["gateway", "eval", "--world", str(world), "--json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert set(doc) == {"precision", "recall"} and 0.0 <= doc["precision"] <= 1.0


def test_eval_command_names_file_line_and_field_of_bad_input(world: Path, tmp_path: Path) -> None:
    for f in world.rglob("*.csv"):
        target = tmp_path / f.relative_to(world)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    path = tmp_path / "gateway_queries.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("+08:00", "+08:00X")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = CliRunner().invoke(build_cli(), ["gateway", "eval", "--world", str(tmp_path)])
    assert run.exit_code == 2
    assert "gateway_queries.csv: line 3: field at" in run.output.replace("\n", " ")
