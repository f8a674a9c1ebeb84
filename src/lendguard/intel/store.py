"""Tables and repositories of the intelligence capability: detection runs, rings, analyst decisions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.intel.carryover_model import DECIDED, CarryOver, DecidedRing
from lendguard.platform.db import BigIntId, JsonDoc, metadata
from lendguard.platform.model import NotFound
from lendguard.platform.store import UTC_TS

intel_runs = sa.Table(
    "intel_runs",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True),
    sa.Column("engine", sa.String(20), nullable=False),
    sa.Column("source", sa.String(200), nullable=False, comment="what was analysed (folder name, 'world')"),
    sa.Column("parameters", JsonDoc, nullable=False),
    sa.Column("ring_count", sa.Integer, nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column(
        "erased_redacted",
        sa.Integer,
        nullable=False,
        server_default="0",
        comment="evidence items of erased borrowers redacted before the rings were stored",
    ),
)

intel_rings = sa.Table(
    "intel_rings",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("run_id", BigIntId, sa.ForeignKey("intel_runs.id"), nullable=False),
    sa.Column("ring_ref", sa.String(40), nullable=False, comment="ring_id of the detection output"),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("borrower_count", sa.Integer, nullable=False, comment="this institution's borrowers"),
    sa.Column("other_borrowers", sa.Integer, nullable=False, comment="members at other institutions (count only)"),
    sa.Column("status", sa.String(20), nullable=False, comment="open, confirmed or dismissed"),
    sa.Column("document", JsonDoc, nullable=False, comment="borrowers, indicators, signals with evidence"),
    sa.Column("decided_at", UTC_TS, nullable=True),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column(
        "carryover", JsonDoc, nullable=True, comment="earlier decision this ring inherited (carryover_model.CarryOver)"
    ),
    sa.Index("ix_intel_rings_institution_status", "institution_id", "status"),
    sa.Index("ix_intel_rings_institution_ref", "institution_id", "ring_ref"),
)

intel_decisions = sa.Table(
    "intel_decisions",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ring_id", BigIntId, sa.ForeignKey("intel_rings.id"), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("username", sa.String(120), nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column(
        "carried_from",
        BigIntId,
        sa.ForeignKey("intel_rings.id"),
        nullable=True,
        comment="the earlier ring whose decision this row carries over (null: decided on this ring)",
    ),
)


class IntelRepository:
    """Reads and writes of one institution's detection results; every query filters on the institution."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_run(
        self,
        institution_id: int,
        engine: str,
        source: str,
        parameters: dict[str, Any],
        rings: list[dict[str, Any]],
        now: datetime,
        erased_redacted: int = 0,
    ) -> int:
        run_id = int(
            self.conn.execute(
                intel_runs.insert().values(
                    institution_id=institution_id,
                    engine=engine,
                    source=source,
                    parameters=parameters,
                    ring_count=len(rings),
                    created_at=now,
                    erased_redacted=erased_redacted,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        if rings:
            self.conn.execute(
                intel_rings.insert(),
                [
                    {
                        "institution_id": institution_id,
                        "run_id": run_id,
                        "ring_ref": r["ring_id"],
                        "score": r["score"],
                        "borrower_count": len(r["borrowers"]),
                        "other_borrowers": r.get("other_borrowers", 0),
                        "status": "open",
                        "document": r,
                        "created_at": now,
                    }
                    for r in rings
                ],
            )
        return run_id

    def latest_run(self, institution_id: int) -> dict[str, Any] | None:
        row = (
            self.conn.execute(
                sa.select(intel_runs)
                .where(intel_runs.c.institution_id == institution_id)
                .order_by(intel_runs.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def runs(self, institution_id: int, limit: int = 50) -> list[dict[str, Any]]:
        query = (
            sa.select(intel_runs)
            .where(intel_runs.c.institution_id == institution_id)
            .order_by(intel_runs.c.id.desc())
            .limit(limit)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def rings(
        self,
        institution_id: int,
        *,
        run_id: int | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        query = sa.select(intel_rings).where(intel_rings.c.institution_id == institution_id)
        if run_id is not None:
            query = query.where(intel_rings.c.run_id == run_id)
        if status is not None:
            query = query.where(intel_rings.c.status == status)
        query = query.order_by(intel_rings.c.score.desc(), intel_rings.c.id).limit(limit).offset(offset)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def ring(self, institution_id: int, ring_id: int) -> dict[str, Any]:
        row = (
            self.conn.execute(
                sa.select(intel_rings).where(
                    intel_rings.c.institution_id == institution_id, intel_rings.c.id == ring_id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"ring {ring_id}")
        return dict(row)

    def decide(
        self, institution_id: int, ring_id: int, status: str, note: str, user_id: int, username: str, now: datetime
    ) -> None:
        updated = self.conn.execute(
            intel_rings.update()
            .where(intel_rings.c.institution_id == institution_id, intel_rings.c.id == ring_id)
            .values(status=status, decided_at=now)
        )
        if updated.rowcount != 1:
            raise NotFound(f"ring {ring_id}")
        self.conn.execute(
            intel_decisions.insert().values(
                institution_id=institution_id,
                ring_id=ring_id,
                status=status,
                note=note,
                user_id=user_id,
                username=username,
                at=now,
            )
        )

    def decisions(self, institution_id: int, ring_id: int) -> list[dict[str, Any]]:
        query = (
            sa.select(intel_decisions)
            .where(intel_decisions.c.institution_id == institution_id, intel_decisions.c.ring_id == ring_id)
            .order_by(intel_decisions.c.id)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def run_ring_ids(self, institution_id: int, run_id: int) -> dict[str, int]:
        """``ring_ref`` -> row id of every ring of one run."""
        query = sa.select(intel_rings.c.ring_ref, intel_rings.c.id).where(
            intel_rings.c.institution_id == institution_id, intel_rings.c.run_id == run_id
        )
        return {str(ref): int(ring_id) for ref, ring_id in self.conn.execute(query)}

    def decided_rings(self, institution_id: int) -> list[DecidedRing]:
        """Stored rings with a decision, each with its latest decision (for carrying decisions over to
        the rings of a run about to be stored)."""
        latest = (
            sa.select(intel_decisions.c.ring_id, sa.func.max(intel_decisions.c.id).label("last"))
            .where(intel_decisions.c.institution_id == institution_id)
            .group_by(intel_decisions.c.ring_id)
            .subquery()
        )
        query = (
            sa.select(
                intel_rings.c.id,
                intel_rings.c.run_id,
                intel_rings.c.status,
                intel_rings.c.other_borrowers,
                intel_rings.c.document,
                intel_decisions.c.note,
                intel_decisions.c.username,
                intel_decisions.c.user_id,
                intel_decisions.c.at,
            )
            .join(latest, latest.c.ring_id == intel_rings.c.id)
            .join(intel_decisions, intel_decisions.c.id == latest.c.last)
            .where(intel_rings.c.institution_id == institution_id, intel_rings.c.status.in_(sorted(DECIDED)))
            .order_by(intel_rings.c.id)
        )
        out = []
        for row in self.conn.execute(query).mappings():
            doc = row["document"]
            out.append(
                DecidedRing(
                    ring_id=int(row["id"]),
                    run_id=int(row["run_id"]),
                    members=frozenset(str(b) for b in doc.get("borrowers", [])),
                    indicators=frozenset((str(i["kind"]), str(i["value"])) for i in doc.get("indicators", [])),
                    other_borrowers=int(row["other_borrowers"]),
                    status=str(row["status"]),
                    note=str(row["note"]),
                    username=str(row["username"]),
                    user_id=int(row["user_id"]),
                    decided_at=_aware(row["at"]),
                )
            )
        return out

    def apply_carryover(self, institution_id: int, carried: dict[int, CarryOver]) -> None:
        """Give each new ring (by id) its inherited status; record the kept decisions as carried rows.

        A ring that grew goes back to ``open`` (no decision row: the earlier one did not cover the new
        members); one that did not keeps the decision, with the original decider, note and time.
        """
        if not carried:
            return
        # one executemany, not one UPDATE per ring (thousands of rings per run at scale)
        self.conn.execute(
            intel_rings.update()
            .where(intel_rings.c.institution_id == institution_id, intel_rings.c.id == sa.bindparam("ring"))
            .values(status=sa.bindparam("new_status"), decided_at=sa.bindparam("at"), carryover=sa.bindparam("doc")),
            [
                {
                    "ring": ring_id,
                    "new_status": c.status,
                    "at": None if c.changed else c.decided_at,
                    "doc": c.as_dict(),
                }
                for ring_id, c in sorted(carried.items())
            ],
        )
        kept = [
            {
                "institution_id": institution_id,
                "ring_id": ring_id,
                "status": c.decided_status,
                "note": c.note,
                "user_id": c.user_id,
                "username": c.username,
                "at": c.decided_at,
                "carried_from": c.from_ring,
            }
            for ring_id, c in sorted(carried.items())
            if not c.changed
        ]
        if kept:
            self.conn.execute(intel_decisions.insert(), kept)


def _aware(at: datetime) -> datetime:
    """SQLite hands stored UTC instants back without their offset; every stored instant is UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# -- erasure of a borrower's evidence (see intel/erasure.py) -------------------------------------------

intel_erasure_holds = sa.Table(
    "intel_erasure_holds",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ring_id", BigIntId, sa.ForeignKey("intel_rings.id"), nullable=False),
    sa.Column("subject_ref", sa.String(120), nullable=False, comment="pseudonymous borrower id"),
    sa.Column("reason", sa.Text, nullable=False, comment="the legal reason the evidence is kept"),
    sa.Column("held_at", UTC_TS, nullable=False),
    sa.Column("released_at", UTC_TS, nullable=True, comment="when the held erasure was applied"),
    sa.Column(
        "note_spans",
        JsonDoc,
        nullable=True,
        comment="offsets of the borrower in the ring's notes when held, with each note's SHA-256 (no values)",
    ),
    sa.Index("ix_intel_erasure_holds_subject", "institution_id", "subject_ref"),
    sa.Index("ix_intel_erasure_holds_ring", "institution_id", "ring_id"),
)


def rings_naming(
    conn: Connection, institution_id: int, subject_refs: Collection[str]
) -> tuple[dict[int, dict[str, Any]], list[tuple[int, str]]]:
    """One pass over the institution's stored rings and notes, for an erasure (no locks).

    Returns the documents of the rings that name one of ``subject_refs`` as a member or evidence owner
    (by ring id; the member lists are in the JSON documents, unindexed, so rings are filtered here) and
    every analyst's note kept with a ring, as (ring id, text): decision notes and carried-over decisions'
    notes. The institution filter keeps both scans to one tenant.
    """
    wanted = set(subject_refs)
    named: dict[int, dict[str, Any]] = {}
    notes: list[tuple[int, str]] = []
    query = sa.select(intel_rings.c.id, intel_rings.c.document, intel_rings.c.carryover).where(
        intel_rings.c.institution_id == institution_id
    )
    for ring_id, doc, carryover in conn.execute(query):
        if not wanted.isdisjoint(doc.get("borrowers", [])) or any(
            e.get("borrower_id") in wanted for s in doc.get("signals", []) for e in s.get("evidence", [])
        ):
            named[int(ring_id)] = doc
        if carryover and carryover.get("note"):
            notes.append((int(ring_id), str(carryover["note"])))
    decisions = sa.select(intel_decisions.c.ring_id, intel_decisions.c.note).where(
        intel_decisions.c.institution_id == institution_id
    )
    notes += [(int(ring_id), str(note)) for ring_id, note in conn.execute(decisions)]
    return named, notes


def lock_rings(conn: Connection, institution_id: int, ring_ids: Collection[int]) -> list[dict[str, Any]]:
    """The institution's rings of ``ring_ids``, locked (``FOR UPDATE``, in id order) and read again, so a
    status decided meanwhile (an analyst confirming a ring while an erasure runs) is seen, and none can
    change until the caller commits."""
    if not ring_ids:
        return []
    locked = (
        sa.select(intel_rings)
        .where(intel_rings.c.institution_id == institution_id, intel_rings.c.id.in_(sorted(ring_ids)))
        .order_by(intel_rings.c.id)
        .with_for_update()
    )
    return [dict(row) for row in conn.execute(locked).mappings()]


def replace_ring_document(conn: Connection, institution_id: int, ring_id: int, document: dict[str, Any]) -> None:
    """Store a ring's redacted document in place (row id, status and decisions are kept)."""
    conn.execute(
        intel_rings.update()
        .where(intel_rings.c.institution_id == institution_id, intel_rings.c.id == ring_id)
        .values(document=document)
    )


def ring_notes(
    conn: Connection, institution_id: int, ring_id: int
) -> tuple[list[tuple[int, str]], dict[str, Any] | None]:
    """The analysts' notes kept with a ring: its decision rows (id, note) and its carried-over decision."""
    query = (
        sa.select(intel_decisions.c.id, intel_decisions.c.note)
        .where(intel_decisions.c.institution_id == institution_id, intel_decisions.c.ring_id == ring_id)
        .order_by(intel_decisions.c.id)
    )
    decisions = [(int(i), str(note)) for i, note in conn.execute(query)]
    carryover = conn.execute(
        sa.select(intel_rings.c.carryover).where(
            intel_rings.c.institution_id == institution_id, intel_rings.c.id == ring_id
        )
    ).scalar_one_or_none()
    return decisions, (dict(carryover) if carryover else None)


def replace_notes(
    conn: Connection, institution_id: int, ring_id: int, decisions: dict[int, str], carryover: dict[str, Any] | None
) -> None:
    """Store a ring's redacted notes in place: decision rows by id, and the carried-over decision if given."""
    for decision_id, note in sorted(decisions.items()):
        conn.execute(
            intel_decisions.update()
            .where(
                intel_decisions.c.institution_id == institution_id,
                intel_decisions.c.ring_id == ring_id,
                intel_decisions.c.id == decision_id,
            )
            .values(note=note)
        )
    if carryover is not None:
        conn.execute(
            intel_rings.update()
            .where(intel_rings.c.institution_id == institution_id, intel_rings.c.id == ring_id)
            .values(carryover=carryover)
        )


def add_erasure_hold(
    conn: Connection,
    institution_id: int,
    ring_id: int,
    subject_ref: str,
    reason: str,
    now: datetime,
    note_spans: dict[str, Any] | None = None,
) -> bool:
    """Record that ``subject_ref``'s evidence in the ring is held (with where they occur in its notes);
    False when an open hold exists already."""
    if open_erasure_holds(conn, institution_id, subject_ref=subject_ref, ring_id=ring_id):
        return False
    conn.execute(
        intel_erasure_holds.insert().values(
            institution_id=institution_id,
            ring_id=ring_id,
            subject_ref=subject_ref,
            reason=reason,
            held_at=now,
            note_spans=note_spans or None,
        )
    )
    return True


def open_erasure_holds(
    conn: Connection, institution_id: int, *, subject_ref: str | None = None, ring_id: int | None = None
) -> list[dict[str, Any]]:
    """Holds not yet released, of one subject and/or one ring of the institution."""
    query = sa.select(intel_erasure_holds).where(
        intel_erasure_holds.c.institution_id == institution_id, intel_erasure_holds.c.released_at.is_(None)
    )
    if subject_ref is not None:
        query = query.where(intel_erasure_holds.c.subject_ref == subject_ref)
    if ring_id is not None:
        query = query.where(intel_erasure_holds.c.ring_id == ring_id)
    return [dict(r) for r in conn.execute(query.order_by(intel_erasure_holds.c.id)).mappings()]


def release_erasure_hold(conn: Connection, institution_id: int, hold_id: int, now: datetime) -> None:
    """Mark a hold released (its erasure has just been applied)."""
    conn.execute(
        intel_erasure_holds.update()
        .where(intel_erasure_holds.c.institution_id == institution_id, intel_erasure_holds.c.id == hold_id)
        .values(released_at=now)
    )
