"""Erasure reaches analysts' notes with what only the deletion knows: the identifiers privacy registered
for the borrower (in memory while the erasure runs), notes on rings that do not name the borrower, and
notes held in a confirmed ring, redacted on dismissal from the offsets recorded with the hold (both
databases)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel.redaction_model import (
    NOTE_REDACTED,
    move_spans,
    note_pattern,
    note_spans,
    redact_note,
    redact_spans,
    registered,
)
from lendguard.intel.store import IntelRepository, intel_erasure_holds
from lendguard.intel.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.clock import FixedClock
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import Tenant
from tests.intel.conftest import SMALL
from tests.intel.test_erasure import AT, _delete, _events, load_ring_a


@pytest.fixture
def ring_a(client: TestClient, container: Container, tenant_a: Tenant, tenant_b: Tenant) -> int:
    """The small world's ring at lender A (members B001, B002, B005)."""
    return load_ring_a(client, container, tenant_a, tenant_b)


# -- offsets of a held note, moved over another member's redaction ------------------------------------------


def test_held_offsets_move_over_another_members_redaction_of_the_note() -> None:
    note = "B005 介绍了 B002，登记手机 138 1111 0002"
    held = note_spans(note, note_pattern("B002", {"13811110002"}))
    edits = note_spans(note, note_pattern("B005", set()))
    edited, _ = redact_note(note, note_pattern("B005", set()))
    moved = move_spans(held, edits)
    assert [edited[a:b] for a, b in moved] == ["B002", "138 1111 0002"]
    # a span the other redaction overlapped covers its marker; one inside it is dropped (already redacted)
    assert move_spans([[0, 6], [1, 3]], [[0, 4]]) == [[0, len(NOTE_REDACTED) + 2]]


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab12 XY", max_size=30),
    st.sampled_from(["ab", "12", "a", "b1", "XY", "1 X"]),
    st.sampled_from(["ab", "12", "2 ", "Y", " X", "b", "a"]),
)
def test_redacting_moved_offsets_after_another_redaction_redacts_what_both_would_have(
    note: str, held: str, other: str
) -> None:
    spans, edits = note_spans(note, re.compile(held)), note_spans(note, re.compile(other))
    edited, _ = redact_note(note, re.compile(other))
    after = redact_spans(edited, move_spans(spans, edits))[0]
    both = redact_spans(note, spans + edits)[0]

    def merged(text: str) -> str:  # adjacent markers: one redaction or two, the same text removed
        while NOTE_REDACTED * 2 in text:
            text = text.replace(NOTE_REDACTED * 2, NOTE_REDACTED)
        return text

    assert merged(after) == merged(both)


# -- identifiers privacy registered, and notes on other rings ------------------------------------------------


def test_registered_identifiers_are_matched_in_any_common_form() -> None:
    found = registered(["+86 138-1111-0002"], [" Li.Si@Example.CN "], ["11010119900307123x", "6222 0202 0011 2233"])
    assert found == {"13811110002", "li.si@example.cn", "11010119900307123X", "6222020200112233"}
    pattern = note_pattern("B002", found)
    note = "登记手机 0086 138 1111 0002，身份证 110101 19900307 123x，卡 6222-0202-0011-2233；另一人 13811110003"
    assert redact_note(note, pattern) == (
        f"登记手机 {NOTE_REDACTED}，身份证 {NOTE_REDACTED}，卡 {NOTE_REDACTED}；另一人 13811110003",
        3,
    )


def test_a_name_is_matched_with_any_spacing_and_case_and_a_latin_one_as_whole_words() -> None:
    pattern = note_pattern("B002", set(), ["李四", "Li Si", "王"])  # a single character is no name
    note = "李四、李 四、Li Si、LISI；不是 Lisinopril，也不是王五"
    assert redact_note(note, pattern) == (
        f"{NOTE_REDACTED}、{NOTE_REDACTED}、{NOTE_REDACTED}、{NOTE_REDACTED}；不是 Lisinopril，也不是王五",
        4,
    )


def test_the_registered_name_leaves_the_notes_of_the_borrowers_rings_only(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    """Privacy hands the eraser B002's name with the identifiers: it goes from the notes of ring_a (which
    names B002), but a note that quotes only the name does not make another ring B002's — many people
    share a name — and a confirmed ring's hold records where the name occurs, redacted on dismissal."""
    privacy_service(container).register_subject(tenant_a.users[Role.COMPLIANCE], "B002", {"name": "李四"})
    note = "李四（B002）称从未借款"
    r = client.post(
        f"/v1/intel/rings/{ring_a}/decision",
        json={"status": "confirmed", "note": note},
        headers=tenant_a.headers(Role.ANALYST),
    )
    assert r.status_code == 200
    other = _other_ring(container, tenant_a, "dismissed", "同名的李四，与本案无关")

    [hold] = _delete(container, tenant_a, "B002")["held_copies"]

    assert hold["object_id"] == str(ring_a) and _notes(client, tenant_a, ring_a) == [note]  # held as written
    assert _notes(client, tenant_a, other) == ["同名的李四，与本案无关"]
    r = client.post(
        f"/v1/intel/rings/{ring_a}/decision",
        json={"status": "dismissed", "note": "no"},
        headers=tenant_a.headers(Role.ANALYST),
    )
    assert r.status_code == 200
    assert _notes(client, tenant_a, ring_a) == [f"{NOTE_REDACTED}（{NOTE_REDACTED}）称从未借款", "no"]
    with container.engine.connect() as conn:
        log = json.dumps([dict(e) for e in conn.execute(sa.select(event_log)).mappings()], default=str)
    assert "李四" not in log


def _other_ring(container: Container, tenant: Tenant, status: str, note: str) -> int:
    """A ring of lender A that does not name B002 (members B777, B778), decided with ``note``."""
    doc = {"ring_id": f"R-other-{status}", "score": 0.9, "borrowers": ["B777", "B778"], "indicators": []}
    analyst = tenant.users[Role.ANALYST]
    with container.engine.begin() as conn:
        repo = IntelRepository(conn)
        run = repo.add_run(tenant.institution_id, "duckdb", "other", {}, [{**doc, "signals": []}], AT)
        [ring_id] = repo.run_ring_ids(tenant.institution_id, run).values()
        repo.decide(tenant.institution_id, ring_id, status, note, analyst.user_id, analyst.username, AT)
    return ring_id


def _notes(client: TestClient, tenant: Tenant, ring_id: int) -> list[str]:
    detail = client.get(f"/v1/intel/rings/{ring_id}", headers=tenant.headers(Role.ANALYST)).json()
    return [d["note"] for d in detail["decisions"]]


def test_notes_lose_the_registered_identifiers_also_on_rings_without_the_borrower(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    """B002's registered phone, e-mail and id number (never in any ring) and B002's new number (from
    ring_a's evidence) are redacted from the notes of ring_a and of a dismissed ring without B002; a
    confirmed ring without B002 whose note quotes them holds it, with the reason."""
    privacy_service(container).register_subject(
        tenant_a.users[Role.COMPLIANCE],
        "B002",
        {"name": "李四", "mobile": "13811110002", "email": "li.si@example.cn", "id_number": "11010119900307123X"},
    )
    note = "B002 登记手机 +86 138-1111-0002、邮箱 Li.Si@Example.cn、身份证 11010119900307123x，新号 170 1234 5601"
    redacted = (
        f"{NOTE_REDACTED} 登记手机 {NOTE_REDACTED}、邮箱 {NOTE_REDACTED}、身份证 {NOTE_REDACTED}，新号 {NOTE_REDACTED}"
    )
    r = client.post(
        f"/v1/intel/rings/{ring_a}/decision",
        json={"status": "dismissed", "note": note},
        headers=tenant_a.headers(Role.ANALYST),
    )
    assert r.status_code == 200
    dismissed = _other_ring(container, tenant_a, "dismissed", f"cf. ring_a: {note}; agent 17012345678")
    confirmed = _other_ring(container, tenant_a, "confirmed", f"cf. ring_a: {note}")
    untouched = _other_ring(container, tenant_a, "dismissed", "B0021 and 13811110020: someone else")

    response = _delete(container, tenant_a, "B002")

    assert _notes(client, tenant_a, ring_a) == [redacted]
    assert _notes(client, tenant_a, dismissed) == [f"cf. ring_a: {redacted}; agent 17012345678"]
    assert _notes(client, tenant_a, confirmed) == [f"cf. ring_a: {note}"]  # held, not redacted
    assert _notes(client, tenant_a, untouched) == ["B0021 and 13811110020: someone else"]
    [hold] = response["held_copies"]
    assert hold["object_id"] == str(confirmed) and "police" in hold["reason"]
    events = _events(container, tenant_a.institution_id, "intel.evidence.note_redacted")
    assert sorted(int(e["object_id"]) for e in events) == sorted([ring_a, dismissed])
    assert all(e["subject_ref"] == "B002" for e in events)
    with container.engine.connect() as conn:
        log = json.dumps([dict(e) for e in conn.execute(sa.select(event_log)).mappings()], default=str)
    assert "13811110002" not in log and "li.si@" not in log.lower() and "11010119900307123" not in log


def test_spans_are_redacted_merged_and_from_the_end() -> None:
    assert redact_spans("a 123 b 45678 c", [[8, 13], [2, 5], [9, 11]]) == (f"a {NOTE_REDACTED} b {NOTE_REDACTED} c", 2)
    assert redact_spans("unchanged", []) == ("unchanged", 0)


def test_a_held_note_loses_the_registered_identifiers_when_the_ring_is_dismissed(
    client: TestClient, container: Container, tenant_a: Tenant, ring_a: int
) -> None:
    """A confirmed ring holds its notes; the hold records where B002 occurs in them (offsets and the
    note's SHA-256, never the values), so dismissing the ring later redacts B002's registered phone too,
    although privacy shredded it at the erasure."""
    privacy_service(container).register_subject(
        tenant_a.users[Role.COMPLIANCE], "B002", {"name": "李四", "mobile": "13811110002"}
    )
    analyst = tenant_a.headers(Role.ANALYST)
    note = "B002 登记手机 138 1111 0002，代理人 17012345678"
    r = client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": note}, headers=analyst)
    assert r.status_code == 200
    [hold] = _delete(container, tenant_a, "B002")["held_copies"]
    assert hold["object_id"] == str(ring_a) and _notes(client, tenant_a, ring_a) == [note]  # held as written
    with container.engine.connect() as conn:
        [spans] = conn.execute(sa.select(intel_erasure_holds.c.note_spans)).scalars().all()
    assert "13811110002" not in json.dumps(spans) and "1111" not in json.dumps(spans)
    [recorded] = spans.values()
    assert [note[a:b] for a, b in recorded["spans"]] == ["B002", "138 1111 0002"]

    r = client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "dismissed", "note": "no"}, headers=analyst)
    assert r.status_code == 200
    assert _notes(client, tenant_a, ring_a) == [f"{NOTE_REDACTED} 登记手机 {NOTE_REDACTED}，代理人 17012345678", "no"]
    [event] = _events(container, tenant_a.institution_id, "intel.evidence.note_redacted")
    detail = json.loads(event["detail"])
    assert event["subject_ref"] == "B002" and "released_hold" in detail
    assert sum(n["occurrences"] for n in detail["notes"]) == 2 and "0002" not in event["detail"]


def test_a_hold_carried_to_the_next_runs_ring_keeps_the_note_offsets(
    client: TestClient, container: Container, clock: FixedClock, tenant_a: Tenant, tenant_b: Tenant, ring_a: int
) -> None:
    """The next run's ring keeps the confirmation and the hold (intel.erasure.erase_on_store); its carried
    note and carried decision row are the held note unchanged, so the hold's offsets go with them and
    dismissing that ring redacts B002's registered phone there too."""
    privacy_service(container).register_subject(
        tenant_a.users[Role.COMPLIANCE], "B002", {"name": "李四", "mobile": "13811110002"}
    )
    note = "B002 登记手机 138 1111 0002"
    second = _confirm_erase_b002_and_rerun(client, container, clock, tenant_a, tenant_b, ring_a, note)

    detail = _dismissed(client, tenant_a, second)
    redacted = f"{NOTE_REDACTED} 登记手机 {NOTE_REDACTED}"
    assert [d["note"] for d in detail["decisions"]] == [redacted, "no"]
    assert detail["carryover"]["note"] == redacted
    assert _notes(client, tenant_a, ring_a) == [note]  # the first ring is still confirmed: held


def test_a_carried_hold_keeps_its_note_offsets_when_the_carried_note_was_redacted_for_another_member(
    client: TestClient, container: Container, clock: FixedClock, tenant_a: Tenant, tenant_b: Tenant, ring_a: int
) -> None:
    """B005 was erased before ring_a was confirmed (nothing of B005 is held); B002 after, so ring_a holds
    B002's evidence and notes. The next run's ring carries the confirmation and B002's hold, but its
    carried note loses B005's id on the way in — a different text from the held note. The hold's offsets
    are moved over that edit, so dismissing the new ring still redacts B002's registered phone, which
    only privacy knew at B002's erasure."""
    compliance = tenant_a.users[Role.COMPLIANCE]
    privacy_service(container).register_subject(compliance, "B002", {"name": "李四", "mobile": "13811110002"})
    privacy_service(container).register_subject(compliance, "B005", {})
    _delete(container, tenant_a, "B005")
    note = "B005 介绍了 B002，登记手机 138 1111 0002"
    second = _confirm_erase_b002_and_rerun(client, container, clock, tenant_a, tenant_b, ring_a, note)
    carried = f"{NOTE_REDACTED} 介绍了 B002，登记手机 138 1111 0002"  # B005 redacted on the way in
    analyst = tenant_a.headers(Role.ANALYST)
    assert client.get(f"/v1/intel/rings/{second}", headers=analyst).json()["carryover"]["note"] == carried

    detail = _dismissed(client, tenant_a, second)
    redacted = f"{NOTE_REDACTED} 介绍了 {NOTE_REDACTED}，登记手机 {NOTE_REDACTED}"
    assert detail["carryover"]["note"] == redacted
    assert [d["note"] for d in detail["decisions"]] == [redacted, "no"]


def _confirm_erase_b002_and_rerun(
    client: TestClient,
    container: Container,
    clock: FixedClock,
    tenant_a: Tenant,
    tenant_b: Tenant,
    ring_a: int,
    note: str,
) -> int:
    """Confirm ring_a with ``note``, erase B002 (held there), run detection again a day later: the new
    ring, which carries the confirmation and the hold."""
    analyst = tenant_a.headers(Role.ANALYST)
    r = client.post(f"/v1/intel/rings/{ring_a}/decision", json={"status": "confirmed", "note": note}, headers=analyst)
    assert r.status_code == 200
    assert [h["object_id"] for h in _delete(container, tenant_a, "B002")["held_copies"]] == [str(ring_a)]
    clock.advance(days=1)
    load(container, SMALL, {"L01": tenant_a.institution_id, "L02": tenant_b.institution_id}, False)
    [second] = client.get("/v1/intel/rings", headers=analyst).json()
    assert second["id"] != ring_a and second["status"] == "confirmed"
    return int(second["id"])


def _dismissed(client: TestClient, tenant: Tenant, ring_id: int) -> dict[str, Any]:
    """Dismiss the ring (releasing its holds); its detail afterwards."""
    analyst = tenant.headers(Role.ANALYST)
    r = client.post(f"/v1/intel/rings/{ring_id}/decision", json={"status": "dismissed", "note": "no"}, headers=analyst)
    assert r.status_code == 200
    detail: dict[str, Any] = client.get(f"/v1/intel/rings/{ring_id}", headers=analyst).json()
    return detail
