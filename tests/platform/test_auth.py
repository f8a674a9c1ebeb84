"""API keys, sessions and roles."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.platform.bootstrap import Container
from lendguard.platform.credentials import hash_api_key
from lendguard.platform.model import Role
from lendguard.platform.store import api_keys
from tests.conftest import TEST_PASSWORD, Tenant


def test_a_new_api_key_is_shown_once_and_stored_only_as_a_hash(
    client: TestClient, container: Container, tenant_a: Tenant
) -> None:
    response = client.post("/v1/api-keys", json={"name": "batch"}, headers=tenant_a.headers(Role.ADMIN))
    assert response.status_code == 201
    key = response.json()["key"]
    with container.engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(sa.select(api_keys)).mappings()]
    assert not any(key in str(value) for row in stored for value in row.values())
    assert hash_api_key(key) in {row["key_hash"] for row in stored}
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).json()["username"] == "lender-a-admin"


def test_requests_without_or_with_a_bad_key_are_refused(client: TestClient, tenant_a: Tenant) -> None:
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers={"Authorization": "Bearer lg_000000000000_nope"}).status_code == 401


def test_a_revoked_key_stops_working(client: TestClient, tenant_a: Tenant) -> None:
    created = client.post("/v1/api-keys", json={"name": "tmp"}, headers=tenant_a.headers(Role.ADMIN)).json()
    assert client.delete(f"/v1/api-keys/{created['id']}", headers=tenant_a.headers(Role.ADMIN)).status_code == 204
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {created['key']}"}).status_code == 401


def test_a_collector_cannot_list_users(client: TestClient, tenant_a: Tenant) -> None:
    assert client.get("/v1/users", headers=tenant_a.headers(Role.COLLECTOR)).status_code == 403


def test_login_sets_a_session_that_the_api_accepts(client: TestClient, tenant_a: Tenant) -> None:
    bad = client.post("/login", data={"username": "lender-a-analyst", "password": "wrong"})
    assert bad.status_code == 401
    ok = client.post("/login", data={"username": "lender-a-analyst", "password": TEST_PASSWORD}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/v1/me").json()["roles"] == ["analyst"]
    client.post("/logout")
    assert client.get("/v1/me").status_code == 401


def test_pages_redirect_to_login_when_not_signed_in(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_login_never_redirects_off_site(client: TestClient, tenant_a: Tenant) -> None:
    response = client.post(
        "/login",
        data={"username": "lender-a-admin", "password": TEST_PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
