"""Designated contacts come only from the privacy capability (borrower-named, consented), scoped and masked."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import EPOCH, Tenant

from .test_workflow_api import open_case

PERSON = {"name": "张三", "mobile": "13812345678"}
CONTACTS = [{"contact_ref": "K1", "name": "李四", "phone": "13900001111", "relation": "spouse", "consented_at": EPOCH}]


def test_case_lists_the_borrowers_named_contacts_through_privacy(
    client: TestClient, container: Container, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    privacy = privacy_service(container)
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy.register_subject(compliance, "B0001", PERSON, CONTACTS)
    case = open_case(client, tenant_a, "L0001", "B0001")
    url = f"/v1/collections/cases/{case['id']}/designated-contacts"
    # Without a consent covering designated contacts the privacy service refuses (403), naming why.
    refused = client.get(url, headers=tenant_a.headers(Role.COLLECTOR))
    assert refused.status_code == 403
    privacy.give_consent(
        compliance,
        "B0001",
        purposes=["collection"],
        categories=["name", "mobile", "designated_contacts"],
        method="app_checkbox",
        notice_version="2026-01",
        expires_at=EPOCH + timedelta(days=365),
    )
    masked = client.get(url, headers=tenant_a.headers(Role.COLLECTOR)).json()
    assert [(c["contact_ref"], c["relation"], c["phone"]) for c in masked] == [("K1", "spouse", "139****1111")]
    assert client.get(url, headers=tenant_b.headers(Role.COLLECTOR)).status_code == 404
