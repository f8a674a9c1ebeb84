"""Ring evidence is personal data: investigators only read values, others see them masked, every read
is audited per borrower and shows in the borrower's access report (both databases)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.intel.evidence_model import fields_by_subject, mask_indicator, mask_value, masked_detail
from lendguard.intel.redaction_model import REDACTED
from lendguard.intel.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from lendguard.privacy.wiring import rights
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import TEST_PASSWORD, Tenant
from tests.intel.conftest import SMALL

AGENT_PHONE = "17012345678"
AGENT_EMAIL = "agent@huiyuan-law.cn"
TEMPLATE_WORDS = "因疫情失业无力偿还"


@pytest.fixture
def ring_a(client: TestClient, container: Container, tenant_a: Tenant, tenant_b: Tenant) -> int:
    load(container, SMALL, {"L01": tenant_a.institution_id, "L02": tenant_b.institution_id}, False)
    [ring] = client.get("/v1/intel/rings", headers=tenant_a.headers(Role.ANALYST)).json()
    return int(ring["id"])


def _values(detail: dict[str, object]) -> str:
    return json.dumps([detail["indicators"], detail["signals_detail"]], ensure_ascii=False)


# -- pure masking rules ------------------------------------------------------------------------------


def test_masking_reuses_privacy_masks_and_is_default_deny() -> None:
    assert mask_value("contact_phone", AGENT_PHONE) == "170****5678"
    assert mask_value("new_phone", "+86 17012345678") != "+86 17012345678"
    assert mask_value("contact_email", AGENT_EMAIL) == "a***@huiyuan-law.cn"
    text = mask_value("text", "本人张三因疫情失业无力偿还")
    assert "张三" not in text and "13 characters withheld" in text
    assert mask_value("some_new_column", "王五 13811110003") != "王五 13811110003"  # unknown field: masked
    assert mask_value("answered_by", "third_party") == "third_party"  # known non-personal: kept
    assert mask_value("channel", "regulator") == "regulator"
    assert mask_indicator("segment", "170123456") == "170******"
    assert mask_indicator("phone", AGENT_PHONE) == "170****5678"


def test_fields_by_subject_names_every_member() -> None:
    detail = {
        "borrowers": ["B1", "B2"],
        "signals": [{"evidence": [{"file": "complaints.csv", "field": "contact_phone", "borrower_id": "B1"}]}],
    }
    assert fields_by_subject(detail) == {"B1": ["complaints.csv:contact_phone"], "B2": []}
    masked = masked_detail(
        {"indicators": [{"kind": "phone", "value": AGENT_PHONE}], "signals": [], "borrowers": ["B1"]}
    )
    assert masked["masked"] is True and masked["indicators"] == [{"kind": "phone", "value": "170****5678"}]


# -- the service, API and pages ----------------------------------------------------------------------


def test_investigators_read_values_others_get_them_masked(client: TestClient, tenant_a: Tenant, ring_a: int) -> None:
    for role in (Role.ANALYST, Role.COMPLIANCE):
        r = client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(role))
        assert r.status_code == 200 and r.json()["masked"] is False
        shown = _values(r.json())
        assert AGENT_PHONE in shown and AGENT_EMAIL in shown and TEMPLATE_WORDS in shown
    r = client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(Role.REGULATOR))
    assert r.status_code == 200
    ring = r.json()
    shown = _values(ring)
    assert ring["masked"] is True
    assert AGENT_PHONE not in shown and AGENT_EMAIL not in shown and TEMPLATE_WORDS not in shown
    assert "170****5678" in shown and "a***@huiyuan-law.cn" in shown
    assert ring["borrowers"] == ["B001", "B002", "B005"]  # pseudonymous ids are not masked
    # evidence items name their borrower (whose row it is)
    owners = {(e["row_id"], e["borrower_id"]) for s in ring["signals_detail"] for e in s["evidence"]}
    assert ("C001", "B001") in owners and ("K001", "B001") in owners
    for role in (Role.COLLECTOR, Role.SUPERVISOR, Role.BORROWER):
        assert client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(role)).status_code == 403


def test_every_read_and_export_is_audited_per_borrower(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    analyst = tenant_a.headers(Role.ANALYST)
    client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(Role.REGULATOR))
    client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": "agent"}, headers=analyst)
    with container.engine.connect() as conn:
        start = conn.execute(sa.select(sa.func.max(event_log.c.seq))).scalar_one()
    assert client.get(f"/v1/intel/rings/{ring_a}/report", headers=analyst).status_code == 200
    with container.engine.connect() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                sa.select(event_log)
                .where(event_log.c.institution_id == tenant_a.institution_id, event_log.c.action.like("intel.%"))
                .order_by(event_log.c.seq)
            ).mappings()
        ]
    exported = [r for r in rows if r["seq"] > start]
    assert [r["action"] for r in exported] == ["intel.ring.exported"] + ["intel.evidence.exported"] * 3
    assert {r["subject_ref"] for r in exported[1:]} == {"B001", "B002", "B005"}
    assert {r["purpose"] for r in exported} == {"fraud_investigation"}
    assert {r["object_id"] for r in exported} == {str(ring_a)}
    ring_event = json.loads(exported[0]["detail"])
    assert ring_event["borrowers"] == ["B001", "B002", "B005"] and ring_event["masked"] is False
    b001 = json.loads(next(r["detail"] for r in exported if r["subject_ref"] == "B001"))
    assert "complaints.csv:contact_phone" in b001["fields"] and "call_outcomes.csv:answered_by" in b001["fields"]
    # the regulator's read was audited as a masked read of each borrower's evidence
    masked_reads = [r for r in rows if r["action"] == "intel.evidence.read" and r["actor"].endswith("-regulator")]
    assert len(masked_reads) == 3 and all(json.loads(r["detail"])["masked"] for r in masked_reads)
    assert not any(AGENT_PHONE in r["detail"] for r in rows if r["action"].startswith("intel.evidence."))


def test_a_borrowers_access_report_shows_ring_evidence_reads(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy_service(container).register_subject(compliance, "B001", {"name": "张三", "mobile": "13811110001"})
    assert client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(Role.ANALYST)).status_code == 200
    report = rights(container).access_report(compliance, "B001")
    reads = [r for r in report["reads"] if r["action"].startswith("intel.")]
    assert [(r["actor"], r["action"], r["purpose"]) for r in reads] == [
        (tenant_a.users[Role.ANALYST].username, "intel.evidence.read", "fraud_investigation")
    ]
    assert "complaints.csv:contact_phone" in reads[0]["fields"]


def test_pages_and_reports_mask_for_non_investigators(client: TestClient, tenant_a: Tenant, ring_a: int) -> None:
    analyst = tenant_a.headers(Role.ANALYST)
    client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": "agent"}, headers=analyst)
    report = client.get(f"/v1/intel/rings/{ring_a}/report", headers=tenant_a.headers(Role.REGULATOR)).json()
    assert report["masked"] is True and not any(AGENT_PHONE in r["value"] for r in report["records"])
    assert any(r["value"] == "170****5678" for r in report["records"])
    r = client.post(
        "/login",
        data={"username": tenant_a.users[Role.REGULATOR].username, "password": TEST_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/intel/rings/{ring_a}")
    assert page.status_code == 200 and 'id="masked-note"' in page.text
    assert AGENT_PHONE not in page.text and "170****5678" in page.text and "<line" in page.text  # graph still drawn
    html = client.get(f"/intel/rings/{ring_a}/report.html")
    assert html.status_code == 200 and AGENT_PHONE not in html.text and "Values masked" in html.text


def test_notes_quoting_contacts_are_masked_for_non_investigators_and_never_audited(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    note = f"代理号码 +86 {AGENT_PHONE} 与 {AGENT_EMAIL}，2025-06 三人投诉"
    analyst = tenant_a.headers(Role.ANALYST)
    r = client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": note}, headers=analyst)
    assert r.status_code == 200 and r.json()["decisions"][0]["note"] == note  # investigators: as written
    shown = client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(Role.REGULATOR)).json()
    assert shown["decisions"][0]["note"] == "代理号码 170****5678 与 a***@huiyuan-law.cn，2025-06 三人投诉"
    with container.engine.connect() as conn:
        details = (
            conn.execute(sa.select(event_log.c.detail).where(event_log.c.action == "intel.ring.confirmed"))
            .scalars()
            .all()
        )
    assert len(details) == 1 and AGENT_PHONE not in details[0] and "note_sha256" in json.loads(details[0])


def test_a_redacted_borrower_shows_as_the_marker_in_pages_graph_and_reports(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    """B002 is erased while the ring is open, then the ring is confirmed: the ring page (graph included),
    the API and both report exports show the redaction marker where B002's values were, never a value."""
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy_service(container).register_subject(compliance, "B002", {"name": "李四", "mobile": "13811110002"})
    rights(container).request_deletion(compliance, "B002", "phone")
    analyst = tenant_a.headers(Role.ANALYST)
    r = client.post(
        f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": "agent"}, headers=analyst
    )
    assert r.status_code == 200
    secrets = ("17012345601", "李四", "repayment_plan_request", "2025-06-10T15:00:00")  # B002's own values

    def b002_values(items: list[dict[str, object]]) -> set[object]:
        return {e["value"] for e in items if e["borrower_id"] == "B002"}

    for role in (Role.ANALYST, Role.REGULATOR):  # the marker is shown to every reader, masked or not
        ring = client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(role)).json()
        items = [e for s in ring["signals_detail"] for e in s["evidence"]]
        assert b002_values(items) == {REDACTED} and all(e["redacted"] for e in items if e["borrower_id"] == "B002")
        assert not any(s in _values(ring) for s in secrets)
    report = client.get(f"/v1/intel/rings/{ring_a}/report", headers=analyst).json()
    assert b002_values(report["records"]) == {REDACTED} and AGENT_PHONE in json.dumps(report)
    assert not any(s in json.dumps(report, ensure_ascii=False) for s in secrets)
    login = {"username": tenant_a.users[Role.ANALYST].username, "password": TEST_PASSWORD}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    page = client.get(f"/intel/rings/{ring_a}").text
    graph = page[page.index('<svg id="entity-graph"') : page.index("</svg>")]
    assert REDACTED in page and "<line" in graph and "B002" in graph and AGENT_PHONE in graph
    html = client.get(f"/intel/rings/{ring_a}/report.html").text
    exported = client.get(f"/intel/rings/{ring_a}/report.json").text
    assert REDACTED in html and b002_values(json.loads(exported)["records"]) == {REDACTED}
    for text in (page, html, exported):
        assert not any(s in text for s in secrets)
