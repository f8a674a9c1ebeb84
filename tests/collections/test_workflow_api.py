"""Cases, attempts and the policy in front of them over HTTP, on SQLite and PostgreSQL; tenancy attacks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from tests.conftest import Tenant

SUP, COL, CMP = Role.SUPERVISOR, Role.COLLECTOR, Role.COMPLIANCE


def open_case(
    client: TestClient, tenant: Tenant, ref: str = "L0001", borrower: str = "B0001", **extra: Any
) -> dict[str, Any]:
    body = {"ref": ref, "borrower_ref": borrower, "days_past_due": 45, "stage": "M2", "outstanding": "1200.00", **extra}
    r = client.post("/v1/collections/cases", json=body, headers=tenant.headers(SUP))
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    collector = tenant.users[COL].username
    r = client.post(
        f"/v1/collections/cases/{case['id']}/assign", json={"collector": collector}, headers=tenant.headers(SUP)
    )
    assert r.status_code == 200, r.text
    return case


def attempt(
    client: TestClient, tenant: Tenant, case_id: int, at: str, outcome: str = "conversation", **extra: Any
) -> Any:
    body = {
        "channel": "call",
        "number": "13800138000",
        "at": at,
        "outcome": outcome,
        "duration_s": 60,
        "recording_ref": "rec-1",
        **extra,
    }
    return client.post(f"/v1/collections/cases/{case_id}/attempts", json=body, headers=tenant.headers(COL))


def actions(container: Container, institution_id: int) -> list[str]:
    with container.engine.connect() as conn:
        q = sa.select(event_log.c.action).where(event_log.c.institution_id == institution_id).order_by(event_log.c.seq)
        return [r[0] for r in conn.execute(q)]


def test_fourth_connected_call_is_refused_with_409_listed_for_the_supervisor_and_audited(
    client: TestClient, container: Container, tenant_a: Tenant
) -> None:
    case = open_case(client, tenant_a)
    for minute in ("00", "05"):
        assert attempt(client, tenant_a, case["id"], f"2026-03-02T10:{minute}:00+08:00").status_code == 201
    # An outsourced agency's connected call counts against the lender's cap.
    assert attempt(client, tenant_a, case["id"], "2026-03-02T10:10:00+08:00", agency_id="AG1").status_code == 201
    refused = attempt(client, tenant_a, case["id"], "2026-03-02T10:20:00+08:00")
    assert refused.status_code == 409
    body = refused.json()
    assert "cn.connected_calls_per_day" in body["detail"]
    assert body["decision"]["next_allowed_at"] == "2026-03-03T08:00:00+08:00"
    blocked = client.get("/v1/collections/blocked", headers=tenant_a.headers(SUP)).json()
    assert len(blocked) == 1 and blocked[0]["violations"][0]["rule"] == "cn.connected_calls_per_day"
    assert actions(container, tenant_a.institution_id).count("collections.attempt") == 3
    assert "collections.attempt_blocked" in actions(container, tenant_a.institution_id)
    assert client.get("/v1/collections/blocked", headers=tenant_a.headers(COL)).status_code == 403


def test_night_call_and_abusive_text_are_refused_naming_rule_and_category(client: TestClient, tenant_a: Tenant) -> None:
    case = open_case(client, tenant_a)
    night = attempt(client, tenant_a, case["id"], "2026-03-02T22:30:00+08:00", outcome="no_answer")
    assert night.status_code == 409 and "cn.quiet_hours" in night.json()["detail"]
    sms = {"channel": "sms", "text": "你再不还钱我们就去你单位找你，让你坐牢", "includes_opt_out": True}
    threat = attempt(client, tenant_a, case["id"], "2026-03-02T10:00:00+08:00", outcome="delivered", **sms)
    assert threat.status_code == 409
    violation = threat.json()["decision"]["violations"][0]
    assert violation["rule"] == "cn.message_text" and "threat" in violation["message"]
    polite = {**sms, "text": "您好，您的账单已逾期，请尽快还款或联系我们协商还款计划。"}
    assert (
        attempt(client, tenant_a, case["id"], "2026-03-02T10:00:00+08:00", outcome="delivered", **polite).status_code
        == 201
    )


def test_work_queue_shows_what_is_allowed_next(client: TestClient, tenant_a: Tenant) -> None:
    due = open_case(client, tenant_a, "L0001", "B0001")
    capped = open_case(client, tenant_a, "L0002", "B0002")
    # The fixed clock is 2026-03-02 10:00 UTC = 18:00 in Shanghai.
    for minute in ("00", "05", "10"):
        assert attempt(client, tenant_a, capped["id"], f"2026-03-02T17:{minute}:00+08:00").status_code == 201
    queue = client.get("/v1/collections/queue", headers=tenant_a.headers(COL)).json()
    assert [c["ref"] for c in queue] == ["L0001", "L0002"]
    assert queue[0]["due"] is True and queue[0]["next"]["call"]["decision"] == "allow"
    assert queue[1]["due"] is False
    assert queue[1]["next"]["call"]["next_allowed_at"] == "2026-03-03T00:00:00+00:00"
    assert queue[1]["next"]["sms"]["decision"] == "allow"
    assert due["id"] != capped["id"]


def test_us_pack_cease_and_tightening_through_the_policy_endpoint(client: TestClient, tenant_a: Tenant) -> None:
    loose = {"pack": "us-regf", "overrides": {"us.call_frequency": {"max_calls": 9}}}
    r = client.put("/v1/collections/policy", json=loose, headers=tenant_a.headers(CMP))
    assert r.status_code == 422 and "loosen" in r.json()["detail"]
    assert (
        client.put("/v1/collections/policy", json={"pack": "us-regf"}, headers=tenant_a.headers(COL)).status_code == 403
    )
    tight = {"pack": "us-regf", "overrides": {"us.call_frequency": {"max_calls": 2}}}
    assert client.put("/v1/collections/policy", json=tight, headers=tenant_a.headers(CMP)).status_code == 200
    case = open_case(client, tenant_a, timezones=["America/New_York"])
    for day in ("04", "05"):
        assert (
            attempt(client, tenant_a, case["id"], f"2026-05-{day}T10:00:00-04:00", outcome="no_answer").status_code
            == 201
        )
    third = attempt(client, tenant_a, case["id"], "2026-05-06T10:00:00-04:00", outcome="no_answer")
    assert third.status_code == 409 and "us.call_frequency" in third.json()["detail"]
    r = client.post(
        f"/v1/collections/cases/{case['id']}/events", json={"kind": "cease_request"}, headers=tenant_a.headers(COL)
    )
    assert r.status_code == 200 and r.json()["flags"]["cease_requested"] is True
    check = client.post(
        f"/v1/collections/cases/{case['id']}/contacts:check", json={"channel": "letter"}, headers=tenant_a.headers(COL)
    ).json()
    assert check["decision"] == "block" and check["violations"][0]["rule"] == "us.cease_communication"
    notice = {"channel": "letter", "purpose": "notice"}
    assert (
        client.post(
            f"/v1/collections/cases/{case['id']}/contacts:check", json=notice, headers=tenant_a.headers(COL)
        ).json()["decision"]
        == "allow"
    )


def test_contacts_check_endpoint_is_the_cli_contract(client: TestClient, tenant_a: Tenant) -> None:
    scenario = {
        "id": "x",
        "at": "2026-03-02T22:00:00+08:00",
        "contact": {"channel": "call"},
        "debtor": {"id": "B1", "timezones": ["Asia/Shanghai"]},
    }
    r = client.post("/v1/collections/contacts:check?pack=cn", json=scenario, headers=tenant_a.headers(COL))
    assert r.status_code == 200
    assert r.json()[0]["next_allowed_at"] == "2026-03-03T08:00:00+08:00"
    bad = client.post(
        "/v1/collections/contacts:check", json={**scenario, "at": "tonight"}, headers=tenant_a.headers(COL)
    )
    assert bad.status_code == 422 and "field at" in bad.json()["detail"]
    assert client.post("/v1/collections/contacts:check", json=scenario).status_code == 401


def test_promises_plans_and_events(client: TestClient, tenant_a: Tenant) -> None:
    case = open_case(client, tenant_a)
    h = tenant_a.headers(COL)
    p = client.post(
        f"/v1/collections/cases/{case['id']}/promises", json={"amount": "300.00", "due_date": "2026-03-10"}, headers=h
    ).json()
    moved = client.patch(
        f"/v1/collections/promises/{p['id']}", json={"status": "rescheduled", "new_due_date": "2026-03-20"}, headers=h
    )
    assert moved.status_code == 200 and moved.json()["replaces_id"] == p["id"] and moved.json()["status"] == "pending"
    assert (
        client.patch(f"/v1/collections/promises/{moved.json()['id']}", json={"status": "kept"}, headers=h).json()[
            "status"
        ]
        == "kept"
    )
    assert (
        client.patch(f"/v1/collections/promises/{p['id']}", json={"status": "rescheduled"}, headers=h).status_code
        == 422
    )
    plan = client.post(
        f"/v1/collections/cases/{case['id']}/plans",
        json={"instalments": [{"due_date": "2026-04-01", "amount": "100"}]},
        headers=h,
    )
    assert plan.status_code == 201
    client.post(
        f"/v1/collections/cases/{case['id']}/events",
        json={"kind": "dispute", "detail": {"note": "wrong amount"}},
        headers=h,
    )
    full = client.get(f"/v1/collections/cases/{case['id']}", headers=h).json()
    assert [x["status"] for x in full["promises"]] == ["rescheduled", "kept"]
    assert full["flags"]["disputed"] is True and full["events"][0]["kind"] == "dispute" and len(full["plans"]) == 1


def test_another_institution_cannot_see_or_touch_a_case(client: TestClient, tenant_a: Tenant, tenant_b: Tenant) -> None:
    case = open_case(client, tenant_a)
    cid = case["id"]
    hb = tenant_b.headers(SUP)
    assert client.get(f"/v1/collections/cases/{cid}", headers=hb).status_code == 404
    assert client.get(f"/v1/collections/cases/{cid + 999}", headers=hb).status_code == 404
    assert attempt(client, tenant_b, cid, "2026-03-02T10:00:00+08:00").status_code == 404
    assert client.post(f"/v1/collections/cases/{cid}/assign", json={"collector": "x"}, headers=hb).status_code == 404
    assert (
        client.post(
            f"/v1/collections/cases/{cid}/events", json={"kind": "cease_request"}, headers=tenant_b.headers(COL)
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/v1/collections/cases/{cid}/promises",
            json={"amount": "1", "due_date": "2026-03-10"},
            headers=tenant_b.headers(COL),
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/v1/collections/cases/{cid}/contacts:check", json={"channel": "call"}, headers=tenant_b.headers(COL)
        ).status_code
        == 404
    )
    assert client.get("/v1/collections/cases", headers=hb).json() == []
    assert client.get("/v1/collections/queue", headers=hb).json() == []
    p = client.post(
        f"/v1/collections/cases/{cid}/promises",
        json={"amount": "1", "due_date": "2026-03-10"},
        headers=tenant_a.headers(COL),
    ).json()
    assert (
        client.patch(
            f"/v1/collections/promises/{p['id']}", json={"status": "kept"}, headers=tenant_b.headers(COL)
        ).status_code
        == 404
    )
    # tenant B's own case with the same loan ref does not collide with A's
    assert open_case(client, tenant_b)["ref"] == "L0001"
    assert len(client.get("/v1/collections/cases", headers=tenant_a.headers(SUP)).json()) == 1
