"""Ring detection on the hand-written world: the agent ring is found with its evidence, decoys are not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lendguard.analytics.backend import make_backend
from lendguard.intel.graph_model import components, groups
from lendguard.intel.job import _fetch
from tests.intel.conftest import AGENT_RING, SMALL, run_duckdb


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return run_duckdb(SMALL)


def _ring(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["rings"]) == 1, [r["borrowers"] for r in doc["rings"]]
    ring: dict[str, Any] = doc["rings"][0]
    return ring


def test_output_has_the_contract_keys(doc: dict[str, Any]) -> None:
    assert set(doc) == {"engine", "parameters", "rings", "borrowers"}
    assert doc["engine"] == "duckdb"
    assert doc["parameters"]["threshold"] == 0.5
    ring = _ring(doc)
    assert set(ring) == {"ring_id", "score", "borrowers", "indicators", "signals"}
    for signal in ring["signals"]:
        assert set(signal) == {"name", "weight", "evidence"}
        for item in signal["evidence"]:
            assert set(item) == {"file", "row_id", "field", "value"}
            assert all(isinstance(v, str) for v in item.values())
    json.dumps(doc)


def test_the_agent_ring_and_only_it_is_reported(doc: dict[str, Any]) -> None:
    ring = _ring(doc)
    assert ring["borrowers"] == AGENT_RING
    assert 0.5 <= ring["score"] <= 1.0
    assert [b["borrower_id"] for b in doc["borrowers"]] == AGENT_RING
    assert {b["ring_id"] for b in doc["borrowers"]} == {ring["ring_id"]}
    assert all(b["score"] == ring["score"] for b in doc["borrowers"])


def test_score_is_the_sum_of_signal_weights(doc: dict[str, Any]) -> None:
    ring = _ring(doc)
    assert ring["score"] == pytest.approx(min(1.0, sum(s["weight"] for s in ring["signals"])), abs=1e-3)


def test_indicators_name_the_agent_phone_email_segment_and_template(doc: dict[str, Any]) -> None:
    indicators = {(i["kind"], i["value"]) for i in _ring(doc)["indicators"]}
    assert ("phone", "17012345678") in indicators  # written as +86 170-1234-5678, 0086 ..., 170 1234 5678
    assert ("email", "agent@huiyuan-law.cn") in indicators  # case folded
    assert ("segment", "170123456") in indicators
    templates = [v for k, v in indicators if k == "template"]
    assert len(templates) == 1 and "因疫情失业无力偿还" in templates[0]


def _evidence(doc: dict[str, Any], name: str) -> set[tuple[str, str, str, str]]:
    for signal in _ring(doc)["signals"]:
        if signal["name"] == name:
            return {(e["file"], e["row_id"], e["field"], e["value"]) for e in signal["evidence"]}
    raise AssertionError(f"signal {name} did not fire")


def test_shared_contact_cites_every_complaint_row(doc: dict[str, Any]) -> None:
    assert _evidence(doc, "shared_contact") == {
        ("complaints.csv", "C001", "contact_phone", "17012345678"),
        ("complaints.csv", "C002", "contact_phone", "17012345678"),
        ("complaints.csv", "C003", "contact_phone", "17012345678"),
        ("complaints.csv", "C004", "contact_phone", "17012345678"),
        ("complaints.csv", "C005", "contact_email", "agent@huiyuan-law.cn"),
        ("complaints.csv", "C006", "contact_email", "agent@huiyuan-law.cn"),
    }


def test_takeover_cites_the_change_and_the_forwarded_call(doc: dict[str, Any]) -> None:
    # phone_changes.csv has no id column: row_id is the line number (header = line 1)
    assert _evidence(doc, "phone_takeover") == {
        ("phone_changes.csv", "2", "new_phone", "17012345678"),
        ("call_outcomes.csv", "K003", "forwarded_to", "17012345678"),
    }


def test_third_party_answers_exclude_the_family(doc: dict[str, Any]) -> None:
    rows = {r for _, r, _, _ in _evidence(doc, "third_party_answer")}
    assert rows == {"K001", "K002", "K003"}


def test_template_cites_the_ring_complaints_not_the_popular_template(doc: dict[str, Any]) -> None:
    assert {r for _, r, _, _ in _evidence(doc, "template")} == {"C001", "C002", "C003", "C004", "C005"}


def test_sequence_chains_change_request_and_complaint(doc: dict[str, Any]) -> None:
    assert _evidence(doc, "sequence") == {
        ("phone_changes.csv", "2", "new_phone", "17012345678"),
        ("account_events.csv", "2", "kind", "cease_request"),
        ("complaints.csv", "C001", "filed_at", "2025-06-10T10:00:00+08:00"),
        ("phone_changes.csv", "3", "new_phone", "17012345601"),
        ("account_events.csv", "3", "kind", "repayment_plan_request"),
        ("complaints.csv", "C002", "filed_at", "2025-06-10T15:00:00+08:00"),
    }


def test_burst_cites_the_regulator_complaints_within_the_window(doc: dict[str, Any]) -> None:
    assert {r for _, r, _, _ in _evidence(doc, "burst")} == {"C001", "C002", "C003", "C004"}


def test_segment_cites_the_bulk_numbers(doc: dict[str, Any]) -> None:
    rows = _evidence(doc, "number_segment")
    assert ("phone_changes.csv", "3", "new_phone", "17012345601") in rows
    assert ("phone_changes.csv", "4", "new_phone", "17012345602") in rows


def test_decoys_are_candidates_below_the_threshold() -> None:
    low = run_duckdb(SMALL, threshold=0.0)
    groups = {tuple(r["borrowers"]): r["score"] for r in low["rings"]}
    assert groups[("B010", "B011", "B012")] < 0.5  # law firm: one number, individual texts
    assert not any("B020" in g or "B030" in g for g in groups)  # family, popular template: no link at all


def test_linked_templates_join_the_popular_template_copiers() -> None:
    # link_templates=True: template clusters are graph edges (the templates table is loaded before the graph)
    linked = run_duckdb(SMALL, threshold=0.0, link_templates=True)
    groups = {tuple(r["borrowers"]): r for r in linked["rings"]}
    copiers = groups[("B030", "B031", "B032", "B033")]
    assert copiers["score"] < 0.5
    assert [s["name"] for s in copiers["signals"]] == ["template"]
    assert ("B001", "B002", "B003", "B004", "B005") in groups


def test_a_hub_number_behind_too_many_borrowers_links_nobody() -> None:
    doc = run_duckdb(SMALL, max_indicator_borrowers=3, threshold=0.0)
    for ring in doc["rings"]:
        assert ("phone", "17012345678") not in {(i["kind"], i["value"]) for i in ring["indicators"]}


def test_more_complaints_with_the_same_number_in_another_institution_join_the_ring(small_copy: Path) -> None:
    with (small_copy / "borrowers.csv").open("a", encoding="utf-8") as f:
        f.write("X900,L09,13800009000,,2025-01-01T00:00:00+08:00,x\n")
    with (small_copy / "complaints.csv").open("a", encoding="utf-8") as f:
        f.write("C900,X900,L09,2025-06-12T10:00:00+08:00,hotline,+8617012345678,,请联系我的代理\n")
    ring = run_duckdb(small_copy)["rings"][0]
    assert "X900" in ring["borrowers"]


def test_rings_are_sorted_by_score(tmp_path: Path) -> None:
    doc = run_duckdb(SMALL, threshold=0.0)
    scores = [r["score"] for r in doc["rings"]]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 2


def test_components_join_chains_and_groups_keep_only_large_enough_ones() -> None:
    # 0-1-2 through a chain given out of order, 3 alone, 4-5, 6-7-8 joined through its largest member
    pairs = np.array([[2, 1], [0, 1], [5, 4], [8, 6], [7, 8]], dtype=np.int64)
    labels = components(9, pairs)
    assert labels.tolist() == [0, 0, 0, 3, 4, 4, 6, 6, 6]
    assert [g.tolist() for g in groups(labels, 2)] == [[0, 1, 2], [4, 5], [6, 7, 8]]
    assert [g.tolist() for g in groups(labels, 3)] == [[0, 1, 2], [6, 7, 8]]
    assert groups(components(0, np.zeros((0, 2), dtype=np.int64)), 2) == []


def test_evidence_of_a_kind_no_ring_has_groups_to_nothing() -> None:
    # a small world can have candidate rings with no segment or third-party rows at all (the demo's)
    backend = make_backend("duckdb")
    try:
        assert _fetch(backend, "SELECT 1::BIGINT AS ring_key, 'x' AS v WHERE false") == {}
        assert _fetch(backend, "SELECT * FROM (VALUES (1::BIGINT, 'a'), (0, 'b'), (1, 'c')) t(k, v)") == {
            0: [("b",)],
            1: [("a",), ("c",)],
        }
    finally:
        backend.close()
