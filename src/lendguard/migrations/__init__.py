"""Alembic environment. Revisions live with their capability: ``<capability>/migrations/``."""
