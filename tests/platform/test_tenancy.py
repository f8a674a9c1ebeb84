"""A request of institution A can never read or change a row of institution B."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lendguard.platform.model import Role
from tests.conftest import Tenant


def test_a_user_of_another_institution_is_not_found_by_id_guessing(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    victim = tenant_b.users[Role.COLLECTOR].user_id
    response = client.get(f"/v1/users/{victim}", headers=tenant_a.headers(Role.ADMIN))
    assert response.status_code == 404
    # Sweep every id around the victim: only A's own users ever come back.
    seen = set()
    for user_id in range(1, victim + 10):
        r = client.get(f"/v1/users/{user_id}", headers=tenant_a.headers(Role.ADMIN))
        if r.status_code == 200:
            seen.add(r.json()["username"])
    assert seen and all(name.startswith("lender-a-") for name in seen)


def test_filters_cannot_widen_a_listing_to_another_institution(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    response = client.get(
        "/v1/users",
        params={"role": "collector", "institution_id": tenant_b.institution_id},
        headers=tenant_a.headers(Role.ADMIN),
    )
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == ["lender-a-collector"]


def test_bulk_deactivation_never_touches_another_institutions_users(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    theirs = [p.user_id for p in tenant_b.users.values()]
    mine = tenant_a.users[Role.COLLECTOR].user_id
    response = client.post(
        "/v1/users:set-active",
        json={"user_ids": [*theirs, mine], "active": False},
        headers=tenant_a.headers(Role.ADMIN),
    )
    assert response.status_code == 200
    assert response.json() == {"changed": [mine]}
    still_active = client.get("/v1/users", params={"active": True}, headers=tenant_b.headers(Role.ADMIN)).json()
    assert len(still_active) == len(Role)


def test_api_key_revocation_by_another_institution_is_not_found(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    keys_b = client.get("/v1/api-keys", headers=tenant_b.headers(Role.ADMIN)).json()
    for key in keys_b:
        assert client.delete(f"/v1/api-keys/{key['id']}", headers=tenant_a.headers(Role.ADMIN)).status_code == 404
    assert client.get("/v1/me", headers=tenant_b.headers(Role.COLLECTOR)).status_code == 200


def test_api_key_listings_show_no_secret_and_only_own_keys(
    client: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    keys = client.get("/v1/api-keys", headers=tenant_a.headers(Role.ADMIN)).json()
    assert len(keys) == len(Role)
    assert all("key" not in k and "key_hash" not in k for k in keys)
