"""Fixtures of the privacy tests: a tenant with one borrower whose personal data and consents are stored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.privacy.service import PrivacyService
from lendguard.privacy.wiring import service
from tests.conftest import EPOCH, Tenant

SUBJECT = "lender-a-B0001"  # the borrower user of tenant_a (see tests/conftest.make_tenant)
PERSON = {
    "name": "张三",
    "id_type": "resident_id",
    "id_number": "110101199003071234",
    "id_validity": "2035-01-01",
    "mobile": "13812345678",
    "email": "zhang.san@example.cn",
    "address": "北京市东城区某街1号",
    "bank_card": "6222020200112233445",
}
CONTACTS = [
    {"contact_ref": "K1", "name": "李四", "phone": "13900001111", "relation": "spouse", "consented_at": EPOCH},
]


@pytest.fixture
def privacy(container: Container) -> PrivacyService:
    return service(container)


@pytest.fixture
def borrower(privacy: PrivacyService, tenant_a: Tenant) -> str:
    """SUBJECT with personal data, a designated contact and consents for servicing and collection."""
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy.register_subject(compliance, SUBJECT, PERSON, CONTACTS)
    privacy.give_consent(
        compliance,
        SUBJECT,
        purposes=["loan_servicing", "collection"],
        categories=["name", "mobile", "email", "address", "designated_contacts"],
        method="app_checkbox",
        notice_version="2026-01",
        expires_at=EPOCH + timedelta(days=365),
    )
    privacy.give_consent(
        compliance,
        SUBJECT,
        purposes=["collection", "identity_verification"],
        categories=["id_number", "name", "mobile", "id_type", "id_validity"],
        method="app_separate_dialog",
        notice_version="2026-01",
        separate=True,
    )
    return SUBJECT
