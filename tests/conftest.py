"""Shared fixtures: a clean database per test on SQLite and, when configured, on PostgreSQL.

Set ``LENDGUARD_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``) to run every
database test on PostgreSQL as well; each test then gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from lendguard.platform.app import create_app
from lendguard.platform.bootstrap import Container, bootstrap
from lendguard.platform.clock import FixedClock
from lendguard.platform.db import make_engine, normalise_url
from lendguard.platform.migrate import upgrade
from lendguard.platform.model import InstitutionKind, Principal, Role
from lendguard.platform.settings import Settings

# Browser fixtures (live_server, chromium) live in tests/browser.py.
pytest_plugins = ["tests.browser"]

PG_URL = os.environ.get("LENDGUARD_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
TEST_PASSWORD = "correct horse battery staple"
EPOCH = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database (SQLite file, or a fresh PostgreSQL schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{normalise_url(PG_URL)}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a clean, fully migrated database."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(environment="test", database_url=db_url, security={"password_cost": 10})  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(EPOCH)


@pytest.fixture
def container(settings: Settings, engine: Engine, clock: FixedClock) -> Container:
    """The composition root on the test database with a fixed clock."""
    return bootstrap(settings, engine=engine, clock=clock)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """An in-process HTTP client against a freshly built app."""
    with TestClient(create_app(container)) as client:
        yield client


@dataclass
class Tenant:
    """An institution with one user per role, each with an API key."""

    institution_id: int
    code: str
    users: dict[Role, Principal]
    keys: dict[Role, str]

    def headers(self, role: Role) -> dict[str, str]:
        """Authorization header of the user holding ``role``."""
        return {"Authorization": f"Bearer {self.keys[role]}"}


def make_tenant(container: Container, code: str, kind: InstitutionKind = InstitutionKind.LENDER) -> Tenant:
    """Create an institution with a user and an API key for every role."""
    institution_id = container.tenancy.create_institution(code, f"{code} Ltd", kind)
    users: dict[Role, Principal] = {}
    keys: dict[Role, str] = {}
    for role in Role:
        username = f"{code}-{role.value}"
        subject = f"{code}-B0001" if role is Role.BORROWER else None
        container.tenancy.create_user(institution_id, username, TEST_PASSWORD, {role}, subject_id=subject)
        principal = container.tenancy.login(username, TEST_PASSWORD)
        assert principal is not None
        users[role] = principal
        keys[role] = container.tenancy.issue_api_key(principal, "test").key
    return Tenant(institution_id, code, users, keys)


@pytest.fixture
def tenant_a(container: Container) -> Tenant:
    return make_tenant(container, "lender-a")


@pytest.fixture
def tenant_b(container: Container) -> Tenant:
    return make_tenant(container, "lender-b")
