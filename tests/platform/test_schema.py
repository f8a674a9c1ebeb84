"""Migrations and the tables declared in code describe the same schema on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from lendguard.platform.migrate import is_up_to_date, target_metadata, upgrade


def test_migrations_create_exactly_the_tables_declared_in_code(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), target_metadata())
    assert diff == []


def test_upgrade_is_idempotent_and_leaves_the_database_current(engine: Engine) -> None:
    upgrade(engine)
    assert is_up_to_date(engine)


def test_healthz_reports_the_database(client: TestClient, engine: Engine) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] == engine.dialect.name


def test_openapi_document_lists_the_v1_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/me" in paths and "/v1/lending/loans" in paths
    assert client.get("/docs").status_code == 200
