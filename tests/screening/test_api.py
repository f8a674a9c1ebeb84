"""POST /v1/collections/messages:screen and the institution's stricter terms, with tenancy attacks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lendguard.collections.screening.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import Tenant

SCREEN = "/v1/collections/messages:screen"
TERMS = "/v1/collections/screening/terms"


def test_batch_screen_returns_a_result_per_message(client: TestClient, tenant_a: Tenant) -> None:
    body = {
        "messages": [
            {"id": "m1", "text": "您的借款已逾期30天，请尽快还款，如有困难可申请分期"},
            {"id": "m2", "text": "再不还钱就爆你通讯录"},
            {"text": "Tell him he owes us money", "party": "third_party"},
        ]
    }
    response = client.post(SCREEN, json=body, headers=tenant_a.headers(Role.COLLECTOR))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["m1", "m2", "3"]
    assert [r["verdict"] for r in results] == ["pass", "block", "block"]
    finding = results[1]["findings"][0]
    assert finding == {
        "category": "exposure_threat",
        "start": 5,
        "end": 10,
        "evidence": "爆你通讯录",
        "rule": finding["rule"],
    }


def test_batch_screen_rejects_bad_input_and_anonymous_callers(client: TestClient, tenant_a: Tenant) -> None:
    headers = tenant_a.headers(Role.COLLECTOR)
    bad_party = {"messages": [{"id": "x", "text": "hi", "party": "boss"}]}
    response = client.post(SCREEN, json=bad_party, headers=headers)
    assert response.status_code == 422
    assert "x" in response.json()["detail"]
    assert client.post(SCREEN, json={"messages": []}, headers=headers).status_code == 422
    assert client.post(SCREEN, json={"messages": [{"text": "hi"}]}).status_code == 401
    assert (
        client.post(SCREEN, json={"messages": [{"text": "hi"}]}, headers=tenant_a.headers(Role.BORROWER)).status_code
        == 403
    )


def test_batch_is_audited_without_message_text(client: TestClient, tenant_a: Tenant, container: Container) -> None:
    client.post(SCREEN, json={"messages": [{"text": "你这个傻逼"}]}, headers=tenant_a.headers(Role.COLLECTOR))
    with container.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT action, detail FROM event_log WHERE institution_id = ? AND action = 'screening.batch'"
            if container.engine.dialect.name == "sqlite"
            else "SELECT action, detail FROM event_log WHERE institution_id = %s AND action = 'screening.batch'",
            (tenant_a.institution_id,),
        ).fetchall()
    assert len(rows) == 1
    assert "傻逼" not in str(rows[0][1])
    assert '"block":1' in str(rows[0][1]).replace(" ", "")


def test_institution_terms_are_stricter_and_stay_in_their_tenant(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    text = {"messages": [{"text": "请今天结清尾款"}]}
    assert (
        client.post(SCREEN, json=text, headers=tenant_a.headers(Role.COLLECTOR)).json()["results"][0]["verdict"]
        == "pass"
    )
    # collectors cannot manage terms; compliance can
    assert (
        client.post(
            TERMS, json={"category": "unfair_demand", "term": "结清尾款"}, headers=tenant_a.headers(Role.COLLECTOR)
        ).status_code
        == 403
    )
    created = client.post(
        TERMS, json={"category": "unfair_demand", "term": "结清尾款"}, headers=tenant_a.headers(Role.COMPLIANCE)
    )
    assert created.status_code == 201, created.text
    term_id = created.json()["id"]
    dup = client.post(
        TERMS, json={"category": "unfair_demand", "term": "结清尾款"}, headers=tenant_a.headers(Role.COMPLIANCE)
    )
    assert dup.status_code == 409
    bad = client.post(TERMS, json={"category": "nothing", "term": "x"}, headers=tenant_a.headers(Role.COMPLIANCE))
    assert bad.status_code == 422

    result_a = client.post(SCREEN, json=text, headers=tenant_a.headers(Role.COLLECTOR)).json()["results"][0]
    assert result_a["verdict"] == "block"
    assert result_a["findings"][0]["rule"] == f"inst.{term_id}"
    # tenant B is not affected, cannot see, and cannot delete A's term (reported as not found)
    result_b = client.post(SCREEN, json=text, headers=tenant_b.headers(Role.COLLECTOR)).json()["results"][0]
    assert result_b["verdict"] == "pass"
    assert client.get(TERMS, headers=tenant_b.headers(Role.COMPLIANCE)).json() == []
    assert client.delete(f"{TERMS}/{term_id}", headers=tenant_b.headers(Role.COMPLIANCE)).status_code == 404
    assert client.delete(f"{TERMS}/999999", headers=tenant_a.headers(Role.COMPLIANCE)).status_code == 404
    listed = client.get(TERMS, headers=tenant_a.headers(Role.COLLECTOR)).json()
    assert [t["term"] for t in listed] == ["结清尾款"]

    assert client.delete(f"{TERMS}/{term_id}", headers=tenant_a.headers(Role.COMPLIANCE)).status_code == 204
    assert (
        client.post(SCREEN, json=text, headers=tenant_a.headers(Role.COLLECTOR)).json()["results"][0]["verdict"]
        == "pass"
    )


def test_terms_cannot_switch_a_category_off(container: Container, tenant_a: Tenant) -> None:
    screening = service(container)
    compliance = tenant_a.users[Role.COMPLIANCE]
    screening.add_term(compliance, "insult", "笨蛋")
    with container.engine.connect() as conn:
        screener = screening.screener_for(conn, tenant_a.institution_id)
    # the shared rules still apply next to the institution's own
    assert screener.screen("你这个傻逼").verdict == "block"
    assert screener.screen("你这个笨蛋").verdict == "block"
