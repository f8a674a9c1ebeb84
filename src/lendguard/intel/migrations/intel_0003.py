"""Ring intelligence: erasure holds of borrowers' ring evidence

Revision ID: intel_0003
Revises: intel_0002
Create Date: 2026-11-26T09:51:25+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "intel_0003"
down_revision = "intel_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intel_erasure_holds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ring_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_ref", sa.String(length=120), nullable=False, comment="pseudonymous borrower id"),
        sa.Column("reason", sa.Text(), nullable=False, comment="the legal reason the evidence is kept"),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "released_at", sa.DateTime(timezone=True), nullable=True, comment="when the held erasure was applied"
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_intel_erasure_holds_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["ring_id"], ["intel_rings.id"], name=op.f("fk_intel_erasure_holds_ring_id_intel_rings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_erasure_holds")),
    )
    with op.batch_alter_table("intel_erasure_holds", schema=None) as batch_op:
        batch_op.create_index("ix_intel_erasure_holds_ring", ["institution_id", "ring_id"], unique=False)
        batch_op.create_index("ix_intel_erasure_holds_subject", ["institution_id", "subject_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intel_erasure_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_intel_erasure_holds_subject")
        batch_op.drop_index("ix_intel_erasure_holds_ring")

    op.drop_table("intel_erasure_holds")
