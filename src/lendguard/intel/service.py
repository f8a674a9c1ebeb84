"""Use cases of the intelligence capability: store detection results, review rings, export evidence.

Every read and write is scoped to the principal's institution; a ring of another institution is
reported as not found. Ring evidence (phone numbers, e-mail addresses, complaint texts) is personal
data: only fraud investigators (analyst, compliance) read it in full, other readers see it masked
(``evidence_model``), and every read and export is audited once for the ring and once per borrower
(``subject_ref``), with purpose ``fraud_investigation``, so it shows in the borrower's access report.
Storing a new run carries earlier decisions over to matching rings (``carryover_model``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.intel.carryover_model import JACCARD_THRESHOLD, NewRing, carry_over
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.erasure import apply_held_erasures, erase_on_store, named_borrowers, record_store_erasures
from lendguard.intel.evidence_model import (
    INVESTIGATORS,
    PURPOSE,
    annotate_borrowers,
    fields_by_subject,
    masked_carryover,
    masked_detail,
    note_digest,
)
from lendguard.intel.redaction_model import REDACTED
from lendguard.intel.scoring_model import Ring, ring_view
from lendguard.intel.store import IntelRepository, open_erasure_holds
from lendguard.intel.view_model import indicator_edges
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.platform.erasure import ErasureRegistry
from lendguard.platform.model import Conflict, Principal, Role, require

# Who may open the ring list and rings; only INVESTIGATORS see evidence values unmasked.
READERS = (Role.ANALYST, Role.COMPLIANCE, Role.REGULATOR)
DECISIONS = ("confirmed", "dismissed")


@dataclass(frozen=True)
class StoredRun:
    """What storing a detection run did (returned, and recorded as ``intel.detection.stored``)."""

    run_id: int
    rings: int
    decisions_carried_over: int
    reopened_changed: int
    erased_items_redacted: int  # evidence items of erased borrowers redacted before storing
    erased_notes_redacted: int  # occurrences of erased borrowers' identifiers in carried-over notes
    erased_evidence_held: int  # (ring, borrower) holds carried over with a confirmed decision

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return asdict(self)


class IntelService:
    """Detection results and the analyst workflow of each institution."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        audit: AuditLog,
        erasers: ErasureRegistry,
        carryover_threshold: float = JACCARD_THRESHOLD,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit
        self.erasers = erasers  # asked which borrowers were erased before a run is stored
        self.carryover_threshold = carryover_threshold

    def store_rings(
        self,
        conn: Connection,
        institution_id: int,
        rings: Iterable[Ring],
        own_borrowers: set[str],
        *,
        engine: str,
        source: str,
        config: DetectionConfig,
        now: datetime,
    ) -> StoredRun:
        """Store the rings that involve the institution's borrowers, as the institution may see them.

        Runs as the system inside the caller's transaction (world import, scheduled jobs); only
        rings at or above the threshold are kept, and only the institution's own rows of each. Rings
        matching an earlier decided ring inherit its decision (see ``carryover_model``). Borrowers the
        institution has erased are redacted before anything is written, or held where an inherited
        confirmation holds their evidence (``erasure.erase_on_store``).
        """
        views = [
            annotate_borrowers(ring_view(r, own_borrowers), r)
            for r in rings
            if r.score >= config.threshold and own_borrowers.intersection(r.borrowers)
        ]
        repo = IntelRepository(conn)
        erased = self.erasers.erased(conn, institution_id, set().union(*(named_borrowers(v) for v in views)))
        decided = repo.decided_rings(institution_id)
        done = erase_on_store(
            conn,
            institution_id,
            views,
            erased,
            lambda vs: carry_over(_new_rings(vs), decided, self.carryover_threshold),
            now,
        )
        run_id = repo.add_run(
            institution_id,
            engine,
            source,
            config.as_dict(),
            done.views,
            now,
            erased_redacted=sum(done.redacted.values()),
        )
        ids = repo.run_ring_ids(institution_id, run_id) if done.carried or done.redacted or done.held else {}
        carried = {ids[ref]: c for ref, c in done.carried.items()}
        repo.apply_carryover(institution_id, carried)
        events = record_store_erasures(conn, institution_id, run_id, ids, done, now)
        events += [
            AuditEvent(
                actor="system",
                action="intel.ring.decision_reopened" if c.changed else "intel.ring.decision_carried",
                object_type="intel_ring",
                object_id=str(ring_id),
                purpose=PURPOSE,
                detail={**{k: v for k, v in c.as_dict().items() if k != "note"}, "note_sha256": note_digest(c.note)},
            )
            for ring_id, c in sorted(carried.items())
        ]
        stored = StoredRun(
            run_id=run_id,
            rings=len(done.views),
            decisions_carried_over=sum(not c.changed for c in carried.values()),
            reopened_changed=sum(c.changed for c in carried.values()),
            erased_items_redacted=sum(done.redacted.values()),
            erased_notes_redacted=sum(done.notes.values()),
            erased_evidence_held=len(done.held),
        )
        summary = {k: v for k, v in stored.as_dict().items() if k != "run_id"}
        events.append(
            AuditEvent(
                actor="system",
                action="intel.detection.stored",
                object_type="intel_run",
                object_id=str(run_id),
                purpose="fraud_prevention",
                detail={**summary, "engine": engine},
            )
        )
        self.audit.append_many(conn, institution_id, events, now)
        return stored

    def rings(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        run_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Ring summaries of one run (default: the latest), highest score first; no evidence.

        Earlier runs stay stored (their decisions are what carry over) but are listed only on request.
        """
        require(principal, *READERS)
        with reading(self.engine) as conn:
            repo = IntelRepository(conn)
            if run_id is None:
                latest = repo.latest_run(principal.institution_id)
                if latest is None:
                    return []
                run_id = int(latest["id"])
            rows = repo.rings(principal.institution_id, run_id=run_id, status=status, limit=limit, offset=offset)
        summaries = [_summary(r) for r in rows]
        if principal.has(*INVESTIGATORS):
            return summaries
        return [{**s, "carryover": masked_carryover(s["carryover"])} for s in summaries]

    def runs(self, principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
        """The institution's detection runs, latest first (id, engine, source, ring count, time)."""
        require(principal, *READERS)
        with reading(self.engine) as conn:
            rows = IntelRepository(conn).runs(principal.institution_id, limit)
        return [
            {k: r[k] for k in ("id", "engine", "source", "ring_count", "erased_redacted", "created_at")} for r in rows
        ]

    def ring(self, principal: Principal, ring_id: int) -> dict[str, Any]:
        """One ring with its evidence and decision history (audited for the ring and each borrower).

        Evidence values are masked unless the principal investigates fraud (analyst, compliance).
        """
        require(principal, *READERS)
        with self.engine.begin() as conn:
            detail = self._governed(_read_detail(conn, principal.institution_id, ring_id), principal)
            self._audit_evidence(conn, principal, "read", ring_id, detail)
        return detail

    def decide(self, principal: Principal, ring_id: int, status: str, note: str) -> dict[str, Any]:
        """Confirm or dismiss a ring with a note; the decision is kept and audited."""
        require(principal, Role.ANALYST)
        if status not in DECISIONS:
            raise ValueError(f"status must be one of {', '.join(DECISIONS)}")
        if not note.strip():
            raise ValueError("a note is required")
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = IntelRepository(conn)
            repo.decide(
                principal.institution_id, ring_id, status, note.strip(), principal.user_id, principal.username, now
            )
            self._audit(conn, principal, f"intel.ring.{status}", ring_id, {"note_sha256": note_digest(note.strip())})
            if status == "dismissed":  # erasures held while the ring was confirmed now apply (intel/erasure.py)
                row = repo.ring(principal.institution_id, ring_id)
                apply_held_erasures(conn, self.audit, principal.institution_id, row, principal.username, now)
            detail = self._governed(_read_detail(conn, principal.institution_id, ring_id), principal)
            self._audit_evidence(conn, principal, "read", ring_id, detail)
        return detail

    def evidence_report(self, principal: Principal, ring_id: int, institution_code: str) -> dict[str, Any]:
        """The evidence report of a confirmed ring: every supporting record with its source (audited)."""
        require(principal, *READERS)
        now = self.clock.now()
        with self.engine.begin() as conn:
            detail = _read_detail(conn, principal.institution_id, ring_id)
            if detail["status"] != "confirmed":
                raise Conflict(f"ring {ring_id} is {detail['status']}; only confirmed rings are exported")
            detail = self._governed(detail, principal)
            self._audit_evidence(conn, principal, "exported", ring_id, detail)
        records = sorted(
            ({**item, "signal": signal["name"]} for signal in detail["signals"] for item in signal["evidence"]),
            key=lambda r: (r["file"], r["row_id"], r["field"], r["signal"]),
        )
        return {
            "report": "lendguard ring evidence report",
            "institution": institution_code,
            "generated_at": now.isoformat(),
            "generated_by": principal.username,
            **{k: v for k, v in detail.items() if k != "edges"},
            "records": records,
        }

    @staticmethod
    def _governed(detail: dict[str, Any], principal: Principal) -> dict[str, Any]:
        """The detail as ``principal`` may see it: in full for investigators, otherwise masked.

        A redacted item shows the redaction marker to every reader: it holds no personal data, and a
        masked marker would hide that the value was erased.
        """
        if principal.has(*INVESTIGATORS):
            return {**detail, "masked": False}
        masked = masked_detail(detail)
        masked["signals"] = [
            {**s, "evidence": [{**e, "value": REDACTED} if e.get("redacted") else e for e in s["evidence"]]}
            for s in masked["signals"]
        ]
        return masked

    def _audit_evidence(
        self, conn: Connection, principal: Principal, what: str, ring_id: int, detail: dict[str, Any]
    ) -> None:
        """One entry for the ring naming every borrower, and one per borrower carrying its ``subject_ref``.

        The per-borrower entries (``intel.evidence.read`` / ``intel.evidence.exported``) are what a
        borrower's access report lists: privacy selects a subject's entries by ``subject_ref``.
        """
        subjects = fields_by_subject(detail)
        common = {"ring_ref": detail["ring_ref"], "masked": bool(detail["masked"])}
        events = [
            AuditEvent(
                actor=principal.username,
                action=f"intel.ring.{what}",
                object_type="intel_ring",
                object_id=str(ring_id),
                purpose=PURPOSE,
                detail={**common, "borrowers": sorted(subjects)},
            )
        ]
        events += [
            AuditEvent(
                actor=principal.username,
                action=f"intel.evidence.{what}",
                subject_ref=subject,
                object_type="intel_ring",
                object_id=str(ring_id),
                purpose=PURPOSE,
                detail={**common, "fields": fields},
            )
            for subject, fields in subjects.items()
        ]
        self.audit.append_many(conn, principal.institution_id, events, self.clock.now())

    def _audit(self, conn: Connection, principal: Principal, action: str, ring_id: int, detail: dict[str, Any]) -> None:
        self.audit.append(
            conn,
            principal.institution_id,
            AuditEvent(
                actor=principal.username,
                action=action,
                object_type="intel_ring",
                object_id=str(ring_id),
                purpose=PURPOSE,
                detail=detail,
            ),
            self.clock.now(),
        )


def _new_rings(views: list[dict[str, Any]]) -> list[NewRing]:
    """A run's stored ring documents as the carry-over matcher sees them."""
    return [
        NewRing(
            ring_ref=str(v["ring_id"]),
            members=frozenset(str(b) for b in v["borrowers"]),
            indicators=frozenset((str(i["kind"]), str(i["value"])) for i in v["indicators"]),
            other_borrowers=int(v.get("other_borrowers", 0)),
        )
        for v in views
    ]


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    doc = row["document"]
    return {
        "id": int(row["id"]),
        "ring_ref": row["ring_ref"],
        "run_id": int(row["run_id"]),
        "score": float(row["score"]),
        "status": row["status"],
        "borrower_count": int(row["borrower_count"]),
        "other_borrowers": int(row["other_borrowers"]),
        "signals": [s["name"] for s in doc.get("signals", [])],
        "decided_at": row["decided_at"],
        "created_at": row["created_at"],
        "carryover": row.get("carryover"),
        "changed_since_decision": bool(row.get("carryover") and row["carryover"].get("changed"))
        and row["status"] == "open",
    }


def _read_detail(conn: Connection, institution_id: int, ring_id: int) -> dict[str, Any]:
    """One ring of the institution with its decisions and the erasures it holds, unmasked."""
    repo = IntelRepository(conn)
    row = repo.ring(institution_id, ring_id)
    holds = [
        {"borrower_id": h["subject_ref"], "reason": h["reason"], "held_at": h["held_at"]}
        for h in open_erasure_holds(conn, institution_id, ring_id=ring_id)
    ]
    return _detail(row, repo.decisions(institution_id, ring_id), holds)


def _detail(row: dict[str, Any], decisions: list[dict[str, Any]], holds: list[dict[str, Any]]) -> dict[str, Any]:
    doc = row["document"]
    return {
        **_summary(row),
        "borrowers": list(doc.get("borrowers", [])),
        "indicators": list(doc.get("indicators", [])),
        "signals": list(doc.get("signals", [])),
        # the entity graph's edges, computed on the unmasked values (the raw ``links`` map stays stored)
        "edges": indicator_edges(doc),
        "decisions": [
            {
                "status": d["status"],
                "note": d["note"],
                "username": d["username"],
                "at": d["at"],
                "carried_from": d.get("carried_from"),
            }
            for d in decisions
        ],
        # erased borrowers whose evidence this confirmed ring keeps, for storage and security only
        "erasure_holds": holds,
    }
