"""The portfolio scan's read of the loan book never waits for a writer: on SQLite it takes no write lock
(a plain BEGIN, not the writers' BEGIN IMMEDIATE), and a long scan does not hold writers back either."""

from __future__ import annotations

from lendguard.disclosure.wiring import service
from lendguard.platform.bootstrap import Container
from tests.conftest import Tenant
from tests.disclosure.test_api import add_loan
from tests.platform.test_read_locks import finishes_while_a_writer_holds_its_transaction


def test_an_institution_scan_reads_the_loan_book_without_waiting_for_a_writer(
    container: Container, tenant_a: Tenant
) -> None:
    add_loan(container, tenant_a, "L1", "1200", "105", 12)
    disclosure = service(container)
    rows = finishes_while_a_writer_holds_its_transaction(
        container, lambda: disclosure.scan_institution(tenant_a.institution_id)
    )
    assert [row.loan_ref for row in rows] == ["L1"]
