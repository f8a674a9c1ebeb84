"""Use cases of the intelligence capability: store detection results, review rings, export evidence.

Every read and write is scoped to the principal's institution; a ring of another institution is
reported as not found. Reading a ring's evidence (phone numbers, e-mail addresses, complaint texts)
and exporting it are audited in the institution's hash-chained log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.scoring_model import Ring, ring_view
from lendguard.intel.store import IntelRepository
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.model import Conflict, Principal, Role, require

READERS = (Role.ANALYST, Role.REGULATOR)
DECISIONS = ("confirmed", "dismissed")


class IntelService:
    """Detection results and the analyst workflow of each institution."""

    def __init__(self, engine: Engine, clock: Clock, audit: AuditLog) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit

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
    ) -> int:
        """Store the rings that involve the institution's borrowers, as the institution may see them.

        Runs as the system inside the caller's transaction (world import, scheduled jobs); only
        rings at or above the threshold are kept, and only the institution's own rows of each.
        """
        views = [
            ring_view(r, own_borrowers)
            for r in rings
            if r.score >= config.threshold and own_borrowers.intersection(r.borrowers)
        ]
        run_id = IntelRepository(conn).add_run(institution_id, engine, source, config.as_dict(), views, now)
        self.audit.append(
            conn,
            institution_id,
            AuditEvent(
                actor="system",
                action="intel.detection.stored",
                object_type="intel_run",
                object_id=str(run_id),
                purpose="fraud_prevention",
                detail={"rings": len(views), "engine": engine},
            ),
            now,
        )
        return run_id

    def rings(
        self, principal: Principal, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Ring summaries of the principal's institution (latest run first by score); no evidence."""
        require(principal, *READERS)
        with self.engine.connect() as conn:
            rows = IntelRepository(conn).rings(principal.institution_id, status=status, limit=limit, offset=offset)
        return [_summary(r) for r in rows]

    def ring(self, principal: Principal, ring_id: int) -> dict[str, Any]:
        """One ring with its evidence and decision history (the read is audited)."""
        require(principal, *READERS)
        with self.engine.begin() as conn:
            repo = IntelRepository(conn)
            row = repo.ring(principal.institution_id, ring_id)
            decisions = repo.decisions(principal.institution_id, ring_id)
            self._audit(conn, principal, "intel.ring.read", ring_id, {})
        return _detail(row, decisions)

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
            self._audit(conn, principal, f"intel.ring.{status}", ring_id, {"note": note.strip()})
            row = repo.ring(principal.institution_id, ring_id)
            decisions = repo.decisions(principal.institution_id, ring_id)
        return _detail(row, decisions)

    def evidence_report(self, principal: Principal, ring_id: int, institution_code: str) -> dict[str, Any]:
        """The evidence report of a confirmed ring: every supporting record with its source (audited)."""
        require(principal, *READERS)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = IntelRepository(conn)
            row = repo.ring(principal.institution_id, ring_id)
            if row["status"] != "confirmed":
                raise Conflict(f"ring {ring_id} is {row['status']}; only confirmed rings are exported")
            decisions = repo.decisions(principal.institution_id, ring_id)
            self._audit(conn, principal, "intel.evidence.exported", ring_id, {})
        detail = _detail(row, decisions)
        records = sorted(
            ({**item, "signal": signal["name"]} for signal in detail["signals"] for item in signal["evidence"]),
            key=lambda r: (r["file"], r["row_id"], r["field"], r["signal"]),
        )
        return {
            "report": "lendguard ring evidence report",
            "institution": institution_code,
            "generated_at": now.isoformat(),
            "generated_by": principal.username,
            **detail,
            "records": records,
        }

    def _audit(self, conn: Connection, principal: Principal, action: str, ring_id: int, detail: dict[str, Any]) -> None:
        self.audit.append(
            conn,
            principal.institution_id,
            AuditEvent(
                actor=principal.username,
                action=action,
                object_type="intel_ring",
                object_id=str(ring_id),
                purpose="fraud_prevention",
                detail=detail,
            ),
            self.clock.now(),
        )


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
    }


def _detail(row: dict[str, Any], decisions: list[dict[str, Any]]) -> dict[str, Any]:
    doc = row["document"]
    return {
        **_summary(row),
        "borrowers": list(doc.get("borrowers", [])),
        "indicators": list(doc.get("indicators", [])),
        "signals": list(doc.get("signals", [])),
        "links": dict(doc.get("links", {})),
        "decisions": [
            {"status": d["status"], "note": d["note"], "username": d["username"], "at": d["at"]} for d in decisions
        ],
    }
