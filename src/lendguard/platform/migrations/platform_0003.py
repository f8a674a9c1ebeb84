"""audit: last checkpoint on the chain head

Revision ID: platform_0003
Revises: platform_0002
Create Date: 2026-11-26T06:36:48+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "platform_0003"
down_revision = "platform_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_chain_heads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpoint_seq", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("checkpoint_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event_chain_heads", schema=None) as batch_op:
        batch_op.drop_column("checkpoint_at")
        batch_op.drop_column("checkpoint_seq")
