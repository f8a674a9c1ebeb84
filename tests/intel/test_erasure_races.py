"""Erasure racing a detection run being stored, on the lock order of the erasure port (platform/erasure.py:
privacy subjects by ref, then rings by id, then the audit chain head). On PostgreSQL a writer taking them
in another order deadlocks (one transaction aborted); on SQLite writers are serialised. Both databases."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lendguard.intel import service as intel_service_module
from lendguard.intel.redaction_model import REDACTED
from lendguard.intel.store import open_erasure_holds
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.privacy.wiring import rights
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import Tenant
from tests.intel.conftest import SMALL
from tests.intel.test_rerun import (
    ERASED,
    _decide,
    _detected_small,
    _document,
    _erase,
    _items,
    _load,
    _rings,
    _store_small,
)
from tests.privacy.test_rights_api import add_loan, set_loan_paid


def test_releasing_held_deletions_while_a_run_is_stored_does_not_deadlock(
    client: TestClient,
    container: Container,
    tenant_a: Tenant,
    tenant_b: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two held deletions are released in one batch while a run naming one of the two borrowers is being
    stored. The run share-locks B002's privacy row and then appends to the audit log; the release must not
    hold the audit chain head (taken for B900, released first) while it waits for B002's row: every
    writer takes privacy subjects (ref order), then rings (id order), then the chain head. Both commit,
    and B002's evidence in the stored ring ends redacted (PostgreSQL: a deadlock aborts one otherwise)."""
    _load(container, SMALL, tenant_a, tenant_b)
    compliance = tenant_a.users[Role.COMPLIANCE]
    inst = tenant_a.institution_id
    for subject in ("B900", ERASED):  # B900 names no ring; its request is released first (lower id)
        privacy_service(container).register_subject(compliance, subject, {"name": "王五"})
        add_loan(container, inst, subject, "500.00", "current")
        assert rights(container).request_deletion(compliance, subject)["status"] == "held"
    set_loan_paid(container, inst)
    config, rings = _detected_small()
    released: dict[str, Any] = {}
    started = threading.Barrier(2)

    def release() -> None:
        started.wait()
        try:
            released["ids"] = rights(container).release_holds(compliance)
        except Exception as exc:  # reported by the assertion below
            released["error"] = exc

    worker = threading.Thread(target=release)
    asked = container.erasers.erased

    def erased_then_race(conn: Any, institution_id: int, refs: Any) -> set[str]:
        answer = asked(conn, institution_id, refs)  # B002's row is share-locked from here to commit
        worker.start()
        started.wait()
        worker.join(1.0)  # the release erases B900, then waits for B002's row
        assert worker.is_alive()
        return answer

    monkeypatch.setattr(container.erasers, "erased", erased_then_race)
    with container.engine.begin() as conn:
        stored = _store_small(container, conn, inst, config, rings)
    worker.join(30)
    assert not worker.is_alive() and "error" not in released, released.get("error")
    assert len(released["ids"]) == 2
    [ring] = _rings(client, tenant_a)
    assert ring["run_id"] == stored.run_id
    assert {e["value"] for e in _items(_document(container, ring["id"]), ERASED)} == {REDACTED}


def test_dismissing_a_ring_with_held_erasures_while_a_run_is_stored(
    client: TestClient,
    container: Container,
    tenant_a: Tenant,
    tenant_b: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A confirmed ring holds B002's erased evidence; an analyst dismisses it (applying the held erasure)
    while the next run is being stored. No deadlock is possible: the dismissal locks the ring's row, then
    the audit chain head; the run share-locks privacy subjects, only key-share-locks the earlier ring
    (its carried decision's foreign key, which the dismissal's update does not conflict with) and takes
    the chain head last, so the only lock both want is the chain head, taken last by both. Whichever
    commits first, B002's evidence in the run's ring ends either redacted or held by an open hold of that
    ring: never stored in full without a hold."""
    _load(container, SMALL, tenant_a, tenant_b)
    [first] = _rings(client, tenant_a)
    _decide(client, tenant_a, int(first["id"]), "confirmed", "agent ring")
    [held] = _erase(container, tenant_a)["held_copies"]  # type: ignore[misc]
    assert held["object_id"] == str(first["id"])
    config, rings = _detected_small()
    stored: dict[str, Any] = {}

    def store() -> None:
        try:
            with container.engine.begin() as conn:
                stored["run"] = _store_small(container, conn, tenant_a.institution_id, config, rings)
        except Exception as exc:  # reported by the assertions below
            stored["error"] = exc

    worker = threading.Thread(target=store)
    apply = intel_service_module.apply_held_erasures

    def apply_while_a_run_is_stored(*args: Any) -> int:
        worker.start()
        worker.join(1.0)  # the run reads the decided rings, then waits for the chain head (or SQLite's lock)
        assert worker.is_alive()
        return apply(*args)

    monkeypatch.setattr(intel_service_module, "apply_held_erasures", apply_while_a_run_is_stored)
    _decide(client, tenant_a, int(first["id"]), "dismissed", "police declined")
    worker.join(30)
    assert not worker.is_alive() and "error" not in stored, stored.get("error")
    assert {e["value"] for e in _items(_document(container, first["id"]), ERASED)} == {REDACTED}
    [second] = _rings(client, tenant_a)
    assert second["run_id"] == stored["run"].run_id
    mine = _items(_document(container, second["id"]), ERASED)
    with container.engine.connect() as conn:
        holds = open_erasure_holds(conn, tenant_a.institution_id, subject_ref=ERASED, ring_id=int(second["id"]))
    assert mine and ({e["value"] for e in mine} == {REDACTED} or (holds and second["status"] == "confirmed"))
    report = rights(container).access_report(tenant_a.users[Role.COMPLIANCE], ERASED)["held_copies"]
    assert [h["object_id"] for h in report] == ([str(second["id"])] if holds else [])  # the first ring's: released
