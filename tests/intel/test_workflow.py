"""Analyst workflow: stored results per institution, confirm/dismiss, evidence export, pages, tenancy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.intel.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from tests.conftest import TEST_PASSWORD, Tenant
from tests.intel.conftest import SMALL


@pytest.fixture
def loaded(container: Container, tenant_a: Tenant, tenant_b: Tenant) -> tuple[Tenant, Tenant]:
    """The small world's rings stored for L01 (tenant A) and L02 (tenant B)."""
    load(container, SMALL, {"L01": tenant_a.institution_id, "L02": tenant_b.institution_id}, False)
    return tenant_a, tenant_b


def _ring_id(client: TestClient, tenant: Tenant) -> int:
    rings = client.get("/v1/intel/rings", headers=tenant.headers(Role.ANALYST)).json()
    assert len(rings) == 1, rings
    return int(rings[0]["id"])


def test_each_institution_sees_only_its_borrowers_and_rows(client: TestClient, loaded: tuple[Tenant, Tenant]) -> None:
    a, b = loaded
    ring_a = client.get(f"/v1/intel/rings/{_ring_id(client, a)}", headers=a.headers(Role.ANALYST)).json()
    ring_b = client.get(f"/v1/intel/rings/{_ring_id(client, b)}", headers=b.headers(Role.ANALYST)).json()
    assert ring_a["ring_ref"] == ring_b["ring_ref"]
    assert ring_a["borrowers"] == ["B001", "B002", "B005"] and ring_a["other_borrowers"] == 2
    assert ring_b["borrowers"] == ["B003", "B004"] and ring_b["other_borrowers"] == 3
    rows_a = {e["row_id"] for s in ring_a["signals_detail"] for e in s["evidence"]}
    assert {"C001", "C002", "C005"} <= rows_a
    assert not rows_a & {"C003", "C004", "K003"}  # tenant B's complaints and calls
    assert {"kind": "phone", "value": "17012345678"} in ring_a["indicators"]


def test_another_tenants_ring_is_not_found(client: TestClient, loaded: tuple[Tenant, Tenant]) -> None:
    a, b = loaded
    ring_a = _ring_id(client, a)
    assert client.get(f"/v1/intel/rings/{ring_a}", headers=b.headers(Role.ANALYST)).status_code == 404
    r = client.post(
        f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": "x"}, headers=b.headers(Role.ANALYST)
    )
    assert r.status_code == 404
    assert client.get(f"/v1/intel/rings/{ring_a}/report", headers=b.headers(Role.ANALYST)).status_code == 404
    assert client.get(f"/v1/intel/rings/{ring_a}", headers=a.headers(Role.ANALYST)).json()["status"] == "open"


def test_roles(client: TestClient, loaded: tuple[Tenant, Tenant]) -> None:
    a, _ = loaded
    ring = _ring_id(client, a)
    assert client.get("/v1/intel/rings", headers=a.headers(Role.COLLECTOR)).status_code == 403
    for role in (Role.REGULATOR, Role.COMPLIANCE):
        assert client.get(f"/v1/intel/rings/{ring}", headers=a.headers(role)).status_code == 200
        r = client.post(
            f"/v1/intel/rings/{ring}/decision", json={"status": "confirmed", "note": "x"}, headers=a.headers(role)
        )
        assert r.status_code == 403  # only analysts decide


def test_confirm_then_export_every_record(
    client: TestClient, container: Container, loaded: tuple[Tenant, Tenant]
) -> None:
    a, _ = loaded
    ring = _ring_id(client, a)
    headers = a.headers(Role.ANALYST)
    assert client.get(f"/v1/intel/rings/{ring}/report", headers=headers).status_code == 409  # still open
    assert client.get(f"/v1/intel/rings/{ring}", headers=headers).status_code == 200
    r = client.post(
        f"/v1/intel/rings/{ring}/decision",
        json={"status": "confirmed", "note": "同一号码代理多人投诉"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert r.json()["decisions"][0]["note"] == "同一号码代理多人投诉"
    assert [x["status"] for x in client.get("/v1/intel/rings?status=confirmed", headers=headers).json()] == [
        "confirmed"
    ]
    report = client.get(f"/v1/intel/rings/{ring}/report", headers=headers).json()
    records = {(x["file"], x["row_id"], x["field"], x["signal"]) for x in report["records"]}
    assert ("complaints.csv", "C001", "contact_phone", "shared_contact") in records
    assert ("phone_changes.csv", "2", "new_phone", "phone_takeover") in records
    assert ("call_outcomes.csv", "K001", "answered_by", "third_party_answer") in records
    cited = sum(len(s["evidence"]) for s in report["signals"])
    assert len(report["records"]) == cited
    with container.engine.connect() as conn:
        actions = [
            row.action
            for row in conn.execute(sa.select(event_log.c.action).where(event_log.c.institution_id == a.institution_id))
        ]
    assert {"intel.detection.stored", "intel.ring.read", "intel.ring.confirmed", "intel.evidence.exported"} <= set(
        actions
    )


def test_decision_needs_a_note(client: TestClient, loaded: tuple[Tenant, Tenant]) -> None:
    a, _ = loaded
    ring = _ring_id(client, a)
    r = client.post(
        f"/v1/intel/rings/{ring}/decision", json={"status": "dismissed", "note": "  "}, headers=a.headers(Role.ANALYST)
    )
    assert r.status_code == 422


def _login(client: TestClient, tenant: Tenant, role: Role) -> None:
    r = client.post(
        "/login", data={"username": tenant.users[role].username, "password": TEST_PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303


def test_pages_list_show_graph_decide_and_export(client: TestClient, loaded: tuple[Tenant, Tenant]) -> None:
    a, b = loaded
    ring = _ring_id(client, a)
    assert client.get("/intel", follow_redirects=False).status_code == 303
    _login(client, a, Role.ANALYST)
    listing = client.get("/intel")
    assert listing.status_code == 200 and f"/intel/rings/{ring}" in listing.text
    page = client.get(f"/intel/rings/{ring}")
    assert page.status_code == 200
    assert 'id="entity-graph"' in page.text and "<line" in page.text and "17012345678" in page.text
    assert "B003" not in page.text  # tenant B's borrower
    r = client.post(
        f"/intel/rings/{ring}/decision", data={"status": "confirmed", "note": "confirmed"}, follow_redirects=False
    )
    assert r.status_code == 303
    html = client.get(f"/intel/rings/{ring}/report.html")
    assert html.status_code == 200 and 'id="records"' in html.text and "C001" in html.text
    js = client.get(f"/intel/rings/{ring}/report.json")
    assert js.status_code == 200 and js.json()["status"] == "confirmed"
    _login(client, b, Role.ANALYST)
    assert client.get(f"/intel/rings/{ring}").status_code == 404
    assert client.get(f"/intel/rings/{ring}/report.html").status_code == 404
