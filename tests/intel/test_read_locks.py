"""Ring lists and detection runs are read without waiting for a writer: on SQLite they take no write lock
(a plain BEGIN, not the writers' BEGIN IMMEDIATE). A ring's evidence is not among them: its read is
audited, and the audit entry is a write."""

from __future__ import annotations

from lendguard.intel.wiring import service
from lendguard.intel.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import Tenant
from tests.intel.conftest import SMALL
from tests.platform.test_read_locks import finishes_while_a_writer_holds_its_transaction


def test_ring_summaries_and_runs_are_read_without_waiting_for_a_writer(container: Container, tenant_a: Tenant) -> None:
    load(container, SMALL, {"L01": tenant_a.institution_id}, False)
    intel = service(container)
    analyst = tenant_a.users[Role.ANALYST]
    rings, runs = finishes_while_a_writer_holds_its_transaction(
        container, lambda: (intel.rings(analyst), intel.runs(analyst))
    )
    assert len(rings) == 1 and rings[0]["status"] == "open"
    assert len(runs) == 1 and runs[0]["ring_count"] == 1
