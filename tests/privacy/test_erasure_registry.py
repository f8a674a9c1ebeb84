"""Privacy's deletion calls the erasers other capabilities registered (platform/erasure.py): inside the
erasure's transaction, only when the deletion is honoured, and their holds show in the deletion response
and the access report (both databases)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.bootstrap import Container
from lendguard.platform.erasure import (
    BANK_CARD,
    EMAIL,
    ID_NUMBER,
    PERSON_NAME,
    PHONE,
    ErasureHold,
    ErasureOutcome,
    ErasureRegistry,
    ErasureSubject,
)
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from lendguard.privacy.rights import RightsService
from lendguard.privacy.wiring import rights
from tests.conftest import TEST_PASSWORD, Tenant
from tests.privacy.conftest import PERSON
from tests.privacy.test_rights_api import add_loan, set_loan_paid

REASON = "kept for a criminal investigation (PIPL art. 47 para. 2)"


@dataclass
class FakeEraser:
    """An eraser that records its calls and holds every subject it is asked to erase."""

    name: str = "fake"
    fail: bool = False
    calls: list[tuple[int, str]] = field(default_factory=list)
    held: dict[tuple[int, str], ErasureHold] = field(default_factory=dict)
    identifiers: list[dict[str, frozenset[str]]] = field(default_factory=list)

    def erase(
        self, conn: Connection, institution_id: int, subjects: Sequence[ErasureSubject], actor: str, now: datetime
    ) -> list[ErasureOutcome]:
        outcomes = []
        for subject in subjects:
            self.calls.append((institution_id, subject.ref))
            self.identifiers.append(dict(subject.identifiers))
            if self.fail:
                raise RuntimeError("eraser failed")
            hold = ErasureHold(self.name, "thing", "7", REASON, now)
            self.held[(institution_id, subject.ref)] = hold
            event = AuditEvent(actor, "fake.erasure_held", subject.ref, "thing", "7")
            outcomes.append(ErasureOutcome(self.name, redacted=2, held=(hold,), events=(event,)))
        return outcomes

    def holds(self, conn: Connection, institution_id: int, subject_ref: str) -> list[ErasureHold]:
        found = self.held.get((institution_id, subject_ref))
        return [found] if found else []


def _rights(container: Container, eraser: FakeEraser) -> RightsService:
    base = rights(container)
    return RightsService(base.privacy, base.lending, ErasureRegistry([eraser]))


def _wrapped_key(container: Container, subject: str) -> Any:
    with container.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT wrapped_key FROM privacy_subjects WHERE subject_ref = :s"), {"s": subject}
        ).scalar_one()


def test_honoured_deletion_runs_the_erasers_and_reports_their_holds(
    container: Container, tenant_a: Tenant, borrower: str
) -> None:
    eraser = FakeEraser()
    service = _rights(container, eraser)
    compliance = tenant_a.users[Role.COMPLIANCE]
    response = service.request_deletion(compliance, borrower, "letter")
    assert eraser.calls == [(tenant_a.institution_id, borrower)]
    assert response["status"] == "honoured"
    assert [(h["capability"], h["reason"]) for h in response["held_copies"]] == [("fake", REASON)]
    assert json.loads(response["detail"])["derived_copies"][0]["redacted"] == 2
    assert _wrapped_key(container, borrower) is None  # privacy's own copy is still shredded
    report = service.access_report(compliance, borrower)
    assert [(h["object_type"], h["object_id"], h["reason"]) for h in report["held_copies"]] == [("thing", "7", REASON)]


def test_erasers_are_given_the_identifiers_being_shredded_which_are_recorded_nowhere(
    container: Container, tenant_a: Tenant, borrower: str
) -> None:
    """The eraser sees the registered phone, e-mail, id and card numbers and the name (designated
    contacts' phones are not the subject's); its audit entries are appended after it ran, and no stored
    row or audit entry holds the identifiers: only the subject's ref."""
    eraser = FakeEraser()
    _rights(container, eraser).request_deletion(tenant_a.users[Role.COMPLIANCE], borrower, "letter")
    assert eraser.identifiers == [
        {
            PHONE: frozenset({PERSON["mobile"]}),
            EMAIL: frozenset({PERSON["email"]}),
            ID_NUMBER: frozenset({PERSON["id_number"]}),
            BANK_CARD: frozenset({PERSON["bank_card"]}),
            PERSON_NAME: frozenset({PERSON["name"]}),
        }
    ]
    assert PERSON["mobile"] not in repr(ErasureSubject(borrower, eraser.identifiers[0]))
    with container.engine.connect() as conn:
        entries = conn.execute(sa.select(event_log).order_by(event_log.c.seq)).mappings().all()
        requests = conn.execute(sa.text("SELECT detail FROM privacy_requests")).scalars().all()
    actions = [e["action"] for e in entries]
    # the eraser's entry is appended with privacy's own, after every eraser ran, before the request's
    assert actions[-3:] == ["personal_data.erased", "fake.erasure_held", "rights.deletion"]
    stored = json.dumps([dict(e) for e in entries], default=str) + json.dumps(requests)
    for value in (*(PERSON[f] for f in ("mobile", "email", "id_number", "bank_card", "name")), "13900001111"):
        assert value not in stored


def test_a_failing_eraser_rolls_the_whole_erasure_back(container: Container, tenant_a: Tenant, borrower: str) -> None:
    service = _rights(container, FakeEraser(fail=True))
    with pytest.raises(RuntimeError):
        service.request_deletion(tenant_a.users[Role.COMPLIANCE], borrower)
    assert _wrapped_key(container, borrower) is not None  # no half-done erasure: the key is still there
    assert service.requests(tenant_a.users[Role.COMPLIANCE], borrower) == []


def test_held_deletion_reaches_derived_copies_only_when_the_hold_is_released(
    container: Container, tenant_a: Tenant, borrower: str
) -> None:
    eraser = FakeEraser()
    service = _rights(container, eraser)
    compliance = tenant_a.users[Role.COMPLIANCE]
    add_loan(container, tenant_a.institution_id, borrower, "800.00", "current")
    response = service.request_deletion(compliance, borrower, "phone")
    assert response["status"] == "held" and response["held_copies"] == [] and eraser.calls == []
    set_loan_paid(container, tenant_a.institution_id)
    assert service.release_holds(compliance) == [response["id"]]
    assert eraser.calls == [(tenant_a.institution_id, borrower)]
    with container.engine.connect() as conn:
        detail = conn.execute(
            sa.select(event_log.c.detail).where(event_log.c.action == "rights.hold_released")
        ).scalar_one()
    assert json.loads(detail)["derived_copies"][0]["held"][0]["reason"] == REASON


def test_the_container_wires_the_registry_into_rights(container: Container) -> None:
    assert rights(container).erasers is container.erasers and "intel" in container.erasers.names


def test_the_borrowers_page_shows_copies_held_after_their_deletion(
    client: TestClient, container: Container, tenant_a: Tenant, borrower: str
) -> None:
    container.erasers.register(FakeEraser())  # registered on this container only, as a wiring would
    login = {"username": tenant_a.users[Role.BORROWER].username, "password": TEST_PASSWORD}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    assert 'id="held-copies"' not in client.get("/privacy").text
    assert client.post("/privacy/deletion", follow_redirects=False).status_code in (200, 303)
    page = client.get("/privacy")
    assert page.status_code == 200 and 'id="held-copies"' in page.text and REASON in page.text
