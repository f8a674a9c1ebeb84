"""The work-queue and blocked-attempts pages, as a logged-in collector and supervisor would see them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lendguard.platform.model import Role
from tests.conftest import TEST_PASSWORD, Tenant

from .test_workflow_api import attempt, open_case


def login(client: TestClient, tenant: Tenant, role: Role) -> None:
    r = client.post(
        "/login", data={"username": tenant.users[role].username, "password": TEST_PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303


def test_queue_and_blocked_pages(client: TestClient, tenant_a: Tenant, tenant_b: Tenant) -> None:
    case = open_case(client, tenant_a, "L0042", "B0042")
    assert attempt(client, tenant_a, case["id"], "2026-03-02T23:00:00+08:00", outcome="no_answer").status_code == 409
    login(client, tenant_a, Role.COLLECTOR)
    page = client.get("/collections")
    assert page.status_code == 200
    assert 'data-case="L0042"' in page.text and "allowed now" in page.text and 'id="pack">cn<' in page.text
    assert client.get("/collections/blocked").status_code == 403
    login(client, tenant_a, Role.SUPERVISOR)
    blocked = client.get("/collections/blocked")
    assert blocked.status_code == 200 and "cn.quiet_hours" in blocked.text and "L0042" in blocked.text
    login(client, tenant_b, Role.SUPERVISOR)
    other = client.get("/collections/blocked")
    assert "L0042" not in other.text and "No blocked attempts." in other.text
    assert "L0042" not in client.get("/collections").text


def test_pages_need_a_login(client: TestClient) -> None:
    r = client.get("/collections", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
