"""Collections reads never wait for a writer: on SQLite they take no write lock (a plain BEGIN, not the
writers' BEGIN IMMEDIATE), so a case page or the policy is not queued behind a write elsewhere."""

from __future__ import annotations

import pytest

from lendguard.collections.screening.wiring import service as screening_service
from lendguard.collections.service import CollectionsService
from lendguard.collections.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.collections.helpers import cn_scenario
from tests.conftest import EPOCH, Tenant
from tests.platform.test_read_locks import finishes_while_a_writer_holds_its_transaction


def open_case(container: Container, tenant: Tenant) -> tuple[CollectionsService, int]:
    """The collections service and the id of one open case assigned to the tenant's collector."""
    svc = service(container)
    row = {
        "ref": "L0001",
        "borrower_ref": "B0001",
        "days_past_due": 40,
        "stage": "M2",
        "status": "open",
        "collector": tenant.users[Role.COLLECTOR].username,
        "timezones": "Asia/Shanghai",
        "flags": {},
        "opened_at": EPOCH,
        "updated_at": EPOCH,
    }
    with container.engine.begin() as conn:
        svc.import_cases(conn, tenant.institution_id, [row])
    return svc, int(svc.cases(tenant.users[Role.SUPERVISOR])[0]["id"])


def test_case_list_and_case_reads_do_not_wait_for_a_writer(container: Container, tenant_a: Tenant) -> None:
    svc, case_id = open_case(container, tenant_a)
    supervisor = tenant_a.users[Role.SUPERVISOR]
    listed, case = finishes_while_a_writer_holds_its_transaction(
        container, lambda: (svc.cases(supervisor), svc.case(supervisor, case_id))
    )
    assert [c["ref"] for c in listed] == ["L0001"] and case["ref"] == "L0001" and case["events"] == []


def test_policy_and_blocked_attempt_reads_do_not_wait_for_a_writer(container: Container, tenant_a: Tenant) -> None:
    svc = service(container)
    supervisor = tenant_a.users[Role.SUPERVISOR]
    policy, blocked = finishes_while_a_writer_holds_its_transaction(
        container, lambda: (svc.policy(supervisor), svc.blocked_attempts(supervisor))
    )
    assert policy["pack"] == "cn" and blocked == []


def test_a_scenario_check_with_the_institutions_pack_does_not_wait_for_a_writer(
    container: Container, tenant_a: Tenant
) -> None:
    svc = service(container)
    compliance = tenant_a.users[Role.COMPLIANCE]
    decisions = finishes_while_a_writer_holds_its_transaction(
        container, lambda: svc.check_scenarios(compliance, cn_scenario("2026-03-02T10:00:00+08:00"))
    )
    assert len(decisions) == 1 and decisions[0]["decision"] in ("allow", "warn", "block")


def test_the_case_read_before_designated_contacts_does_not_wait_for_a_writer(
    container: Container, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, case_id = open_case(container, tenant_a)
    asked: list[str] = []
    # the privacy capability's governed read is audited (a write of its own): stand it in here
    monkeypatch.setattr(svc, "_designated", lambda _p, borrower_ref, _purpose: asked.append(borrower_ref) or [])
    col = tenant_a.users[Role.COLLECTOR]
    contacts = finishes_while_a_writer_holds_its_transaction(container, lambda: svc.designated_contacts(col, case_id))
    assert contacts == []
    assert asked == ["B0001"]


def test_the_institutions_screening_terms_are_read_without_waiting_for_a_writer(
    container: Container, tenant_a: Tenant
) -> None:
    screening = screening_service(container)
    compliance = tenant_a.users[Role.COMPLIANCE]
    screening.add_term(compliance, "threat", "pay or else")
    terms = finishes_while_a_writer_holds_its_transaction(container, lambda: screening.terms(compliance))
    assert [t["term"] for t in terms] == ["pay or else"]
