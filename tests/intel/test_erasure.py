"""Erasing a borrower reaches their ring evidence: redacted in open rings, held with the legal reason in
confirmed ones (applied on dismissal), audited, shown in the access report, other tenants untouched
(both databases)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.intel.evidence_model import note_digest
from lendguard.intel.redaction_model import (
    NOTE_REDACTED,
    REDACTED,
    contacts,
    note_pattern,
    redact_note,
    redact_subject,
)
from lendguard.intel.store import IntelRepository, intel_erasure_holds, intel_rings
from lendguard.intel.wiring import service as intel_service
from lendguard.intel.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.erasure import ErasureRegistry, ErasureSubject
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from lendguard.privacy.wiring import rights
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import TEST_PASSWORD, Tenant
from tests.intel.conftest import SMALL

SUBJECT = "B001"
AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def ring_a(client: TestClient, container: Container, tenant_a: Tenant, tenant_b: Tenant) -> int:
    """The small world's ring at lender A (members B001, B002, B005), with B001 a privacy subject."""
    return load_ring_a(client, container, tenant_a, tenant_b)


def load_ring_a(client: TestClient, container: Container, tenant_a: Tenant, tenant_b: Tenant) -> int:
    """Load the small world for lenders A and B; lender A's ring id (B001 registered with privacy)."""
    load(container, SMALL, {"L01": tenant_a.institution_id, "L02": tenant_b.institution_id}, False)
    [ring] = client.get("/v1/intel/rings", headers=tenant_a.headers(Role.ANALYST)).json()
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy_service(container).register_subject(compliance, SUBJECT, {"name": "张三", "mobile": "13811110001"})
    return int(ring["id"])


def _document(container: Container, ring_id: int) -> dict[str, Any]:
    with container.engine.connect() as conn:
        doc = conn.execute(sa.select(intel_rings.c.document).where(intel_rings.c.id == ring_id)).scalar_one()
    return dict(doc)


def _items(doc: dict[str, Any], borrower: str | None = None) -> list[dict[str, Any]]:
    return [e for s in doc["signals"] for e in s["evidence"] if borrower is None or e.get("borrower_id") == borrower]


def _only_theirs(doc: dict[str, Any], borrower: str) -> set[str]:
    others = {e["value"] for e in _items(doc) if e.get("borrower_id") != borrower}
    return {e["value"] for e in _items(doc, borrower)} - others


def _events(container: Container, institution_id: int, action: str) -> list[dict[str, Any]]:
    with container.engine.connect() as conn:
        query = sa.select(event_log).where(event_log.c.institution_id == institution_id, event_log.c.action == action)
        return [dict(r) for r in conn.execute(query.order_by(event_log.c.seq)).mappings()]


def _delete(container: Container, tenant: Tenant, subject: str = SUBJECT) -> dict[str, Any]:
    return rights(container).request_deletion(tenant.users[Role.COMPLIANCE], subject, "phone")


# -- pure redaction ----------------------------------------------------------------------------------


def test_redaction_drops_only_indicators_the_subject_alone_carried() -> None:
    doc: dict[str, Any] = {
        "borrowers": ["B1", "B2"],
        "indicators": [
            {"kind": "phone", "value": "17012345678"},  # shared by both: kept
            {"kind": "email", "value": "b1@x.cn"},  # only B1's: dropped
            {"kind": "segment", "value": "1709999"},  # only B1's number starts with it: dropped
            {"kind": "template", "value": "B1 text"},  # shown by B1's text: shown by B2's instead
        ],
        "signals": [
            {
                "name": "shared_contact",
                "evidence": [
                    {
                        "file": "c.csv",
                        "row_id": "C1",
                        "field": "contact_phone",
                        "value": "17012345678",
                        "borrower_id": "B1",
                    },
                    {
                        "file": "c.csv",
                        "row_id": "C2",
                        "field": "contact_phone",
                        "value": "17012345678",
                        "borrower_id": "B2",
                    },
                    {
                        "file": "c.csv",
                        "row_id": "C1",
                        "field": "contact_email",
                        "value": "b1@x.cn",
                        "borrower_id": "B1",
                    },
                    {
                        "file": "p.csv",
                        "row_id": "P1",
                        "field": "new_phone",
                        "value": "17099990001",
                        "borrower_id": "B1",
                    },
                ],
            },
            {
                "name": "template",
                "evidence": [
                    {"file": "c.csv", "row_id": "C1", "field": "text", "value": "B1 text", "borrower_id": "B1"},
                    {"file": "c.csv", "row_id": "C2", "field": "text", "value": "B2 text", "borrower_id": "B2"},
                ],
            },
        ],
        "links": {
            "B1": ["17012345678", "17099990001", "B1 text", "b1@x.cn"],
            "B2": ["17012345678", "B1 text", "B2 text"],
        },
    }
    redacted, count = redact_subject(doc, "B1", AT)
    assert count == 4
    assert redacted["indicators"] == [
        {"kind": "phone", "value": "17012345678"},
        {"kind": "template", "value": "B2 text"},
    ]
    b1 = _items(redacted, "B1")
    assert {e["value"] for e in b1} == {REDACTED} and all(e["redacted"]["at"] == AT.isoformat() for e in b1)
    assert [(e["row_id"], e["field"]) for e in b1] == [
        ("C1", "contact_phone"),
        ("C1", "contact_email"),
        ("P1", "new_phone"),
        ("C1", "text"),
    ]
    assert _items(redacted, "B2") == _items(doc, "B2")  # the other member untouched
    # B1 stays linked to what other members share (the template now shown by B2's text); ring_view lists
    # the template's text under every member who used it, so B1's text goes from B2's links too
    assert redacted["links"] == {"B1": ["17012345678", "B2 text"], "B2": ["17012345678", "B2 text"]}
    for secret in ("b1@x.cn", "17099990001", "B1 text"):
        assert secret not in json.dumps(redacted)
    assert doc["indicators"][1]["value"] == "b1@x.cn"  # the input is not modified
    again, count_again = redact_subject(redacted, "B1", AT)
    assert count_again == 0 and again == redacted  # idempotent


def test_intel_registers_its_eraser_on_the_container(container: Container) -> None:
    assert container.erasers.names == ["intel"]
    with pytest.raises(ValueError, match="already registered"):
        container.erasers.register(container.erasers._erasers[0])


# -- through privacy's deletion ------------------------------------------------------------------------


def test_erasure_redacts_the_borrowers_evidence_in_an_open_ring(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    before = _document(container, ring_a)
    secrets = _only_theirs(before, SUBJECT)
    assert _items(before, SUBJECT) and secrets  # the fixture ring does hold B001's own values
    response = _delete(container, tenant_a)
    assert response["status"] == "honoured" and response["held_copies"] == []
    assert json.loads(response["detail"])["derived_copies"] == [
        {"capability": "intel", "redacted": len(_items(before, SUBJECT)), "held": []}
    ]
    after = _document(container, ring_a)
    mine = _items(after, SUBJECT)
    assert [(e["file"], e["row_id"], e["field"]) for e in mine] == [
        (e["file"], e["row_id"], e["field"]) for e in _items(before, SUBJECT)
    ]  # the chain keeps the rows: it shows something was removed
    assert {e["value"] for e in mine} == {REDACTED} and all("PIPL art. 47" in e["redacted"]["reason"] for e in mine)
    assert [e for e in _items(after) if e.get("borrower_id") != SUBJECT] == [
        e for e in _items(before) if e.get("borrower_id") != SUBJECT
    ]
    dumped = json.dumps(after, ensure_ascii=False)
    assert not any(secret in dumped for secret in secrets)
    # the analyst's page still opens and shows the redaction marker
    detail = client.get(f"/v1/intel/rings/{ring_a}", headers=tenant_a.headers(Role.ANALYST)).json()
    assert REDACTED in json.dumps(detail["signals_detail"], ensure_ascii=False)
    [event] = _events(container, tenant_a.institution_id, "intel.evidence.redacted")
    assert event["subject_ref"] == SUBJECT and event["object_id"] == str(ring_a)
    assert not any(secret in event["detail"] for secret in secrets)
    # a second erasure (say a released request) redacts nothing more
    with container.engine.begin() as conn:
        [[outcome]] = container.erasers.erase(conn, tenant_a.institution_id, [ErasureSubject(SUBJECT)], "system", AT)
    assert outcome.redacted == 0 and outcome.events == () and _document(container, ring_a) == after


def test_a_confirmed_ring_holds_with_the_reason_until_it_is_dismissed(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    analyst = tenant_a.headers(Role.ANALYST)
    r = client.post(
        f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": "agent"}, headers=analyst
    )
    assert r.status_code == 200
    before = _document(container, ring_a)
    response = _delete(container, tenant_a)
    assert response["status"] == "honoured"  # privacy's own copy is shredded; the ring evidence is held
    [hold] = response["held_copies"]
    assert hold["capability"] == "intel" and hold["object_id"] == str(ring_a)
    assert "PIPL art. 47" in hold["reason"] and "police" in hold["reason"] and before["ring_id"] in hold["reason"]
    assert _document(container, ring_a) == before  # nothing redacted
    [held_event] = _events(container, tenant_a.institution_id, "intel.evidence.erasure_held")
    assert held_event["subject_ref"] == SUBJECT and hold["reason"] == json.loads(held_event["detail"])["reason"]
    # the borrower's access report shows the hold and its reason (API, borrower's own view via compliance)
    report = client.get(
        f"/v1/privacy/subjects/{SUBJECT}/access-report", headers=tenant_a.headers(Role.COMPLIANCE)
    ).json()
    assert [(h["object_id"], h["reason"]) for h in report["held_copies"]] == [(str(ring_a), hold["reason"])]
    assert "intel.evidence.erasure_held" in [r["action"] for r in report["reads"]]
    login = {"username": tenant_a.users[Role.COMPLIANCE].username, "password": TEST_PASSWORD}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    page = client.get("/privacy/subjects", params={"ref": SUBJECT})
    assert page.status_code == 200 and 'id="held-copies"' in page.text and "Criminal Procedure Law" in page.text
    # the ring's page, API detail and evidence report name the held erasure and its reason
    [shown] = client.get(f"/v1/intel/rings/{ring_a}", headers=analyst).json()["erasure_holds"]
    assert (shown["borrower_id"], shown["reason"]) == (SUBJECT, hold["reason"])
    ring_page = client.get(f"/intel/rings/{ring_a}").text
    assert 'id="erasure-holds"' in ring_page and "storage and security only" in ring_page
    report_page = client.get(f"/intel/rings/{ring_a}/report.html").text
    assert 'id="erasure-holds"' in report_page and "Criminal Procedure Law" in report_page
    # dismissing the ring applies the held erasure
    r = client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "dismissed", "note": "no"}, headers=analyst)
    assert r.status_code == 200
    after = _document(container, ring_a)
    assert {e["value"] for e in _items(after, SUBJECT)} == {REDACTED}
    assert not any(s in json.dumps(after, ensure_ascii=False) for s in _only_theirs(before, SUBJECT))
    assert rights(container).access_report(tenant_a.users[Role.COMPLIANCE], SUBJECT)["held_copies"] == []
    assert client.get(f"/v1/intel/rings/{ring_a}", headers=analyst).json()["erasure_holds"] == []
    [redacted_event] = _events(container, tenant_a.institution_id, "intel.evidence.redacted")
    assert redacted_event["subject_ref"] == SUBJECT and "released_hold" in json.loads(redacted_event["detail"])


def test_erasure_touches_no_other_institutions_rings(
    container: Container, tenant_a: Tenant, tenant_b: Tenant, ring_a: int
) -> None:
    # lender B holds two rings naming a borrower with the same pseudonymous id (ids are per institution):
    # one open, one confirmed; neither is redacted nor held when lender A erases its borrower
    copy = _document(container, ring_a)
    with container.engine.begin() as conn:
        repo = IntelRepository(conn)
        run = repo.add_run(tenant_b.institution_id, "duckdb", "copy", {}, [copy, {**copy, "ring_id": "R-copy"}], AT)
        open_b, confirmed_b = sorted(repo.run_ring_ids(tenant_b.institution_id, run).values())
        repo.decide(
            tenant_b.institution_id, confirmed_b, "confirmed", "n", tenant_b.users[Role.ANALYST].user_id, "b", AT
        )
    response = _delete(container, tenant_a)
    assert response["held_copies"] == []
    assert {e["value"] for e in _items(_document(container, ring_a), SUBJECT)} == {REDACTED}  # A's own: redacted
    assert _document(container, open_b) == copy
    assert _document(container, confirmed_b) == {**copy, "ring_id": "R-copy"}
    with container.engine.connect() as conn:
        assert conn.execute(sa.select(intel_erasure_holds)).mappings().all() == []
    assert _events(container, tenant_b.institution_id, "intel.evidence.redacted") == []
    assert _events(container, tenant_b.institution_id, "intel.evidence.erasure_held") == []


def test_an_erasure_racing_a_confirmation_holds_instead_of_redacting(
    container: Container, tenant_a: Tenant, ring_a: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An analyst's confirmation is in flight (ring row updated, its audit entry not yet appended) when the
    deletion runs: the eraser waits for the ring's row and then sees it confirmed, so the evidence is
    held, not redacted. The deletion must not hold the audit chain head while it waits (the analyst's
    transaction appends to it next): PostgreSQL aborted one of the two with a deadlock when privacy
    audited the shredding before the erasers locked their rows."""
    intel = intel_service(container)
    before = _document(container, ring_a)
    result: dict[str, Any] = {}

    def delete() -> None:
        try:
            result.update(_delete(container, tenant_a))
        except Exception as exc:  # reported by the assertions below
            result["error"] = exc

    worker = threading.Thread(target=delete)
    audit = intel._audit

    def audit_after_the_deletion_started(*args: Any) -> None:
        worker.start()
        worker.join(1.0)
        assert worker.is_alive()  # waiting for the ring's row (PostgreSQL) or the write lock (SQLite)
        audit(*args)

    monkeypatch.setattr(intel, "_audit", audit_after_the_deletion_started)
    intel.decide(tenant_a.users[Role.ANALYST], ring_a, "confirmed", "agent")
    worker.join(30)
    assert not worker.is_alive() and "error" not in result, result.get("error")
    assert result["status"] == "honoured"
    assert [h["object_id"] for h in result["held_copies"]] == [str(ring_a)]
    assert _document(container, ring_a) == before


# -- analysts' notes -------------------------------------------------------------------------------------


def test_a_note_loses_the_subjects_id_and_contacts_in_any_common_form() -> None:
    pattern = note_pattern("B002", {"17012345601", "li.si@example.cn"})
    note = (
        "B002的新号码 +86 170-1234-5601，又写作 0086 17012345601、(+86)170 1234 5601、170.1234.5601；"
        "邮箱 Li.Si@Example.CN. Agent 17012345678 serves B0021 and B001; 170123456011 is another number."
    )
    redacted, count = redact_note(note, pattern)
    assert count == 6
    assert redacted == (
        f"{NOTE_REDACTED}的新号码 {NOTE_REDACTED}，又写作 {NOTE_REDACTED}、{NOTE_REDACTED}、{NOTE_REDACTED}；"
        f"邮箱 {NOTE_REDACTED}. Agent 17012345678 serves B0021 and B001; 170123456011 is another number."
    )
    assert redact_note(redacted, pattern) == (redacted, 0)  # idempotent


def test_contacts_are_the_subjects_phones_and_emails_not_texts_or_times() -> None:
    doc = {
        "signals": [
            {
                "name": "s",
                "evidence": [
                    {"field": "new_phone", "value": "17012345601", "borrower_id": "B2"},
                    {"field": "contact_email", "value": "b2@x.cn", "borrower_id": "B2"},
                    {"field": "filed_at", "value": "2025-06-10", "borrower_id": "B2"},
                    {"field": "text", "value": "call 13800000000", "borrower_id": "B2"},
                    {"field": "contact_phone", "value": REDACTED, "borrower_id": "B2", "redacted": {}},
                    {"field": "contact_phone", "value": "17012345678", "borrower_id": "B1"},
                ],
            }
        ]
    }
    assert contacts(doc, "B2") == {"17012345601", "b2@x.cn"}
    assert contacts(doc, "B2", others=True) == {"17012345678"}


def test_erasure_redacts_the_borrower_in_the_notes_of_their_rings(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    """B002's new number (only theirs) and id go from the notes; the agent's number, which other members'
    rows carry too, stays, as its indicator does."""
    analyst = tenant_a.headers(Role.ANALYST)
    note = "B002 换号到 +86 170-1234-5601（170 1234 5601），代理人 17012345678"
    r = client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "dismissed", "note": note}, headers=analyst)
    assert r.status_code == 200
    privacy_service(container).register_subject(tenant_a.users[Role.COMPLIANCE], "B002", {"name": "李四"})
    before = _document(container, ring_a)
    response = _delete(container, tenant_a, "B002")
    [outcome] = json.loads(response["detail"])["derived_copies"]
    assert outcome["redacted"] == len(_items(before, "B002")) + 1  # evidence items and one note
    detail = client.get(f"/v1/intel/rings/{ring_a}", headers=analyst).json()
    [decision] = detail["decisions"]
    assert decision["note"] == f"{NOTE_REDACTED} 换号到 {NOTE_REDACTED}（{NOTE_REDACTED}），代理人 17012345678"
    [event] = _events(container, tenant_a.institution_id, "intel.evidence.note_redacted")
    assert event["subject_ref"] == "B002" and event["object_id"] == str(ring_a)
    [changed] = json.loads(event["detail"])["notes"]
    assert changed["occurrences"] == 3 and changed["note_sha256"] == note_digest(decision["note"])
    assert "5601" not in event["detail"]
    report = rights(container).access_report(tenant_a.users[Role.COMPLIANCE], "B002")
    assert "intel.evidence.note_redacted" in [r["action"] for r in report["reads"]]


def test_the_ledger_names_erased_subjects_and_its_absence_fails_closed(
    container: Container, tenant_a: Tenant, tenant_b: Tenant, ring_a: int
) -> None:
    _delete(container, tenant_a)
    with container.engine.connect() as conn:
        assert container.erasers.erased(conn, tenant_a.institution_id, {SUBJECT, "B002", "B404"}) == {SUBJECT}
        assert container.erasers.erased(conn, tenant_b.institution_id, {SUBJECT}) == set()
        with pytest.raises(RuntimeError, match="no erasure ledger"):
            ErasureRegistry().erased(conn, tenant_a.institution_id, {SUBJECT})
