"""Loan book: borrowers, loans, instalments

Revision ID: lending_0001
Revises: None
Create Date: 2026-11-26T06:03:41+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lending_0001"
down_revision = None
branch_labels = ("lending",)
depends_on = "platform_0001"


def upgrade() -> None:
    op.create_table(
        "borrowers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False, comment="pseudonymous borrower id (the subject id)"),
        sa.Column("province", sa.String(length=40), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_borrowers_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_borrowers")),
        sa.UniqueConstraint("institution_id", "ref", name="uq_borrowers_institution_ref"),
    )
    op.create_table(
        "instalments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("loan_ref", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal_due", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("interest_due", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("fee_due", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("paid_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_instalments_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instalments")),
        sa.UniqueConstraint("institution_id", "loan_ref", "seq", name="uq_instalments_loan_seq"),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=60), nullable=False),
        sa.Column("principal", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column(
            "nominal_rate", sa.Numeric(precision=10, scale=6), nullable=False, comment="contract nominal annual rate"
        ),
        sa.Column("instalment_count", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("disbursed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upfront_fee", sa.Numeric(precision=16, scale=2), server_default="0", nullable=False),
        sa.Column("fee_per_period", sa.Numeric(precision=16, scale=2), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("outstanding", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_loans_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("institution_id", "ref", name="uq_loans_institution_ref"),
    )
    op.create_index("ix_loans_institution_borrower", "loans", ["institution_id", "borrower_ref"], unique=False)
    op.create_index("ix_loans_institution_stage", "loans", ["institution_id", "stage"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_loans_institution_stage", table_name="loans")
    op.drop_index("ix_loans_institution_borrower", table_name="loans")
    op.drop_table("loans")
    op.drop_table("instalments")
    op.drop_table("borrowers")
