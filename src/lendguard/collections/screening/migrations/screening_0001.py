"""screening: institution-specific stricter terms

Revision ID: screening_0001
Revises: None
Create Date: 2026-11-26T06:25:26+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "screening_0001"
down_revision = None
branch_labels = ("screening",)
depends_on = "platform_0001"


def upgrade() -> None:
    op.create_table(
        "screening_terms",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False, comment="screening category the term belongs to"),
        sa.Column("term", sa.String(length=100), nullable=False, comment="the stricter term (always blocks)"),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_screening_terms_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_terms")),
        sa.UniqueConstraint("institution_id", "category", "term", name="uq_screening_terms_institution_term"),
    )


def downgrade() -> None:
    op.drop_table("screening_terms")
