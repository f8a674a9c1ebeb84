"""gateway: audit outbox

Revision ID: gateway_0002
Revises: gateway_0001
Create Date: 2026-11-26T09:17:32+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql, sqlite

revision = "gateway_0002"
down_revision = "gateway_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_audit_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "event",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
            comment="actor, action, subject, object, purpose, detail",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_audit_outbox_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_audit_outbox")),
    )
    with op.batch_alter_table("gateway_audit_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_gateway_audit_outbox_institution", ["institution_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gateway_audit_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_gateway_audit_outbox_institution")

    op.drop_table("gateway_audit_outbox")
