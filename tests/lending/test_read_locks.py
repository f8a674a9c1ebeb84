"""Loan-book reads never wait for a writer: on SQLite they take no write lock (a plain BEGIN, not the
writers' BEGIN IMMEDIATE), so an overview or a loan page is not queued behind a write elsewhere."""

from __future__ import annotations

from lendguard.lending.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import Tenant
from tests.disclosure.test_api import add_loan
from tests.platform.test_read_locks import finishes_while_a_writer_holds_its_transaction


def test_the_overview_loans_and_a_loan_are_read_without_waiting_for_a_writer(
    container: Container, tenant_a: Tenant
) -> None:
    add_loan(container, tenant_a, "L1", "1200", "105", 12)
    lending = service(container)
    analyst = tenant_a.users[Role.ANALYST]
    loan_id = int(lending.loans(analyst)[0]["id"])
    overview, loans, loan = finishes_while_a_writer_holds_its_transaction(
        container, lambda: (lending.overview(analyst), lending.loans(analyst), lending.loan(analyst, loan_id))
    )
    assert overview["loans_by_stage"] == {"current": 1}
    assert [row["ref"] for row in loans] == ["L1"] and len(loan["schedule"]) == 12
