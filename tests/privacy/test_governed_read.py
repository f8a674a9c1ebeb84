"""The governed read: role, necessity, consent and purpose, masking, audit of grants and denials."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import NotFound, Role
from lendguard.platform.store import event_log
from lendguard.privacy.service import AccessDenied, PrivacyService
from tests.conftest import Tenant
from tests.privacy.conftest import PERSON


def audit_actions(container: Container, institution_id: int) -> list[tuple[str, str | None]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(event_log.c.action, event_log.c.subject_ref)
            .where(event_log.c.institution_id == institution_id)
            .order_by(event_log.c.seq)
        )
        return [(r.action, r.subject_ref) for r in rows]


def test_supervisor_reads_in_full_and_the_read_is_audited(
    privacy: PrivacyService, tenant_a: Tenant, borrower: str, container: Container
) -> None:
    values = privacy.read(tenant_a.users[Role.SUPERVISOR], borrower, ["name", "mobile"], "collection")
    assert values == {"name": PERSON["name"], "mobile": PERSON["mobile"]}
    assert audit_actions(container, tenant_a.institution_id)[-1] == ("personal_data.read", borrower)


def test_collector_sees_masked_id_number_and_phone(privacy: PrivacyService, tenant_a: Tenant, borrower: str) -> None:
    values = privacy.read(tenant_a.users[Role.COLLECTOR], borrower, ["name", "mobile", "id_number"], "collection")
    assert values["name"] == PERSON["name"]
    assert values["mobile"] == "138****5678"
    assert values["id_number"] == "1101**********1234"


def test_unnecessary_field_is_refused_naming_the_rule(
    privacy: PrivacyService, tenant_a: Tenant, borrower: str, container: Container
) -> None:
    with pytest.raises(AccessDenied) as caught:
        privacy.read(tenant_a.users[Role.SUPERVISOR], borrower, ["bank_card"], "collection")
    assert "not necessary" in caught.value.reason and "PIPL art. 6" in str(caught.value.rule)
    assert audit_actions(container, tenant_a.institution_id)[-1] == ("personal_data.read_denied", borrower)


def test_role_without_the_purpose_is_refused(privacy: PrivacyService, tenant_a: Tenant, borrower: str) -> None:
    with pytest.raises(AccessDenied) as caught:
        privacy.read(tenant_a.users[Role.ANALYST], borrower, ["name"], "collection")
    assert "role" in caught.value.reason


def test_missing_consent_names_the_category(privacy: PrivacyService, tenant_a: Tenant, borrower: str) -> None:
    # credit_reporting was never consented to.
    with pytest.raises(AccessDenied) as caught:
        privacy.read(tenant_a.users[Role.COMPLIANCE], borrower, ["name"], "credit_reporting")
    assert "credit_reporting" in caught.value.reason


def test_sensitive_field_needs_separate_consent(
    privacy: PrivacyService, tenant_a: Tenant, borrower: str, container: Container
) -> None:
    consent = next(c for c in privacy.consents(tenant_a.users[Role.COMPLIANCE], borrower) if c["separate"])
    privacy.withdraw_consent(tenant_a.users[Role.COMPLIANCE], borrower, consent["consent_id"])
    with pytest.raises(AccessDenied) as caught:
        privacy.read(tenant_a.users[Role.SUPERVISOR], borrower, ["id_number"], "collection")
    assert "id_number" in caught.value.reason


def test_withdrawal_takes_effect_on_the_next_read(privacy: PrivacyService, tenant_a: Tenant, borrower: str) -> None:
    supervisor = tenant_a.users[Role.SUPERVISOR]
    assert privacy.read(supervisor, borrower, ["email"], "loan_servicing")
    for consent in privacy.consents(tenant_a.users[Role.BORROWER], borrower):
        privacy.withdraw_consent(tenant_a.users[Role.BORROWER], borrower, consent["consent_id"])
    with pytest.raises(AccessDenied) as caught:
        privacy.read(supervisor, borrower, ["email"], "loan_servicing")
    assert "no active consent" in caught.value.reason


def test_another_tenant_cannot_read_or_find_the_subject(
    privacy: PrivacyService, tenant_a: Tenant, tenant_b: Tenant, borrower: str
) -> None:
    with pytest.raises(NotFound):
        privacy.read(tenant_b.users[Role.SUPERVISOR], borrower, ["name"], "collection")
    assert privacy.lookup_subject(tenant_b.users[Role.SUPERVISOR], "mobile", PERSON["mobile"]) == []
    assert privacy.lookup_subject(tenant_a.users[Role.SUPERVISOR], "mobile", "+86 138-1234-5678") == [borrower]


def test_designated_contacts_need_consent_and_are_masked_for_collectors(
    privacy: PrivacyService, tenant_a: Tenant, borrower: str, container: Container
) -> None:
    contacts = privacy.designated_contacts(tenant_a.users[Role.COLLECTOR], borrower, "collection")
    assert [(c.contact_ref, c.name, c.phone) for c in contacts] == [("K1", "李四", "139****1111")]
    full = privacy.designated_contacts(tenant_a.users[Role.SUPERVISOR], borrower, "collection")
    assert full[0].phone == "13900001111"
    assert privacy.lookup_subject(tenant_a.institution_id, "contact_phone", "13900001111") == [borrower]
    with pytest.raises(AccessDenied, match=r"PIPL art\. 6\b"):
        privacy.designated_contacts(tenant_a.users[Role.COLLECTOR], borrower, "marketing")
    with pytest.raises(AccessDenied, match=r"PIPL art\. 51"):
        privacy.designated_contacts(tenant_a.users[Role.ANALYST], borrower, "collection")
    denied = [a for a, _ in audit_actions(container, tenant_a.institution_id)]
    assert denied[-2:] == ["designated_contacts.read_denied", "designated_contacts.read_denied"]


def test_personal_values_are_not_stored_in_clear(container: Container, borrower: str) -> None:
    with container.engine.connect() as conn:
        dump = " ".join(
            str(v)
            for table in ("privacy_fields", "privacy_contacts", "event_log")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
            for v in row
        )
    for value in (PERSON["mobile"], PERSON["id_number"], PERSON["name"], "13900001111", "李四"):
        assert value not in dump
