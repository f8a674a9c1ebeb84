"""Tables and repositories of the loan book."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.platform.db import BigIntId, metadata
from lendguard.platform.model import NotFound
from lendguard.platform.store import UTC_TS

Money = sa.Numeric(16, 2)

borrowers = sa.Table(
    "borrowers",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False, comment="pseudonymous borrower id (the subject id)"),
    sa.Column("province", sa.String(40), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("registered_at", UTC_TS, nullable=False),
    sa.UniqueConstraint("institution_id", "ref", name="uq_borrowers_institution_ref"),
)

loans = sa.Table(
    "loans",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("product", sa.String(60), nullable=False),
    sa.Column("principal", Money, nullable=False),
    sa.Column("nominal_rate", sa.Numeric(10, 6), nullable=False, comment="contract nominal annual rate"),
    sa.Column("instalment_count", sa.Integer, nullable=False),
    sa.Column("frequency", sa.String(20), nullable=False),
    sa.Column("disbursed_at", UTC_TS, nullable=False),
    sa.Column("upfront_fee", Money, nullable=False, server_default="0"),
    sa.Column("fee_per_period", Money, nullable=False, server_default="0"),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("outstanding", Money, nullable=False),
    sa.UniqueConstraint("institution_id", "ref", name="uq_loans_institution_ref"),
    sa.Index("ix_loans_institution_stage", "institution_id", "stage"),
    sa.Index("ix_loans_institution_borrower", "institution_id", "borrower_ref"),
)

instalments = sa.Table(
    "instalments",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("loan_ref", sa.String(40), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("principal_due", Money, nullable=False),
    sa.Column("interest_due", Money, nullable=False),
    sa.Column("fee_due", Money, nullable=False),
    sa.Column("paid_amount", Money, nullable=False),
    sa.Column("paid_at", UTC_TS, nullable=True),
    sa.UniqueConstraint("institution_id", "loan_ref", "seq", name="uq_instalments_loan_seq"),
)


def _insert_many(conn: Connection, table: sa.Table, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
    batch = [{**row, "institution_id": institution_id} for row in rows]
    if batch:
        conn.execute(table.insert(), batch)
    return len(batch)


class LoanBookRepository:
    """Reads and bulk writes of one institution's loan book."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_borrowers(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        return _insert_many(self.conn, borrowers, institution_id, rows)

    def add_loans(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        return _insert_many(self.conn, loans, institution_id, rows)

    def add_instalments(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        return _insert_many(self.conn, instalments, institution_id, rows)

    def stage_counts(self, institution_id: int) -> dict[str, int]:
        query = (
            sa.select(loans.c.stage, sa.func.count())
            .where(loans.c.institution_id == institution_id)
            .group_by(loans.c.stage)
        )
        return {str(stage): int(n) for stage, n in self.conn.execute(query)}

    def borrower_count(self, institution_id: int) -> int:
        query = sa.select(sa.func.count()).select_from(borrowers).where(borrowers.c.institution_id == institution_id)
        return int(self.conn.execute(query).scalar_one())

    def loans(
        self,
        institution_id: int,
        *,
        stage: str | None = None,
        borrower_ref: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        query = sa.select(loans).where(loans.c.institution_id == institution_id)
        if stage is not None:
            query = query.where(loans.c.stage == stage)
        if borrower_ref is not None:
            query = query.where(loans.c.borrower_ref == borrower_ref)
        query = query.order_by(loans.c.id).limit(limit).offset(offset)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def loan(self, institution_id: int, loan_id: int) -> dict[str, Any]:
        row = (
            self.conn.execute(sa.select(loans).where(loans.c.institution_id == institution_id, loans.c.id == loan_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"loan {loan_id}")
        return dict(row)

    def schedule(self, institution_id: int, loan_ref: str) -> list[dict[str, Any]]:
        query = (
            sa.select(instalments)
            .where(instalments.c.institution_id == institution_id, instalments.c.loan_ref == loan_ref)
            .order_by(instalments.c.seq)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def borrower(self, institution_id: int, ref: str) -> dict[str, Any]:
        row = (
            self.conn.execute(
                sa.select(borrowers).where(borrowers.c.institution_id == institution_id, borrowers.c.ref == ref)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"borrower {ref}")
        return dict(row)
