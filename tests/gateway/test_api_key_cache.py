"""API keys are cached for a short time (the gateway's hot path), but revocation still bites."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from lendguard.platform.bootstrap import Container
from lendguard.platform.credentials import split_api_key
from lendguard.platform.deps import ApiKeyCache
from lendguard.platform.model import Principal, Role
from lendguard.platform.store import api_keys
from tests.conftest import make_tenant


class Counting:
    """Counts the tenancy's key look-ups."""

    def __init__(self, container: Container) -> None:
        self.calls = 0
        self.tenancy = container.tenancy
        real = container.tenancy.principal_for_api_key

        def counted(key: str) -> Principal | None:
            self.calls += 1
            return real(key)

        container.tenancy.principal_for_api_key = counted  # type: ignore[method-assign,assignment]


def key_id(container: Container, key: str) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(api_keys.c.id).where(api_keys.c.prefix == split_api_key(key))).scalar_one())


def test_a_cached_key_skips_the_look_up_and_a_revoked_key_is_refused_at_once(
    client: TestClient, container: Container
) -> None:
    tenant = make_tenant(container, "lender-k")
    counting = Counting(container)
    headers = tenant.headers(Role.GATEWAY_CLIENT)
    assert client.get("/v1/me", headers=headers).status_code == 200
    assert client.get("/v1/me", headers=headers).status_code == 200
    assert counting.calls == 1  # the second call was served from the cache
    admin = tenant.users[Role.ADMIN]
    container.tenancy.revoke_api_key(admin, key_id(container, tenant.keys[Role.GATEWAY_CLIENT]))
    assert client.get("/v1/me", headers=headers).status_code == 401
    assert counting.calls == 2


def test_a_deactivated_user_is_refused_at_once(client: TestClient, container: Container) -> None:
    tenant = make_tenant(container, "lender-k")
    headers = tenant.headers(Role.GATEWAY_CLIENT)
    assert client.get("/v1/me", headers=headers).status_code == 200
    user = tenant.users[Role.GATEWAY_CLIENT]
    container.tenancy.set_users_active(tenant.users[Role.ADMIN], [user.user_id], False)
    assert client.get("/v1/me", headers=headers).status_code == 401


def test_a_revocation_by_another_process_bites_once_the_entry_expires(container: Container) -> None:
    tenant = make_tenant(container, "lender-k")
    key = tenant.keys[Role.GATEWAY_CLIENT]
    now = [100.0]
    cache = ApiKeyCache(ttl=1.0, clock=lambda: now[0])
    assert cache.principal(container.tenancy, key) is not None
    # Another worker process revokes it: this process's tenancy never hears of it.
    with container.engine.begin() as conn:
        conn.execute(
            sa.update(api_keys).where(api_keys.c.prefix == split_api_key(key)).values(revoked_at=sa.func.now())
        )
    now[0] += 0.5
    assert cache.principal(container.tenancy, key) is not None  # still fresh: at most ttl of grace
    now[0] += 0.6
    assert cache.principal(container.tenancy, key) is None
    assert cache.principal(container.tenancy, "lg_nonsense") is None
