"""Privacy reads that write nothing never wait for a writer: on SQLite they take no write lock (a plain
BEGIN, not the writers' BEGIN IMMEDIATE). Audited personal-data reads are not among them: their audit
entry is a write and keeps the write transaction."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import institutions
from lendguard.privacy.crypto import KeyRing
from lendguard.privacy.keys import RotationResult, rotate
from lendguard.privacy.service import PrivacyService
from lendguard.privacy.wiring import rights
from tests.conftest import Tenant
from tests.platform.test_read_locks import finishes_while_a_writer_holds_its_transaction


def test_a_subjects_consent_ledger_is_read_without_waiting_for_a_writer(
    container: Container, privacy: PrivacyService, tenant_a: Tenant, borrower: str
) -> None:
    compliance = tenant_a.users[Role.COMPLIANCE]
    ledger = finishes_while_a_writer_holds_its_transaction(container, lambda: privacy.consents(compliance, borrower))
    assert len(ledger) == 2 and all(c["receipt"] for c in ledger)


def test_rights_requests_are_listed_without_waiting_for_a_writer(
    container: Container, tenant_a: Tenant, borrower: str
) -> None:
    compliance = tenant_a.users[Role.COMPLIANCE]
    service = rights(container)
    service.correct(compliance, borrower, {"email": "zhang.san@example.org"}, channel="phone")
    listed = finishes_while_a_writer_holds_its_transaction(container, lambda: service.requests(compliance, borrower))
    assert [(r["kind"], r["status"]) for r in listed] == [("correction", "honoured")]


def test_key_rotation_counts_the_remaining_keys_without_waiting_for_a_writer(
    container: Container, tenant_a: Tenant, borrower: str
) -> None:
    """The re-wrap batches write; the closing count of keys per master key only reads, so a writer that
    takes the lock after the last batch does not hold it up."""
    security = container.settings.security
    ring = KeyRing("the-new-master-key", security.index_key.reveal(), security.master_key.reveal())
    last_batch_done, writer_holds = threading.Event(), threading.Event()

    def after_batch(rows: int) -> None:
        if rows < 500:  # the last batch: rotate reads the counts next
            last_batch_done.set()
            writer_holds.wait(10)

    found: list[RotationResult] = []
    rotation = threading.Thread(
        target=lambda: found.append(rotate(container.engine, ring, container.audit, container.clock, 500, after_batch)),
        daemon=True,
    )
    rotation.start()
    assert last_batch_done.wait(10)
    with container.engine.begin() as writer:  # SQLite: BEGIN IMMEDIATE, the database's write lock
        writer.execute(sa.update(institutions).values(name=institutions.c.name))
        writer_holds.set()
        rotation.join(10)  # the busy timeout is 30 s: a read that queued for the lock would still wait
        assert not rotation.is_alive(), "the count waited for the writer"
    assert found == [RotationResult(rewrapped=1, remaining_old=0, unknown={})]
