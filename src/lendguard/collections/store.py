"""Tables and repositories of collections: cases, attempts, blocked attempts, promises, plans, events.

Every query filters on ``institution_id``; a row of another institution is :class:`NotFound`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.platform.db import BigIntId, JsonDoc, metadata
from lendguard.platform.model import NotFound
from lendguard.platform.store import UTC_TS

Money = sa.Numeric(16, 2)

cases = sa.Table(
    "collection_cases",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False, comment="the loan ref: one case per debt"),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("outstanding", Money, nullable=False, server_default="0"),
    sa.Column("collector", sa.String(80), nullable=True, comment="username of the assigned collector"),
    sa.Column("agency_id", sa.String(40), nullable=True, comment="outsourced agency working the case"),
    sa.Column("timezones", sa.String(200), nullable=False, comment="';'-separated IANA zones"),
    sa.Column("flags", JsonDoc, nullable=False, comment="cease, attorney, dispute, reachability, opt-outs"),
    sa.Column("opened_at", UTC_TS, nullable=False),
    sa.Column("updated_at", UTC_TS, nullable=False),
    sa.UniqueConstraint("institution_id", "ref", name="uq_collection_cases_institution_ref"),
    sa.Index("ix_collection_cases_borrower", "institution_id", "borrower_ref"),
    sa.Index("ix_collection_cases_collector", "institution_id", "collector"),
)

attempts = sa.Table(
    "collection_attempts",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=True),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("debt_refs", sa.String(400), nullable=False, comment="';'-separated case refs the attempt was about"),
    sa.Column("agency_id", sa.String(40), nullable=True),
    sa.Column("collector", sa.String(80), nullable=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("person_id", sa.String(40), nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("number", sa.String(80), nullable=True, comment="pseudonymous number/address reference"),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("initiated_by", sa.String(20), nullable=False, server_default="collector"),
    sa.Column("purpose", sa.String(20), nullable=False, server_default="collection"),
    sa.Column("duration_s", sa.Integer, nullable=True),
    sa.Column("recording_ref", sa.String(120), nullable=True),
    sa.Column("decision", sa.String(10), nullable=False, server_default="allow"),
    sa.Index("ix_collection_attempts_borrower_at", "institution_id", "borrower_ref", "at"),
)

blocked = sa.Table(
    "collection_blocked_attempts",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("case_ref", sa.String(40), nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("person_id", sa.String(40), nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("at", UTC_TS, nullable=False, comment="when the contact was to happen"),
    sa.Column("violations", JsonDoc, nullable=False),
    sa.Column("next_allowed_at", UTC_TS, nullable=True),
    sa.Column("recorded_at", UTC_TS, nullable=False),
    sa.Index("ix_collection_blocked_institution_at", "institution_id", "recorded_at"),
)

promises = sa.Table(
    "collection_promises",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("case_ref", sa.String(40), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, comment="pending, kept, broken, rescheduled"),
    sa.Column("replaces_id", sa.BigInteger, nullable=True, comment="the promise this one reschedules"),
    sa.Column("created_at", UTC_TS, nullable=False),
)

plans = sa.Table(
    "collection_payment_plans",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("case_ref", sa.String(40), nullable=False),
    sa.Column("instalments", JsonDoc, nullable=False, comment="[{due_date, amount}]"),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    sa.Column("created_at", UTC_TS, nullable=False),
)

events = sa.Table(
    "collection_case_events",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("case_ref", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("detail", JsonDoc, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
)

contact_consents = sa.Table(
    "collection_contact_consents",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("person_id", sa.String(40), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("starts_at", UTC_TS, nullable=False),
    sa.Column("ends_at", UTC_TS, nullable=True),
)

policies = sa.Table(
    "collection_policies",
    metadata,
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), primary_key=True),
    sa.Column("pack", sa.String(20), nullable=False),
    sa.Column("overrides", JsonDoc, nullable=False),
    sa.Column("updated_at", UTC_TS, nullable=False),
)

TABLES = (cases, attempts, blocked, promises, plans, events, contact_consents, policies)


def _new_id(result: Any) -> int:
    """The primary key of a single-row insert."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _one(row: Any, what: str, key: object) -> dict[str, Any]:
    if row is None:
        raise NotFound(f"{what} {key} not found")
    return dict(row._mapping)


# Borrowers per ``IN (...)`` list when reading many borrowers' facts at once (a queue page is <= 500).
IN_CHUNK = 1000


class BorrowerFacts(NamedTuple):
    """Everything the policy needs about one borrower: all their cases, attempts and contact consents."""

    cases: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    consents: list[dict[str, Any]]


class CollectionsRepository:
    """Reads and writes of one institution's collection data (every statement filters on the institution)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # cases ------------------------------------------------------------------------------------
    def add_cases(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(cases.insert(), batch)
        return len(batch)

    def case(self, institution_id: int, case_id: int) -> dict[str, Any]:
        q = sa.select(cases).where(cases.c.institution_id == institution_id, cases.c.id == case_id)
        return _one(self.conn.execute(q).first(), "case", case_id)

    def case_by_ref(self, institution_id: int, ref: str) -> dict[str, Any] | None:
        q = sa.select(cases).where(cases.c.institution_id == institution_id, cases.c.ref == ref)
        row = self.conn.execute(q).first()
        return None if row is None else dict(row._mapping)

    def cases_of_borrower(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        q = sa.select(cases).where(cases.c.institution_id == institution_id, cases.c.borrower_ref == borrower_ref)
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(cases.c.id))]

    def lock_borrower(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        """All cases of a borrower, locked until the transaction ends (fresh rows, ordered by id).

        The lock serialises decide-then-record per debtor: a second attempt on any of the borrower's cases
        waits here and then reads a history that includes the first. On PostgreSQL it is ``FOR UPDATE`` on
        the case rows, taken in id order so two lockers never deadlock; SQLite's ``BEGIN IMMEDIATE``
        already holds the database's single write lock for the whole transaction.
        """
        q = (
            sa.select(cases)
            .where(cases.c.institution_id == institution_id, cases.c.borrower_ref == borrower_ref)
            .order_by(cases.c.id)
        )
        if self.conn.dialect.name != "sqlite":
            q = q.with_for_update()
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def list_cases(
        self,
        institution_id: int,
        *,
        collector: str | None = None,
        status: str | None = "open",
        limit: int = 200,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        q = sa.select(cases).where(cases.c.institution_id == institution_id)
        if collector is not None:
            q = q.where(cases.c.collector == collector)
        if status is not None:
            q = q.where(cases.c.status == status)
        q = q.order_by(cases.c.days_past_due.desc(), cases.c.id).limit(limit).offset(offset)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def update_case(self, institution_id: int, case_id: int, values: Mapping[str, Any]) -> None:
        q = cases.update().where(cases.c.institution_id == institution_id, cases.c.id == case_id).values(**values)
        if self.conn.execute(q).rowcount != 1:
            raise NotFound(f"case {case_id} not found")

    # attempts ---------------------------------------------------------------------------------
    def add_attempts(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(attempts.insert(), batch)
        return len(batch)

    def attempts_of_borrower(
        self, institution_id: int, borrower_ref: str, since: datetime | None = None
    ) -> list[dict[str, Any]]:
        q = sa.select(attempts).where(
            attempts.c.institution_id == institution_id, attempts.c.borrower_ref == borrower_ref
        )
        if since is not None:
            q = q.where(attempts.c.at >= since)
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(attempts.c.at, attempts.c.id))]

    # many borrowers at once --------------------------------------------------------------------
    def facts_of_borrower(self, institution_id: int, borrower_ref: str) -> BorrowerFacts:
        """One borrower's cases, attempts and consents (three queries)."""
        return BorrowerFacts(
            self.cases_of_borrower(institution_id, borrower_ref),
            self.attempts_of_borrower(institution_id, borrower_ref),
            self.consents_of(institution_id, borrower_ref),
        )

    def facts_of_borrowers(self, institution_id: int, borrower_refs: Iterable[str]) -> dict[str, BorrowerFacts]:
        """Facts of many borrowers in three queries per :data:`IN_CHUNK` borrowers (a work-queue page).

        Each borrower's rows come in the same order as :meth:`facts_of_borrower` gives them.
        """
        refs = sorted(set(borrower_refs))
        out = {ref: BorrowerFacts([], [], []) for ref in refs}
        for i in range(0, len(refs), IN_CHUNK):
            chunk = refs[i : i + IN_CHUNK]
            for table, order, slot in (
                (cases, (cases.c.id,), 0),
                (attempts, (attempts.c.at, attempts.c.id), 1),
                (contact_consents, (contact_consents.c.id,), 2),
            ):
                for row in self._of_borrowers(table, institution_id, chunk, order):
                    out[row["borrower_ref"]][slot].append(row)
        return out

    def _of_borrowers(
        self, table: sa.Table, institution_id: int, refs: Sequence[str], order: Sequence[Any]
    ) -> list[dict[str, Any]]:
        q = sa.select(table).where(table.c.institution_id == institution_id, table.c.borrower_ref.in_(refs))
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(table.c.borrower_ref, *order))]

    # blocked attempts -------------------------------------------------------------------------
    def add_blocked(self, institution_id: int, row: Mapping[str, Any]) -> int:
        result = self.conn.execute(blocked.insert().values(**row, institution_id=institution_id))
        return _new_id(result)

    def list_blocked(self, institution_id: int, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
        q = (
            sa.select(blocked)
            .where(blocked.c.institution_id == institution_id)
            .order_by(blocked.c.recorded_at.desc(), blocked.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [dict(r._mapping) for r in self.conn.execute(q)]

    # promises, plans, events, consents ----------------------------------------------------------
    def add_promise(self, institution_id: int, row: Mapping[str, Any]) -> int:
        return _new_id(self.conn.execute(promises.insert().values(**row, institution_id=institution_id)))

    def promise(self, institution_id: int, promise_id: int) -> dict[str, Any]:
        q = sa.select(promises).where(promises.c.institution_id == institution_id, promises.c.id == promise_id)
        return _one(self.conn.execute(q).first(), "promise", promise_id)

    def set_promise_status(self, institution_id: int, promise_id: int, status: str) -> None:
        q = promises.update().where(promises.c.institution_id == institution_id, promises.c.id == promise_id)
        if self.conn.execute(q.values(status=status)).rowcount != 1:
            raise NotFound(f"promise {promise_id} not found")

    def promises_of(self, institution_id: int, case_ref: str) -> list[dict[str, Any]]:
        q = sa.select(promises).where(promises.c.institution_id == institution_id, promises.c.case_ref == case_ref)
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(promises.c.id))]

    def add_plan(self, institution_id: int, row: Mapping[str, Any]) -> int:
        return _new_id(self.conn.execute(plans.insert().values(**row, institution_id=institution_id)))

    def plans_of(self, institution_id: int, case_ref: str) -> list[dict[str, Any]]:
        q = sa.select(plans).where(plans.c.institution_id == institution_id, plans.c.case_ref == case_ref)
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(plans.c.id))]

    def add_event(self, institution_id: int, row: Mapping[str, Any]) -> None:
        self.conn.execute(events.insert().values(**row, institution_id=institution_id))

    def events_of(self, institution_id: int, case_ref: str) -> list[dict[str, Any]]:
        q = sa.select(events).where(events.c.institution_id == institution_id, events.c.case_ref == case_ref)
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(events.c.id))]

    def add_consent(self, institution_id: int, row: Mapping[str, Any]) -> None:
        self.conn.execute(contact_consents.insert().values(**row, institution_id=institution_id))

    def consents_of(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        q = sa.select(contact_consents).where(
            contact_consents.c.institution_id == institution_id, contact_consents.c.borrower_ref == borrower_ref
        )
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(contact_consents.c.id))]

    # policy -------------------------------------------------------------------------------------
    def policy(self, institution_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(sa.select(policies).where(policies.c.institution_id == institution_id)).first()
        return None if row is None else dict(row._mapping)

    def set_policy(self, institution_id: int, pack: str, overrides: Mapping[str, Any], now: datetime) -> None:
        self.conn.execute(policies.delete().where(policies.c.institution_id == institution_id))
        self.conn.execute(
            policies.insert().values(
                institution_id=institution_id, pack=pack, overrides=dict(overrides), updated_at=now
            )
        )
