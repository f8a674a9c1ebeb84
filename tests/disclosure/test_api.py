"""The /v1/disclosure API, the scan over the loan book (tenant-scoped, audited) and the HTMX page."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.disclosure.periods import Frequency, payment_dates
from lendguard.disclosure.wiring import service as disclosure_service
from lendguard.lending.wiring import service as lending_service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from tests.conftest import TEST_PASSWORD, Tenant

MIS_SOLD = json.loads((Path(__file__).parent / "data" / "mis_sold_offer.json").read_text(encoding="utf-8"))


def add_loan(
    container: Container, tenant: Tenant, ref: str, principal: str, payment: str, count: int, fee: str = "0"
) -> None:
    """A level-payment monthly loan disbursed 2026-01-15 with its instalments (interest split omitted)."""
    loan = {
        "ref": ref,
        "borrower_ref": f"{tenant.code}-B0001",
        "product": "cash",
        "principal": Decimal(principal),
        "nominal_rate": Decimal("0.1"),
        "instalment_count": count,
        "frequency": "monthly",
        "disbursed_at": datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        "upfront_fee": Decimal(fee),
        "fee_per_period": Decimal(0),
        "status": "current",
        "days_past_due": 0,
        "stage": "current",
        "outstanding": Decimal(principal),
    }
    dues = payment_dates(date(2026, 2, 15), count, Frequency.MONTHLY)
    instalments = [
        {
            "loan_ref": ref,
            "seq": n + 1,
            "due_date": due,
            "principal_due": Decimal(payment),
            "interest_due": Decimal(0),
            "fee_due": Decimal(0),
            "paid_amount": Decimal(0),
            "paid_at": None,
        }
        for n, due in enumerate(dues)
    ]
    with container.engine.begin() as conn:
        lending_service(container).import_rows(conn, tenant.institution_id, loans=[loan], instalments=instalments)


def test_rate_endpoint(client: TestClient, tenant_a: Tenant) -> None:
    body = {"principal": "29000", "payment": "1524", "count": 24, "frequency": "monthly"}
    response = client.post("/v1/disclosure/rate", json=body, headers=tenant_a.headers(Role.BORROWER))
    assert response.status_code == 200, response.text
    assert response.json()["apr_pct"] == "23.36"
    flows = {"dated_flows": [{"date": "2025-01-01", "amount": "-1000"}, {"date": "2026-01-01", "amount": "1100"}]}
    assert (
        client.post("/v1/disclosure/rate", json=flows, headers=tenant_a.headers(Role.BORROWER)).json()["apr_pct"]
        == "10.00"
    )


def test_rate_endpoint_rejects_bad_input_and_anonymous_callers(client: TestClient, tenant_a: Tenant) -> None:
    bad = client.post(
        "/v1/disclosure/rate", json={"principal": "100", "payment": "10"}, headers=tenant_a.headers(Role.BORROWER)
    )
    assert bad.status_code == 422 and "count" in bad.text
    no_rate = {"dated_flows": [{"date": "2025-01-01", "amount": "10"}, {"date": "2026-01-01", "amount": "10"}]}
    refused = client.post("/v1/disclosure/rate", json=no_rate, headers=tenant_a.headers(Role.BORROWER))
    assert refused.status_code == 422 and "never change sign" in refused.text
    assert client.post("/v1/disclosure/rate", json={"principal": "1"}).status_code == 401


def test_check_endpoint(client: TestClient, tenant_a: Tenant) -> None:
    response = client.post("/v1/disclosure/check", json=MIS_SOLD, headers=tenant_a.headers(Role.COMPLIANCE))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["lines_crossed"] == ["4xLPR"]
    assert {f["code"] for f in report["findings"]} >= {"instalment_count", "interest_free_charged"}
    broken = {**MIS_SOLD, "contract_date": "someday"}
    response = client.post("/v1/disclosure/check", json=broken, headers=tenant_a.headers(Role.COMPLIANCE))
    assert response.status_code == 422 and "contract_date" in response.text


def test_scan_sees_only_my_institutions_loans(
    client: TestClient, container: Container, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    add_loan(container, tenant_a, "A-EXPENSIVE", "1200", "125", 12)  # about 42 %
    add_loan(container, tenant_a, "A-FREE", "1200", "100", 12)  # 0 %
    add_loan(container, tenant_b, "B-FEE", "1200", "100", 12, fee="100")  # about 16 %: 4 × LPR only
    a = client.post("/v1/disclosure/scan", headers=tenant_a.headers(Role.COMPLIANCE)).json()
    b = client.post("/v1/disclosure/scan", headers=tenant_b.headers(Role.COMPLIANCE)).json()
    assert a["loans"] == 2 and b["loans"] == 1
    assert [row["loan_ref"] for row in a["loans_above"]] == ["A-EXPENSIVE"]
    assert a["above"] == {"24%": 1, "36%": 1, "4xLPR": 1}
    assert [row["loan_ref"] for row in b["loans_above"]] == ["B-FEE"]
    assert b["loans_above"][0]["lines"] == ["4xLPR"]
    assert "A-EXPENSIVE" not in json.dumps(b)


def test_scan_requires_a_staff_role_and_is_audited(client: TestClient, container: Container, tenant_a: Tenant) -> None:
    add_loan(container, tenant_a, "A-1", "1000", "100", 12)
    assert client.post("/v1/disclosure/scan", headers=tenant_a.headers(Role.BORROWER)).status_code == 403
    assert client.post("/v1/disclosure/scan", headers=tenant_a.headers(Role.COMPLIANCE)).status_code == 200
    with container.engine.connect() as conn:
        rows = conn.execute(sa.select(event_log.c.institution_id).where(event_log.c.action == "disclosure.scan")).all()
    assert [r.institution_id for r in rows] == [tenant_a.institution_id]


def test_system_scan_pages_through_the_loan_book(container: Container, tenant_a: Tenant) -> None:
    for n in range(3):
        add_loan(container, tenant_a, f"A-{n}", "1000", str(80 + 20 * n), 12)  # repays 960, 1,200, 1,440
    pages: list[int] = []
    rows = disclosure_service(container).scan_institution(tenant_a.institution_id, pages.append)
    assert sum(pages) == 3
    assert [r.loan_ref for r in rows] == ["A-0", "A-1", "A-2"]
    aprs = [r.apr for r in rows]
    assert None not in aprs
    assert aprs[0] < 0 < aprs[1] < aprs[2]  # type: ignore[operator]


def login(client: TestClient, tenant: Tenant, role: Role) -> None:
    response = client.post(
        "/login", data={"username": f"{tenant.code}-{role.value}", "password": TEST_PASSWORD}, follow_redirects=False
    )
    assert response.status_code in (302, 303)


def test_page_computes_the_rate(client: TestClient, tenant_a: Tenant) -> None:
    assert client.get("/disclosure", follow_redirects=False).status_code == 303
    login(client, tenant_a, Role.BORROWER)
    page = client.get("/disclosure")
    assert page.status_code == 200 and 'hx-post="/disclosure/rate"' in page.text
    form: dict[str, Any] = {"principal": "29000", "payment": "1524", "count": "24", "frequency": "monthly"}
    fragment = client.post("/disclosure/rate", data=form, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="apr-pct">23.36 %' in fragment.text
    pasted = client.post("/disclosure/rate", data={"flows": "date,amount\n2025-01-01,-1000\n2026-01-01,1100"})
    assert 'id="apr-pct">10.00 %' in pasted.text
    bad = client.post("/disclosure/rate", data={"flows": "date,amount\n2025-01-01,-1000\n2026-01-01,lots"})
    assert bad.status_code == 200 and "line 3" in bad.text and 'id="rate-error"' in bad.text


def test_page_checks_a_pasted_offer(client: TestClient, tenant_a: Tenant) -> None:
    login(client, tenant_a, Role.COMPLIANCE)
    fragment = client.post("/disclosure/check", data={"offer": json.dumps(MIS_SOLD)})
    assert fragment.status_code == 200
    assert 'id="check-apr">23.36 %' in fragment.text
    assert "number of instalments differs" in fragment.text
    assert fragment.text.count('class="block">yes') == 1  # only the 4 × LPR line
    bad = client.post("/disclosure/check", data={"offer": '{"principal": "1"'})
    assert 'id="check-error"' in bad.text and "invalid JSON" in bad.text
    missing = client.post("/disclosure/check", data={"offer": json.dumps({**MIS_SOLD, "schedule": []})})
    assert 'id="check-error"' in missing.text and "schedule" in missing.text


def test_cli_scan_of_the_database(
    container: Container, tenant_a: Tenant, tenant_b: Tenant, db_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    from typer.testing import CliRunner

    from tests.disclosure.test_cli import cli_root

    add_loan(container, tenant_a, "A-EXPENSIVE", "1200", "125", 12)
    add_loan(container, tenant_b, "B-EXPENSIVE", "1200", "125", 12)
    monkeypatch.setenv("LENDGUARD_DATABASE_URL", db_url)
    out = tmp_path / "scan.json"
    result = CliRunner().invoke(cli_root(), ["disclosure", "scan", "--institution", tenant_a.code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [row["loan_ref"] for row in report["loans_above"]] == ["A-EXPENSIVE"]
    unknown = CliRunner().invoke(cli_root(), ["disclosure", "scan", "--institution", "nope", "--out", str(out)])
    assert unknown.exit_code == 2 and "--institution" in unknown.output
