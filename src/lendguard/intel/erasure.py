"""Erasure of a borrower's ring evidence and notes: redact them, or hold them with the legal reason.

Ring evidence copies cells of the lender's records (contact phones and e-mails, changed numbers,
complaint texts), each item naming the borrower whose row it is; analysts' decision notes are free
text that may quote them. When privacy erases a borrower it calls :class:`IntelEraser` (registered on
the container by ``intel.wiring``):

- the rings concerned are those naming the borrower and those with a note quoting the borrower's id,
  the contacts of their evidence or the identifiers privacy registered for them (handed over in the
  ``ErasureSubject`` for the erasure's transaction only);
- rings that are **open** or **dismissed**: the borrower's evidence is redacted and so are the
  borrower's id, phones and e-mails in the ring's notes (``redaction_model``);
- **confirmed** rings (evidence possibly handed to the police): nothing is redacted; a hold with the
  legal reason is recorded (with where the borrower occurs in the ring's notes, as offsets), shown in
  the deletion response and the borrower's access report, and applied when the ring is later
  dismissed (:func:`apply_held_erasures`).

Storing a detection run whose input still holds an erased borrower's rows applies the same rules
before the rings are written (:func:`erase_on_store`): redacted, except in a ring that keeps a
confirmed decision from a ring holding that borrower's evidence, where the hold carries over too.

Every redaction and hold is audited with the borrower's pseudonymous id in ``subject_ref``; the
eraser returns those entries and privacy appends them last (the erasure port's lock order).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.intel.carryover_model import CarryOver
from lendguard.intel.evidence_model import PURPOSE, note_digest
from lendguard.intel.redaction_model import (
    contacts,
    move_spans,
    note_pattern,
    note_spans,
    redact_note,
    redact_spans,
    redact_subject,
    registered,
)
from lendguard.intel.store import (
    add_erasure_hold,
    lock_rings,
    open_erasure_holds,
    release_erasure_hold,
    replace_notes,
    replace_ring_document,
    ring_notes,
    rings_naming,
)
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.erasure import (
    BANK_CARD,
    EMAIL,
    ID_NUMBER,
    PERSON_NAME,
    PHONE,
    ErasureHold,
    ErasureOutcome,
    ErasureSubject,
)

NAME = "intel"
HOLD_REASON = (
    "PIPL art. 47 para. 2 and art. 13(3): ring {ring} was confirmed as an anti-collection agency ring and "
    "its evidence may have been handed to the police for a criminal investigation, which units must "
    "support with evidence (Criminal Procedure Law art. 54); the borrower's evidence is kept for storage "
    "and security only and is erased when the ring is dismissed"
)
HELD_STATUSES = frozenset({"confirmed"})


class IntelEraser:
    """The intelligence capability's :class:`~lendguard.platform.erasure.SubjectEraser`."""

    name = NAME

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    def erase(
        self, conn: Connection, institution_id: int, subjects: Sequence[ErasureSubject], actor: str, now: datetime
    ) -> list[ErasureOutcome]:
        """Redact each subject's evidence and notes in the institution's open and dismissed rings; hold
        confirmed ones. ``redacted`` counts evidence items and notes; the audit entries are returned.

        A ring concerns a subject when it names them or when one of its notes quotes their id, a phone
        or e-mail of their evidence in any ring, or an identifier privacy registered for them (analysts
        cross-reference rings); the notes of those rings also lose the subject's registered name. Every
        such ring of every subject is locked at once, in id order.
        """
        if not subjects:
            return []
        refs = [s.ref for s in subjects]
        # read without locks: the subjects' own values cannot change while privacy holds their rows
        # (a dismissal only redacts them), and every ring to change is locked below, once, in id order
        docs, notes = rings_naming(conn, institution_id, refs)
        concerned = {i: named_borrowers(doc).intersection(refs) for i, doc in docs.items()}
        # a subject's own contacts: what their evidence shows and no other member of that ring carries
        # (a number shared with others is the agent's), and what privacy registered for them
        theirs = {
            s.ref: set().union(*(contacts(d, s.ref) - contacts(d, s.ref, others=True) for d in docs.values()))
            | registered(s.values(PHONE), s.values(EMAIL), s.values(ID_NUMBER) | s.values(BANK_CARD))
            for s in subjects
        }
        # the name only where a ring already concerns them (many people share a name): not in ``quoting``
        names = {s.ref: s.values(PERSON_NAME) for s in subjects}
        quoting = {ref: note_pattern(ref, theirs[ref]) for ref in refs}
        for ring_id, note in notes:
            concerned.setdefault(ring_id, set()).update(r for r, p in quoting.items() if p.search(note))
        redacted = dict.fromkeys(refs, 0)
        events: dict[str, list[AuditEvent]] = {ref: [] for ref in refs}
        for ring in lock_rings(conn, institution_id, [i for i, found in concerned.items() if found]):
            ring_id, doc, items = int(ring["id"]), ring["document"], 0
            for ref in (r for r in refs if r in concerned[ring_id]):
                pattern = note_pattern(ref, theirs[ref] - contacts(doc, ref, others=True), names[ref])
                if ring["status"] in HELD_STATUSES:
                    reason = HOLD_REASON.format(ring=ring["ring_ref"])
                    spans = _spans(conn, institution_id, ring_id, pattern)  # registered ids are gone on release
                    if add_erasure_hold(conn, institution_id, ring_id, ref, reason, now, spans):
                        events[ref].append(_event(actor, "intel.evidence.erasure_held", ref, ring, {"reason": reason}))
                    continue
                doc, count = redact_subject(doc, ref, now)
                if count:
                    redacted[ref] += count
                    items += count
                    events[ref].append(_event(actor, "intel.evidence.redacted", ref, ring, {"items": count}))
                changed = _redact_notes(conn, institution_id, ring_id, _matches(pattern))
                if changed:
                    redacted[ref] += len(changed)
                    events[ref].append(_event(actor, "intel.evidence.note_redacted", ref, ring, {"notes": changed}))
            if items:
                replace_ring_document(conn, institution_id, ring_id, doc)
        return [
            ErasureOutcome(NAME, redacted[ref], tuple(self.holds(conn, institution_id, ref)), tuple(events[ref]))
            for ref in refs
        ]

    def holds(self, conn: Connection, institution_id: int, subject_ref: str) -> list[ErasureHold]:
        """The subject's evidence still held in confirmed rings, with the reason."""
        return [
            ErasureHold(NAME, "intel_ring", str(h["ring_id"]), str(h["reason"]), _aware(h["held_at"]))
            for h in open_erasure_holds(conn, institution_id, subject_ref=subject_ref)
        ]


def apply_held_erasures(
    conn: Connection, audit: AuditLog, institution_id: int, ring: dict[str, Any], actor: str, now: datetime
) -> int:
    """Apply the erasures held on a ring that is no longer confirmed (dismissed): evidence and notes.

    Returns the evidence items redacted.
    """
    if ring["status"] in HELD_STATUSES:
        return 0
    doc = ring["document"]
    total = 0
    events = []
    holds = open_erasure_holds(conn, institution_id, ring_id=int(ring["id"]))
    spanned = _redact_recorded_spans(conn, institution_id, int(ring["id"]), holds)
    for hold in holds:
        subject = str(hold["subject_ref"])
        theirs = contacts(doc, subject)
        doc, count = redact_subject(doc, subject, now)
        release_erasure_hold(conn, institution_id, int(hold["id"]), now)
        total += count
        events.append(
            _event(actor, "intel.evidence.redacted", subject, ring, {"items": count, "released_hold": int(hold["id"])})
        )
        pattern = note_pattern(subject, theirs - contacts(doc, subject, others=True))
        notes = spanned.get(int(hold["id"]), []) + _redact_notes(
            conn, institution_id, int(ring["id"]), _matches(pattern)
        )
        if notes:
            events.append(
                _event(
                    actor,
                    "intel.evidence.note_redacted",
                    subject,
                    ring,
                    {"notes": notes, "released_hold": int(hold["id"])},
                )
            )
    if events:
        replace_ring_document(conn, institution_id, int(ring["id"]), doc)
        audit.append_many(conn, institution_id, events, now)
    return total


Redaction = Callable[[str, str], tuple[str, int]]  # (note key, text) -> (new text, replacements)


def _matches(pattern: re.Pattern[str]) -> Redaction:
    return lambda _key, note: redact_note(note, pattern)


def _ring_notes_by_key(conn: Connection, institution_id: int, ring_id: int) -> dict[str, str]:
    """The ring's notes by key: ``decision:<id>`` for decision rows, ``carryover`` for the carried one."""
    decisions, carryover = ring_notes(conn, institution_id, ring_id)
    notes = {f"decision:{i}": note for i, note in decisions}
    if carryover is not None:
        notes["carryover"] = str(carryover.get("note", ""))
    return notes


def _spans(conn: Connection, institution_id: int, ring_id: int, pattern: re.Pattern[str]) -> dict[str, Any]:
    """Where ``pattern`` occurs in the ring's notes, by note key, with each note's SHA-256 (for a hold)."""
    out = {}
    for key, note in _ring_notes_by_key(conn, institution_id, ring_id).items():
        spans = note_spans(note, pattern)
        if spans:
            out[key] = {"sha256": note_digest(note), "spans": spans}
    return out


def _redact_recorded_spans(
    conn: Connection, institution_id: int, ring_id: int, holds: list[dict[str, Any]]
) -> dict[int, list[dict[str, Any]]]:
    """Redact what the holds recorded in notes still as they were when held (all holds at once, since
    offsets shift); per hold id, the notes changed, for its audit entry."""
    notes = _ring_notes_by_key(conn, institution_id, ring_id)
    wanted: dict[str, list[list[int]]] = {}
    per_hold: dict[int, list[dict[str, Any]]] = {}
    for hold in holds:
        for key, recorded in (hold.get("note_spans") or {}).items():
            if key in notes and note_digest(notes[key]) == recorded["sha256"]:
                wanted.setdefault(key, []).extend(recorded["spans"])
                which = {"carryover": True} if key == "carryover" else {"decision": int(key.split(":")[1])}
                per_hold.setdefault(int(hold["id"]), []).append({**which, "occurrences": len(recorded["spans"])})
    if wanted:
        done = _redact_notes(conn, institution_id, ring_id, lambda key, note: redact_spans(note, wanted.get(key, [])))
        digests = {(d.get("decision"), d.get("carryover")): d["note_sha256"] for d in done}
        for entries in per_hold.values():
            for entry in entries:
                entry["note_sha256"] = digests[(entry.get("decision"), entry.get("carryover"))]
    return per_hold


def _redact_notes(conn: Connection, institution_id: int, ring_id: int, redact: Redaction) -> list[dict[str, Any]]:
    """Redact the ring's decision notes and carried-over note; what changed, for the audit entry: which
    note and the new text's SHA-256 (decision entries record the old text's)."""
    decisions, carryover = ring_notes(conn, institution_id, ring_id)
    changed: dict[int, str] = {}
    out: list[dict[str, Any]] = []
    for decision_id, note in decisions:
        text, n = redact(f"decision:{decision_id}", note)
        if n:
            changed[decision_id] = text
            out.append({"decision": decision_id, "occurrences": n, "note_sha256": note_digest(text)})
    new_carryover = None
    if carryover is not None:
        text, n = redact("carryover", str(carryover.get("note", "")))
        if n:
            new_carryover = {**carryover, "note": text}
            out.append({"carryover": True, "occurrences": n, "note_sha256": note_digest(text)})
    if out:
        replace_notes(conn, institution_id, ring_id, changed, new_carryover)
    return out


@dataclass
class StoreErasure:
    """A detection run's rings as they may be stored, given the institution's erased borrowers."""

    views: list[dict[str, Any]]  # the ring documents to store
    carried: dict[str, CarryOver]  # ring_ref -> decision inherited (its note redacted where needed)
    redacted: dict[tuple[str, str], int] = field(default_factory=dict)  # (ring_ref, subject) -> items
    notes: dict[tuple[str, str], int] = field(default_factory=dict)  # (ring_ref, subject) -> occurrences
    held: dict[tuple[str, str], int] = field(default_factory=dict)  # (ring_ref, subject) -> hold's source ring
    # ring_ref -> how its carried note was redacted on the way in: the inherited note's SHA-256, the
    # regions each redaction replaced (in order), and the stored note's SHA-256 (to move hold offsets)
    note_edits: dict[str, tuple[str, list[list[list[int]]], str]] = field(default_factory=dict)


def erase_on_store(
    conn: Connection,
    institution_id: int,
    views: list[dict[str, Any]],
    erased: set[str],
    match: Callable[[list[dict[str, Any]]], dict[str, CarryOver]],
    now: datetime,
) -> StoreErasure:
    """Redact erased borrowers from a new run's rings before they are stored, as the eraser would have.

    ``match`` finds the earlier decision each ring inherits; it runs on the redacted rings, which is
    how earlier rings of those borrowers are stored. A ring that keeps a *confirmed* decision unchanged
    from a ring that holds an erased member's evidence keeps that evidence too, and the hold is carried
    to it (recorded by :func:`record_store_erasures`). A note carried into a ring is redacted for every
    erased member whose evidence the ring does not hold; what each redaction replaced is kept
    (``note_edits``), so the carried hold's note offsets can be moved over it.
    """
    subjects = [sorted(erased & named_borrowers(v)) for v in views]
    if not any(subjects):
        return StoreErasure(views, match(views))
    out = StoreErasure([], {})
    for view, names in zip(views, subjects, strict=True):
        doc = view
        for subject in names:
            doc, count = redact_subject(doc, subject, now)
            if count:
                out.redacted[(str(view["ring_id"]), subject)] = count
        out.views.append(doc)
    out.carried = match(out.views)
    for i, (view, names) in enumerate(zip(views, subjects, strict=True)):
        ref = str(view["ring_id"])
        inherited = out.carried.get(ref)
        if not names or inherited is None:
            continue
        kept = _holding(conn, institution_id, inherited).intersection(names)
        if kept:  # store the held members' evidence as detected, the other erased members redacted
            doc = view
            for subject in names:
                if subject in kept:
                    out.held[(ref, subject)] = inherited.from_ring
                    out.redacted.pop((ref, subject), None)
                else:
                    doc, _ = redact_subject(doc, subject, now)
            out.views[i] = doc
        source_digest, passes = note_digest(inherited.note), []
        for subject in (s for s in names if s not in kept):
            pattern = note_pattern(subject, contacts(view, subject) - contacts(out.views[i], subject, others=True))
            edits = note_spans(inherited.note, pattern)
            note, n = redact_note(inherited.note, pattern)
            if n:
                inherited = replace(inherited, note=note)
                out.notes[(ref, subject)] = n
                passes.append(edits)
        if passes:
            out.note_edits[ref] = (source_digest, passes, note_digest(inherited.note))
        out.carried[ref] = inherited
    return out


def _holding(conn: Connection, institution_id: int, inherited: CarryOver) -> set[str]:
    """The borrowers whose evidence the ring a decision comes from holds, when the decision is a
    confirmation carried over unchanged (a ring that grew goes back to open: nothing to hold)."""
    if inherited.changed or inherited.decided_status not in HELD_STATUSES:
        return set()
    return {str(h["subject_ref"]) for h in open_erasure_holds(conn, institution_id, ring_id=inherited.from_ring)}


def record_store_erasures(
    conn: Connection, institution_id: int, run_id: int, ids: dict[str, int], done: StoreErasure, now: datetime
) -> list[AuditEvent]:
    """Record the holds carried to the stored rings; the audit entries of the run's erasures (to append)."""
    events = []
    for (ref, subject), count in sorted(done.redacted.items()):
        ring = {"id": ids[ref], "ring_ref": ref}
        events.append(_event("system", "intel.evidence.redacted", subject, ring, {"items": count, "run": run_id}))
    for (ref, subject), count in sorted(done.notes.items()):
        ring = {"id": ids[ref], "ring_ref": ref}
        detail = {"notes": [{"carryover": True, "occurrences": count}], "run": run_id}
        events.append(_event("system", "intel.evidence.note_redacted", subject, ring, detail))
    for (ref, subject), source in sorted(done.held.items()):
        ring = {"id": ids[ref], "ring_ref": ref}
        reason = HOLD_REASON.format(ring=ref)
        spans = _carried_spans(conn, institution_id, source, subject, ids[ref], done.note_edits.get(ref))
        add_erasure_hold(conn, institution_id, ids[ref], subject, reason, now, spans)
        detail = {"reason": reason, "carried_from": source, "run": run_id}
        events.append(_event("system", "intel.evidence.erasure_held", subject, ring, detail))
    return events


def _carried_spans(
    conn: Connection,
    institution_id: int,
    source: int,
    subject: str,
    ring_id: int,
    edits: tuple[str, list[list[list[int]]], str] | None,
) -> dict[str, Any]:
    """The note offsets the source ring's hold recorded, for each note of ``ring_id`` carried from a
    held note: unchanged (same SHA-256), or redacted on the way in for other erased members (``edits``,
    see ``StoreErasure.note_edits``), the offsets then moved over those redactions."""
    holds = open_erasure_holds(conn, institution_id, subject_ref=subject, ring_id=source)
    recorded = {r["sha256"]: r for h in holds for r in (h.get("note_spans") or {}).values()}
    if edits is not None and edits[0] in recorded:
        spans = recorded[edits[0]]["spans"]
        for regions in edits[1]:
            spans = move_spans(spans, regions)
        if spans:  # none left when every one of them was redacted on the way in already
            recorded[edits[2]] = {"sha256": edits[2], "spans": spans}
    notes = _ring_notes_by_key(conn, institution_id, ring_id)
    return {key: recorded[note_digest(note)] for key, note in notes.items() if note_digest(note) in recorded}


def named_borrowers(view: dict[str, Any]) -> set[str]:
    """The borrowers a ring document names: its members and the owners of its evidence items."""
    owners = {str(e.get("borrower_id")) for s in view.get("signals", []) for e in s.get("evidence", [])}
    return {str(b) for b in view.get("borrowers", [])} | (owners - {"", "None"})


def _event(actor: str, action: str, subject_ref: str, ring: dict[str, Any], detail: dict[str, Any]) -> AuditEvent:
    # "fields" lets the borrower's access report list the entry like the evidence reads it sits beside
    return AuditEvent(
        actor=actor,
        action=action,
        subject_ref=subject_ref,
        object_type="intel_ring",
        object_id=str(ring["id"]),
        purpose=PURPOSE,
        detail={"ring_ref": ring["ring_ref"], "fields": [], **detail},
    )


def _aware(at: datetime) -> datetime:
    """SQLite hands stored UTC instants back without their offset."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
