"""Decisions and erasures survive re-runs: a new run's rings inherit earlier decisions, and borrowers
erased since stay redacted (or held with a carried confirmation) (both databases)."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.analytics.backend import DuckDBBackend
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.ingest import read_input
from lendguard.intel.job import run
from lendguard.intel.redaction_model import NOTE_REDACTED, REDACTED
from lendguard.intel.scoring_model import Ring, score_ring
from lendguard.intel.store import intel_decisions, intel_rings
from lendguard.intel.wiring import service
from lendguard.intel.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.clock import FixedClock
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from lendguard.privacy.wiring import rights
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import TEST_PASSWORD, Tenant
from tests.intel.conftest import SMALL


def _load(container: Container, world: Path, a: Tenant, b: Tenant) -> None:
    load(container, world, {"L01": a.institution_id, "L02": b.institution_id}, False)


def _rings(client: TestClient, tenant: Tenant, **params: object) -> list[dict[str, object]]:
    r = client.get("/v1/intel/rings", params=params, headers=tenant.headers(Role.ANALYST))
    assert r.status_code == 200, r.text
    return list(r.json())


def _decide(client: TestClient, tenant: Tenant, ring: int, status: str, note: str) -> None:
    r = client.post(
        f"/v1/intel/rings/{ring}/decision", json={"status": status, "note": note}, headers=tenant.headers(Role.ANALYST)
    )
    assert r.status_code == 200, r.text


def grown_world(tmp_path: Path) -> Path:
    """The small world plus B006 (lender L01), whose complaint gives the agent's number: the ring grows."""
    world = tmp_path / "grown"
    shutil.copytree(SMALL, world)
    with (world / "borrowers.csv").open("a", encoding="utf-8") as f:
        f.write("B006,L01,13811110006,,2025-01-10T09:00:00+08:00,ignored\n")
    with (world / "complaints.csv").open("a", encoding="utf-8") as f:
        f.write("C099,B006,L01,2025-06-21T10:00:00+08:00,regulator,17012345678,,我的情况请联系代理人处理，谢谢。\n")
    return world


def test_a_dismissed_ring_that_reappears_unchanged_stays_dismissed(
    client: TestClient, container: Container, clock: FixedClock, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _load(container, SMALL, tenant_a, tenant_b)
    [first] = _rings(client, tenant_a)
    _decide(client, tenant_a, int(first["id"]), "dismissed", "同一律所，非代理")
    decided_at = container.clock.now()
    clock.advance(days=7)
    _load(container, SMALL, tenant_a, tenant_b)

    [second] = _rings(client, tenant_a)  # the latest run only
    assert second["id"] != first["id"] and second["run_id"] != first["run_id"]
    assert second["ring_ref"] == first["ring_ref"]
    assert second["status"] == "dismissed" and second["changed_since_decision"] is False
    carried = second["carryover"]
    assert carried["from_ring"] == first["id"] and carried["from_run"] == first["run_id"]
    assert carried["decided_status"] == "dismissed" and carried["note"] == "同一律所，非代理"
    assert carried["username"] == tenant_a.users[Role.ANALYST].username
    assert carried["match"] == "indicators" and carried["jaccard"] == 1.0 and carried["added"] == []
    detail = client.get(f"/v1/intel/rings/{second['id']}", headers=tenant_a.headers(Role.ANALYST)).json()
    [decision] = detail["decisions"]
    assert decision["status"] == "dismissed" and decision["carried_from"] == first["id"]
    assert decision["username"] == tenant_a.users[Role.ANALYST].username
    assert decision["at"].startswith(decided_at.strftime("%Y-%m-%dT%H:%M:%S"))  # when it was decided, not re-run
    # both runs stay listed on request; tenant B decided nothing, so its new ring is plain open
    assert [r["id"] for r in _rings(client, tenant_a, run_id=first["run_id"])] == [first["id"]]
    [b_ring] = _rings(client, tenant_b)
    assert b_ring["status"] == "open" and b_ring["carryover"] is None
    with container.engine.connect() as conn:
        actions = conn.execute(
            sa.select(event_log.c.action, event_log.c.detail).where(
                event_log.c.institution_id == tenant_a.institution_id,
                event_log.c.action == "intel.ring.decision_carried",
            )
        ).all()
    assert len(actions) == 1


def test_a_ring_that_grew_is_flagged_changed_and_open_again(
    client: TestClient,
    container: Container,
    clock: FixedClock,
    tenant_a: Tenant,
    tenant_b: Tenant,
    tmp_path: Path,
) -> None:
    _load(container, SMALL, tenant_a, tenant_b)
    [first_a] = _rings(client, tenant_a)
    [first_b] = _rings(client, tenant_b)
    _decide(client, tenant_a, int(first_a["id"]), "dismissed", "looks benign, agent 17012345678")
    _decide(client, tenant_b, int(first_b["id"]), "confirmed", "agent ring")
    clock.advance(days=7)
    _load(container, grown_world(tmp_path), tenant_a, tenant_b)

    [second_a] = _rings(client, tenant_a)
    assert second_a["ring_ref"] != first_a["ring_ref"]  # the members changed
    assert second_a["status"] == "open" and second_a["changed_since_decision"] is True
    carried = second_a["carryover"]
    assert carried["added"] == ["B006"] and carried["changed"] is True and carried["decided_status"] == "dismissed"
    assert carried["from_ring"] == first_a["id"] and carried["note"] == "looks benign, agent 17012345678"
    listed = client.get("/v1/intel/rings", headers=tenant_a.headers(Role.REGULATOR)).json()
    assert listed[0]["carryover"]["note"] == "looks benign, agent 170****5678"  # not an investigator
    assert carried["decided_at"].endswith(("+00:00", "Z"))  # an instant, on both databases
    # tenant B's own members did not change, but the ring grew at another institution: back to review too
    [second_b] = _rings(client, tenant_b)
    assert second_b["status"] == "open" and second_b["carryover"]["other_added"] == 1
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(intel_decisions.c.ring_id).where(intel_decisions.c.ring_id.in_([second_a["id"], second_b["id"]]))
        ).all()
    assert rows == []  # no decision row for a reopened ring: the earlier one did not cover the new member

    # the page shows the earlier decision and the flag; a new decision clears the flag
    r = client.post(
        "/login",
        data={"username": tenant_a.users[Role.ANALYST].username, "password": TEST_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/intel/rings/{second_a['id']}")
    assert 'id="changed"' in page.text and "looks benign" in page.text and "B006" in page.text
    assert f"run {first_a['run_id']}" in page.text
    assert "changed since decision" in client.get("/intel").text
    _decide(client, tenant_a, int(second_a["id"]), "confirmed", "B006 joined: now an agent ring")
    [after] = _rings(client, tenant_a)
    assert after["status"] == "confirmed" and after["changed_since_decision"] is False


def test_the_latest_decision_carries_over_again_on_the_next_run(
    client: TestClient, container: Container, clock: FixedClock, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _load(container, SMALL, tenant_a, tenant_b)
    [first] = _rings(client, tenant_a)
    _decide(client, tenant_a, int(first["id"]), "dismissed", "first look")
    clock.advance(days=1)
    _load(container, SMALL, tenant_a, tenant_b)
    [second] = _rings(client, tenant_a)
    clock.advance(days=1)
    _decide(client, tenant_a, int(second["id"]), "confirmed", "second look: an agent")
    clock.advance(days=1)
    _load(container, SMALL, tenant_a, tenant_b)
    [third] = _rings(client, tenant_a)
    assert third["status"] == "confirmed"
    assert third["carryover"]["from_ring"] == second["id"] and third["carryover"]["note"] == "second look: an agent"
    report = client.get(f"/v1/intel/rings/{third['id']}/report", headers=tenant_a.headers(Role.ANALYST))
    assert report.status_code == 200  # a carried confirmation allows the export


# -- erased borrowers stay erased when detection runs again (issue 6) ---------------------------------------

ERASED = "B002"  # lender A's ring member whose new number 17012345601 no other member's rows carry


def _erase(container: Container, tenant: Tenant, subject: str = ERASED) -> dict[str, object]:
    compliance = tenant.users[Role.COMPLIANCE]
    privacy_service(container).register_subject(compliance, subject, {"name": "李四", "mobile": "13811110002"})
    return rights(container).request_deletion(compliance, subject, "phone")


def _document(container: Container, ring_id: object) -> dict[str, Any]:
    with container.engine.connect() as conn:
        return dict(conn.execute(sa.select(intel_rings.c.document).where(intel_rings.c.id == ring_id)).scalar_one())


def _items(doc: dict[str, Any], borrower: str) -> list[dict[str, Any]]:
    return [e for s in doc["signals"] for e in s["evidence"] if e.get("borrower_id") == borrower]


def _actions(container: Container, tenant: Tenant, action: str) -> list[dict[str, Any]]:
    with container.engine.connect() as conn:
        query = sa.select(event_log).where(
            event_log.c.institution_id == tenant.institution_id, event_log.c.action == action
        )
        return [
            {**r, "detail": json.loads(r["detail"])} for r in conn.execute(query.order_by(event_log.c.seq)).mappings()
        ]


@pytest.mark.parametrize("erased_first", [False, True], ids=["erased-between-runs", "erased-before-any-run"])
def test_a_run_stores_an_erased_borrowers_evidence_redacted(
    client: TestClient,
    container: Container,
    clock: FixedClock,
    tenant_a: Tenant,
    tenant_b: Tenant,
    erased_first: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if erased_first:
        _erase(container, tenant_a)
    _load(container, SMALL, tenant_a, tenant_b)
    [first] = _rings(client, tenant_a)
    if not erased_first:
        _erase(container, tenant_a)
    clock.advance(days=1)
    # the lender's files still hold B002's rows
    load(container, SMALL, {"L01": tenant_a.institution_id, "L02": tenant_b.institution_id}, True)

    [second] = _rings(client, tenant_a)
    assert second["id"] != first["id"]
    stored, earlier = _document(container, second["id"]), _document(container, first["id"])
    mine = _items(stored, ERASED)
    assert mine and {e["value"] for e in mine} == {REDACTED} and all(e["redacted"] for e in mine)
    assert stored == {**earlier, "signals": stored["signals"]}  # indicators and graph links as the eraser left them
    dumped = json.dumps(stored, ensure_ascii=False)
    assert "17012345601" not in dumped and "李四" not in dumped
    assert _items(stored, "B001") == _items(earlier, "B001")  # other members untouched
    [run] = [
        r
        for r in client.get("/v1/intel/runs", headers=tenant_a.headers(Role.ANALYST)).json()
        if r["id"] == second["run_id"]
    ]
    assert run["erased_redacted"] == len(mine)
    assert f"erased borrowers: {len(mine)} evidence items redacted, 0 held" in capsys.readouterr().err
    login = {"username": tenant_a.users[Role.ANALYST].username, "password": TEST_PASSWORD}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    assert f"{len(mine)} items of erased borrowers redacted" in client.get("/intel").text
    [summary] = [
        e for e in _actions(container, tenant_a, "intel.detection.stored") if e["object_id"] == str(second["run_id"])
    ]
    assert summary["detail"]["erased_items_redacted"] == len(mine) and summary["detail"]["erased_evidence_held"] == 0
    redactions = [
        e for e in _actions(container, tenant_a, "intel.evidence.redacted") if e["object_id"] == str(second["id"])
    ]
    assert [(e["subject_ref"], e["detail"]["items"], e["detail"]["run"]) for e in redactions] == [
        (ERASED, len(mine), second["run_id"])
    ]
    # lender B never erased anyone: its ring is stored as detected
    [b_ring] = _rings(client, tenant_b)
    assert all(e["value"] != REDACTED for s in _document(container, b_ring["id"])["signals"] for e in s["evidence"])


def test_a_carried_confirmation_keeps_the_hold_and_dismissal_applies_it(
    client: TestClient, container: Container, clock: FixedClock, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """Evidence held in a confirmed ring (possibly with the police) stays held in the next run's ring that
    keeps the confirmation: the evidence is stored, a hold is recorded on the new ring too."""
    _load(container, SMALL, tenant_a, tenant_b)
    [first] = _rings(client, tenant_a)
    note = "agent ring; B002 took the agent's number +86 170-1234-5601"
    _decide(client, tenant_a, int(first["id"]), "confirmed", note)
    [held] = _erase(container, tenant_a)["held_copies"]  # type: ignore[misc]
    assert held["object_id"] == str(first["id"])
    raw = _document(container, first["id"])
    clock.advance(days=1)
    _load(container, SMALL, tenant_a, tenant_b)

    [second] = _rings(client, tenant_a)
    assert second["status"] == "confirmed" and second["carryover"]["note"] == note
    assert _document(container, second["id"]) == raw  # held, not redacted
    report = rights(container).access_report(tenant_a.users[Role.COMPLIANCE], ERASED)
    assert sorted(h["object_id"] for h in report["held_copies"]) == sorted([str(first["id"]), str(second["id"])])
    [event] = [
        e for e in _actions(container, tenant_a, "intel.evidence.erasure_held") if e["object_id"] == str(second["id"])
    ]
    assert event["subject_ref"] == ERASED and event["detail"]["carried_from"] == first["id"]
    [run] = [
        r
        for r in client.get("/v1/intel/runs", headers=tenant_a.headers(Role.ANALYST)).json()
        if r["id"] == second["run_id"]
    ]
    assert run["erased_redacted"] == 0

    _decide(client, tenant_a, int(second["id"]), "dismissed", "police declined; B002 not involved")
    after = _document(container, second["id"])
    assert {e["value"] for e in _items(after, ERASED)} == {REDACTED} and "17012345601" not in json.dumps(after)
    detail = client.get(f"/v1/intel/rings/{second['id']}", headers=tenant_a.headers(Role.ANALYST)).json()
    notes = [d["note"] for d in detail["decisions"]] + [detail["carryover"]["note"]]
    assert notes == [
        f"agent ring; {NOTE_REDACTED} took the agent's number {NOTE_REDACTED}",
        f"police declined; {NOTE_REDACTED} not involved",
        f"agent ring; {NOTE_REDACTED} took the agent's number {NOTE_REDACTED}",
    ]
    # the first ring is still confirmed: its hold stands
    assert [
        h["object_id"] for h in rights(container).access_report(tenant_a.users[Role.COMPLIANCE], ERASED)["held_copies"]
    ] == [str(first["id"])]


def test_a_confirmation_of_a_ring_redacted_before_it_carries_no_hold(
    client: TestClient, container: Container, clock: FixedClock, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """B002 was erased while the ring was open (redacted, nothing handed over), then the ring was
    confirmed: the next run's ring keeps the confirmation but stores B002 redacted, and the carried note
    loses B002's id."""
    _load(container, SMALL, tenant_a, tenant_b)
    [first] = _rings(client, tenant_a)
    assert _erase(container, tenant_a)["held_copies"] == []
    _decide(client, tenant_a, int(first["id"]), "confirmed", "agent ring (B002 erased)")
    clock.advance(days=1)
    _load(container, SMALL, tenant_a, tenant_b)

    [second] = _rings(client, tenant_a)
    assert second["status"] == "confirmed" and second["carryover"]["from_ring"] == first["id"]
    assert {e["value"] for e in _items(_document(container, second["id"]), ERASED)} == {REDACTED}
    assert second["carryover"]["note"] == f"agent ring ({NOTE_REDACTED} erased)"
    detail = client.get(f"/v1/intel/rings/{second['id']}", headers=tenant_a.headers(Role.ANALYST)).json()
    assert [d["note"] for d in detail["decisions"]] == [f"agent ring ({NOTE_REDACTED} erased)"]
    assert rights(container).access_report(tenant_a.users[Role.COMPLIANCE], ERASED)["held_copies"] == []
    [stored] = [
        e for e in _actions(container, tenant_a, "intel.evidence.note_redacted") if e["object_id"] == str(second["id"])
    ]
    assert stored["subject_ref"] == ERASED and stored["detail"]["run"] == second["run_id"]


def _detected_small() -> tuple[DetectionConfig, list[Ring]]:
    """The small world's scored rings, detected outside any transaction (as a job would)."""
    config = DetectionConfig()
    backend = DuckDBBackend()
    try:
        return config, [score_ring(r, config) for r in run(backend, read_input(SMALL), config)]
    finally:
        backend.close()


def _store_small(
    container: Container, conn: Any, institution_id: int, config: DetectionConfig, rings: list[Ring]
) -> Any:
    """Store :func:`_detected_small`'s rings as a run of ``institution_id`` in the caller's transaction
    (the run read borrowers B001, B002 and B005), as a racing job would."""
    return service(container).store_rings(
        conn,
        institution_id,
        rings,
        {"B001", "B002", "B005"},
        engine="duckdb",
        source="race",
        config=config,
        now=container.clock.now(),
    )


def test_an_erasure_racing_a_run_being_stored_reaches_the_new_rings(
    client: TestClient,
    container: Container,
    tenant_a: Tenant,
    tenant_b: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """B002's deletion arrives right after the run asked who was erased (nobody) and before it commits:
    the deletion waits for the run (share lock on B002's privacy row; SQLite's write lock) and then
    redacts the rings the run stored, so no unredacted copy survives."""
    _load(container, SMALL, tenant_a, tenant_b)
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy_service(container).register_subject(compliance, ERASED, {"name": "李四"})
    config, rings = _detected_small()
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(rights(container).request_deletion(compliance, ERASED)))
    asked = container.erasers.erased

    def erased_then_race(conn: Any, institution_id: int, refs: Any) -> set[str]:
        answer = asked(conn, institution_id, refs)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive()  # the deletion waits for this transaction
        return answer

    monkeypatch.setattr(container.erasers, "erased", erased_then_race)
    with container.engine.begin() as conn:
        stored = _store_small(container, conn, tenant_a.institution_id, config, rings)
        assert stored.erased_items_redacted == 0  # not erased when asked
    worker.join(30)
    assert not worker.is_alive() and result["status"] == "honoured"
    [ring] = _rings(client, tenant_a)
    assert ring["run_id"] == stored.run_id
    assert {e["value"] for e in _items(_document(container, ring["id"]), ERASED)} == {REDACTED}
