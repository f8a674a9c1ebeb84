"""Ring intelligence: decisions carried over across runs

Revision ID: intel_0002
Revises: intel_0001
Create Date: 2026-11-26T08:52:27+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql, sqlite

revision = "intel_0002"
down_revision = "intel_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intel_decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "carried_from",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
                comment="the earlier ring whose decision this row carries over (null: decided on this ring)",
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_intel_decisions_carried_from_intel_rings"), "intel_rings", ["carried_from"], ["id"]
        )

    with op.batch_alter_table("intel_rings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "carryover",
                sa.JSON()
                .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
                .with_variant(sqlite.JSON(), "sqlite"),
                nullable=True,
                comment="earlier decision this ring inherited (carryover_model.CarryOver)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("intel_rings", schema=None) as batch_op:
        batch_op.drop_column("carryover")

    with op.batch_alter_table("intel_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_intel_decisions_carried_from_intel_rings"), type_="foreignkey")
        batch_op.drop_column("carried_from")
