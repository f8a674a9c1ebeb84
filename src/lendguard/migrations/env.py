"""Alembic environment: runs on the connection handed over by :mod:`lendguard.platform.migrate`."""

from __future__ import annotations

from alembic import context

from lendguard.platform.migrate import target_metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=target_metadata(), render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
