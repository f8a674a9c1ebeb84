"""Erasure of a borrower's ring evidence: redact it, or hold it with the legal reason.

Ring evidence copies cells of the lender's records (contact phones and e-mails, changed numbers,
complaint texts), each item naming the borrower whose row it is. When privacy erases a borrower it
calls :class:`IntelEraser` (registered on the container by ``intel.wiring``):

- rings that are **open** or **dismissed**: the borrower's evidence values are replaced by a
  redaction marker (the item keeps its file, row id, field and borrower, so the chain shows that
  something was removed and why), indicators only that borrower's values supported are dropped, and
  the borrower's entry in the graph ``links`` keeps only values other members share;
- **confirmed** rings (evidence possibly handed to the police): nothing is redacted; a hold with the
  legal reason is recorded, shown in the deletion response and the borrower's access report, and
  applied when the ring is later dismissed (:func:`apply_held_erasures`).

Every redaction and hold is audited with the borrower's pseudonymous id in ``subject_ref``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.intel.evidence_model import PURPOSE
from lendguard.intel.store import (
    add_erasure_hold,
    open_erasure_holds,
    release_erasure_hold,
    replace_ring_document,
    rings_of_borrower,
)
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.erasure import ErasureHold, ErasureOutcome

NAME = "intel"
REDACTED = "[redacted: borrower erased, PIPL art. 47]"
HOLD_REASON = (
    "PIPL art. 47 para. 2 and art. 13(3): ring {ring} was confirmed as an anti-collection agency ring and "
    "its evidence may have been handed to the police for a criminal investigation, which units must "
    "support with evidence (Criminal Procedure Law art. 54); the borrower's evidence is kept for storage "
    "and security only and is erased when the ring is dismissed"
)
HELD_STATUSES = frozenset({"confirmed"})


def redact_subject(document: dict[str, Any], subject_ref: str, at: datetime) -> tuple[dict[str, Any], int]:
    """A copy of a ring document with ``subject_ref``'s evidence values redacted, and how many items were.

    An indicator is dropped when only the subject's evidence carried it (no other member's value equals
    it or, for a segment, starts with it); a template shown by the subject's own complaint text is shown
    by another member's text when there is one. Redacted items are not redacted twice.
    """
    doc = copy.deepcopy(document)
    mine: set[str] = set()
    others: set[str] = set()
    other_texts: list[str] = []
    count = 0
    for signal in doc.get("signals", []):
        for e in signal.get("evidence", []):
            if e.get("borrower_id") == subject_ref:
                if not e.get("redacted"):
                    mine.add(str(e["value"]))
                    e["value"] = REDACTED
                    e["redacted"] = {"reason": "borrower erased (PIPL art. 47)", "at": at.isoformat()}
                    count += 1
            elif not e.get("redacted"):
                others.add(str(e["value"]))
                if signal.get("name") == "template":
                    other_texts.append(str(e["value"]))
    if not count:
        return doc, 0
    indicators = []
    renamed: dict[str, str] = {}  # a template shown by the subject's text -> another member's text
    for ind in doc.get("indicators", []):
        kind, value = str(ind["kind"]), str(ind["value"])
        if kind == "segment":
            keep = any(v.startswith(value) for v in others) or not any(v.startswith(value) for v in mine)
        else:
            keep = value in others or value not in mine
        if keep:
            indicators.append(ind)
        elif kind == "template" and other_texts:
            renamed[value] = min(other_texts)  # as ring_view picks the text that shows a template
            indicators.append({**ind, "value": renamed[value]})
    doc["indicators"] = indicators
    # The graph's links name values per member; ring_view also lists the template's text under every
    # member who used the template, so the subject's text can sit under other members too.
    only_theirs = mine - others
    links = doc.get("links")
    if isinstance(links, dict):
        for borrower, values in links.items():
            kept = {renamed.get(v, v) for v in values if v in renamed or v not in only_theirs}
            links[borrower] = sorted(v for v in kept if borrower != subject_ref or v in others)
    return doc, count


class IntelEraser:
    """The intelligence capability's :class:`~lendguard.platform.erasure.SubjectEraser`."""

    name = NAME

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    def erase(
        self, conn: Connection, institution_id: int, subject_ref: str, actor: str, now: datetime
    ) -> ErasureOutcome:
        """Redact the subject's evidence in the institution's open and dismissed rings; hold confirmed ones."""
        redacted = 0
        events: list[AuditEvent] = []
        for ring in rings_of_borrower(conn, institution_id, subject_ref, lock=True):
            ring_id = int(ring["id"])
            if ring["status"] in HELD_STATUSES:
                reason = HOLD_REASON.format(ring=ring["ring_ref"])
                if add_erasure_hold(conn, institution_id, ring_id, subject_ref, reason, now):
                    events.append(_event(actor, "intel.evidence.erasure_held", subject_ref, ring, {"reason": reason}))
                continue
            doc, count = redact_subject(ring["document"], subject_ref, now)
            if count:
                replace_ring_document(conn, institution_id, ring_id, doc)
                redacted += count
                events.append(_event(actor, "intel.evidence.redacted", subject_ref, ring, {"items": count}))
        if events:
            self.audit.append_many(conn, institution_id, events, now)
        return ErasureOutcome(NAME, redacted, tuple(self.holds(conn, institution_id, subject_ref)))

    def holds(self, conn: Connection, institution_id: int, subject_ref: str) -> list[ErasureHold]:
        """The subject's evidence still held in confirmed rings, with the reason."""
        return [
            ErasureHold(NAME, "intel_ring", str(h["ring_id"]), str(h["reason"]), _aware(h["held_at"]))
            for h in open_erasure_holds(conn, institution_id, subject_ref=subject_ref)
        ]


def apply_held_erasures(
    conn: Connection, audit: AuditLog, institution_id: int, ring: dict[str, Any], actor: str, now: datetime
) -> int:
    """Apply the erasures held on a ring that is no longer confirmed (dismissed); returns items redacted."""
    if ring["status"] in HELD_STATUSES:
        return 0
    doc = ring["document"]
    total = 0
    events = []
    for hold in open_erasure_holds(conn, institution_id, ring_id=int(ring["id"])):
        subject = str(hold["subject_ref"])
        doc, count = redact_subject(doc, subject, now)
        release_erasure_hold(conn, institution_id, int(hold["id"]), now)
        total += count
        events.append(
            _event(actor, "intel.evidence.redacted", subject, ring, {"items": count, "released_hold": int(hold["id"])})
        )
    if events:
        replace_ring_document(conn, institution_id, int(ring["id"]), doc)
        audit.append_many(conn, institution_id, events, now)
    return total


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
