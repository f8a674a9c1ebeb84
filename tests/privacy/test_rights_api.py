"""Borrower rights through the API and pages: report, export, correction, withdrawal, deletion with holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.lending.wiring import service as lending_service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.privacy.receipts import verify_receipt
from tests.conftest import EPOCH, TEST_PASSWORD, Tenant
from tests.privacy.conftest import PERSON


def add_loan(container: Container, institution_id: int, borrower: str, outstanding: str, status: str) -> None:
    with container.engine.begin() as conn:
        lending_service(container).import_rows(
            conn,
            institution_id,
            loans=[
                {
                    "ref": f"L-{borrower}-{status}",
                    "borrower_ref": borrower,
                    "product": "cash",
                    "principal": Decimal("1000.00"),
                    "nominal_rate": Decimal("0.18"),
                    "instalment_count": 6,
                    "frequency": "monthly",
                    "disbursed_at": EPOCH,
                    "upfront_fee": Decimal("0"),
                    "fee_per_period": Decimal("0"),
                    "status": status,
                    "days_past_due": 0,
                    "stage": "current",
                    "outstanding": Decimal(outstanding),
                }
            ],
        )


def set_loan_paid(container: Container, institution_id: int) -> None:
    with container.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE loans SET outstanding = 0, status = 'paid_off' WHERE institution_id = :i"),
            {"i": institution_id},
        )


def test_borrower_sees_who_read_their_data(client: TestClient, tenant_a: Tenant, borrower: str) -> None:
    read = client.post(
        f"/v1/privacy/subjects/{borrower}/read",
        json={"fields": ["name", "mobile"], "purpose": "collection"},
        headers=tenant_a.headers(Role.COLLECTOR),
    )
    assert read.status_code == 200 and read.json()["mobile"] == "138****5678"
    report = client.get(f"/v1/privacy/subjects/{borrower}/access-report", headers=tenant_a.headers(Role.BORROWER))
    assert report.status_code == 200
    reads = [r for r in report.json()["reads"] if r["action"] == "personal_data.read"]
    assert reads[-1]["actor"] == "user:lender-a-collector" and reads[-1]["fields"] == ["name", "mobile"]
    held = {h["field"]: h for h in report.json()["held"]}
    assert held["id_number"]["sensitive"] and held["id_number"]["category_zh"] == "证件号码"


def test_denied_read_is_403_naming_the_rule(client: TestClient, tenant_a: Tenant, borrower: str) -> None:
    r = client.post(
        f"/v1/privacy/subjects/{borrower}/read",
        json={"fields": ["bank_card"], "purpose": "collection"},
        headers=tenant_a.headers(Role.COLLECTOR),
    )
    assert r.status_code == 403 and "PIPL art. 6" in r.json()["detail"]


def test_other_tenant_gets_404_everywhere(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant, borrower: str
) -> None:
    for method, path in [
        ("post", f"/v1/privacy/subjects/{borrower}/read"),
        ("get", f"/v1/privacy/subjects/{borrower}/access-report"),
        ("get", f"/v1/privacy/subjects/{borrower}/export"),
        ("post", f"/v1/privacy/subjects/{borrower}/deletion-requests"),
    ]:
        body = {"fields": ["name"], "purpose": "collection"} if path.endswith("read") else {"channel": "phone"}
        role = Role.SUPERVISOR if path.endswith("read") else Role.COMPLIANCE
        r = client.request(method, path, json=body, headers=tenant_b.headers(role))
        assert r.status_code == 404, (path, r.status_code)
    assert client.get("/v1/privacy/requests", headers=tenant_b.headers(Role.COMPLIANCE)).json() == []


def test_borrower_cannot_see_another_borrowers_data(client: TestClient, tenant_a: Tenant, borrower: str) -> None:
    r = client.get("/v1/privacy/subjects/lender-a-B0002/access-report", headers=tenant_a.headers(Role.BORROWER))
    assert r.status_code == 403


def test_receipt_verifies_with_the_published_key_and_fails_when_altered(
    client: TestClient, tenant_a: Tenant, borrower: str
) -> None:
    receipt = client.post(
        f"/v1/privacy/subjects/{borrower}/consents",
        json={
            "purposes": ["credit_reporting"],
            "categories": ["name"],
            "method": "app_checkbox",
            "notice_version": "2026-02",
        },
        headers=tenant_a.headers(Role.BORROWER),
    ).json()
    key = client.get("/v1/privacy/public-key", headers=tenant_a.headers(Role.BORROWER)).json()["ed25519"]
    assert verify_receipt(receipt, key)
    ok = client.post("/v1/privacy/receipts:verify", json={"receipt": receipt, "public_key": key})
    assert ok.json() == {"valid": True}
    receipt["payload"]["purposes"] = ["credit_reporting", "marketing"]
    assert client.post("/v1/privacy/receipts:verify", json={"receipt": receipt, "public_key": key}).json() == {
        "valid": False
    }


def test_export_correction_and_withdrawal(client: TestClient, tenant_a: Tenant, borrower: str) -> None:
    h = tenant_a.headers(Role.BORROWER)
    export = client.get(f"/v1/privacy/subjects/{borrower}/export", headers=h).json()
    assert export["personal_data"]["id_number"] == PERSON["id_number"]
    assert export["designated_contacts"][0]["name"] == "李四"
    fixed = client.post(
        f"/v1/privacy/subjects/{borrower}/corrections", json={"values": {"email": "new@example.cn"}}, headers=h
    )
    assert fixed.status_code == 200
    assert client.get(f"/v1/privacy/subjects/{borrower}/export", headers=h).json()["personal_data"]["email"] == (
        "new@example.cn"
    )
    consent = next(c for c in client.get(f"/v1/privacy/subjects/{borrower}/consents", headers=h).json())
    w = client.post(f"/v1/privacy/subjects/{borrower}/consents/{consent['consent_id']}:withdraw", json={}, headers=h)
    assert w.status_code == 200
    r = client.post(
        f"/v1/privacy/subjects/{borrower}/read",
        json={"fields": ["email"], "purpose": "loan_servicing"},
        headers=tenant_a.headers(Role.SUPERVISOR),
    )
    assert r.status_code == 403


def test_deletion_is_held_while_a_loan_is_outstanding_then_honoured(
    client: TestClient, container: Container, tenant_a: Tenant, borrower: str
) -> None:
    add_loan(container, tenant_a.institution_id, borrower, "800.00", "current")
    # Staff file it on the borrower's behalf after a phone call.
    r = client.post(
        f"/v1/privacy/subjects/{borrower}/deletion-requests",
        json={"channel": "phone"},
        headers=tenant_a.headers(Role.COMPLIANCE),
    )
    assert r.status_code == 200
    held = r.json()
    assert held["status"] == "held" and "PIPL art. 47" in held["hold_reason"] and f"L-{borrower}" in held["hold_reason"]
    assert held["filed_by"] == "lender-a-compliance" and held["channel"] == "phone"
    assert client.post("/v1/privacy/requests:release-holds", headers=tenant_a.headers(Role.COMPLIANCE)).json() == {
        "honoured": []
    }
    set_loan_paid(container, tenant_a.institution_id)
    released = client.post("/v1/privacy/requests:release-holds", headers=tenant_a.headers(Role.COMPLIANCE)).json()
    assert released == {"honoured": [held["id"]]}
    r = client.post(
        f"/v1/privacy/subjects/{borrower}/read",
        json={"fields": ["name"], "purpose": "collection"},
        headers=tenant_a.headers(Role.SUPERVISOR),
    )
    assert r.status_code == 403 and "erased" in r.json()["detail"]
    export = client.get(f"/v1/privacy/subjects/{borrower}/export", headers=tenant_a.headers(Role.BORROWER)).json()
    assert export["personal_data"] == {} and export["designated_contacts"] == []


def test_erasure_keeps_the_audit_chain_verifiable(
    client: TestClient, container: Container, tenant_a: Tenant, borrower: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.privacy.audit_helpers import run_verify

    r = client.post(
        f"/v1/privacy/subjects/{borrower}/deletion-requests", json={}, headers=tenant_a.headers(Role.BORROWER)
    )
    assert r.json()["status"] == "honoured"
    with container.engine.connect() as conn:
        wrapped = conn.execute(sa.text("SELECT wrapped_key FROM privacy_subjects")).scalar_one()
        assert wrapped is None
        assert conn.execute(sa.text("SELECT count(*) FROM privacy_fields")).scalar_one() == 0
    code, out = run_verify(container, monkeypatch)
    assert code == 0, out


def login(client: TestClient, username: str) -> None:
    r = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "next": "/privacy"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_pages_borrower_and_compliance(
    client: TestClient, container: Container, tenant_a: Tenant, borrower: str
) -> None:
    login(client, "lender-a-borrower")
    page = client.get("/privacy")
    assert page.status_code == 200 and "证件号码" in page.text and 'id="reads"' in page.text
    assert PERSON["id_number"] not in page.text  # the report lists what is held, not the values
    download = client.get("/privacy/export.json")
    assert download.json()["personal_data"]["mobile"] == PERSON["mobile"]
    consent = client.get(f"/v1/privacy/subjects/{borrower}/consents").json()[0]["consent_id"]
    assert client.post(f"/privacy/consents/{consent}/withdraw", follow_redirects=False).status_code == 303
    assert "withdrawn" in client.get("/privacy").text
    add_loan(container, tenant_a.institution_id, borrower, "10.00", "overdue")
    client.post("/privacy/deletion", follow_redirects=False)
    assert "held" in client.get("/privacy").text
    client.post("/logout")
    login(client, "lender-a-compliance")
    page = client.get("/privacy")
    assert page.status_code == 200 and borrower in page.text and "PIPL art. 47" in page.text
    report = client.get(f"/privacy/subjects?ref={borrower}")
    assert report.status_code == 200 and "user:lender-a-borrower" in report.text
