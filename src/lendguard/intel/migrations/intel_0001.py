"""Ring detection: runs, rings, analyst decisions

Revision ID: intel_0001
Revises: None
Create Date: 2026-11-26T06:21:43+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql, sqlite

revision = "intel_0001"
down_revision = None
branch_labels = ("intel",)
depends_on = "platform_0001"


def upgrade() -> None:
    op.create_table(
        "intel_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False, comment="what was analysed (folder name, 'world')"),
        sa.Column(
            "parameters",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("ring_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_intel_runs_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_runs")),
    )
    op.create_index(op.f("ix_intel_runs_institution_id"), "intel_runs", ["institution_id"], unique=False)
    op.create_table(
        "intel_rings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ring_ref", sa.String(length=40), nullable=False, comment="ring_id of the detection output"),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("borrower_count", sa.Integer(), nullable=False, comment="this institution's borrowers"),
        sa.Column(
            "other_borrowers", sa.Integer(), nullable=False, comment="members at other institutions (count only)"
        ),
        sa.Column("status", sa.String(length=20), nullable=False, comment="open, confirmed or dismissed"),
        sa.Column(
            "document",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
            comment="borrowers, indicators, signals with evidence",
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_intel_rings_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["intel_runs.id"], name=op.f("fk_intel_rings_run_id_intel_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_rings")),
    )
    op.create_index("ix_intel_rings_institution_ref", "intel_rings", ["institution_id", "ring_ref"], unique=False)
    op.create_index("ix_intel_rings_institution_status", "intel_rings", ["institution_id", "status"], unique=False)
    op.create_table(
        "intel_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ring_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_intel_decisions_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(["ring_id"], ["intel_rings.id"], name=op.f("fk_intel_decisions_ring_id_intel_rings")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_intel_decisions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_decisions")),
    )
    op.create_index(op.f("ix_intel_decisions_ring_id"), "intel_decisions", ["ring_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_intel_decisions_ring_id"), table_name="intel_decisions")
    op.drop_table("intel_decisions")
    op.drop_index("ix_intel_rings_institution_status", table_name="intel_rings")
    op.drop_index("ix_intel_rings_institution_ref", table_name="intel_rings")
    op.drop_table("intel_rings")
    op.drop_index(op.f("ix_intel_runs_institution_id"), table_name="intel_runs")
    op.drop_table("intel_runs")
