"""FastAPI dependencies: the container and the authenticated principal (``Annotated`` style)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from lendguard.platform.bootstrap import Container
from lendguard.platform.credentials import hash_api_key
from lendguard.platform.model import Principal
from lendguard.platform.service import TenancyService

SESSION_USER_KEY = "user_id"


async def get_container(request: Request) -> Container:
    """The container the app was built with (async: no I/O, so no threadpool hop per request)."""
    container: Container = request.app.state.container
    return container


AppContainer = Annotated[Container, Depends(get_container)]

API_KEY_CACHE_SECONDS = 1.0


class ApiKeyCache:
    """API key -> principal for ``ttl`` seconds, so a busy client's calls skip the key look-up.

    Entries are keyed by the key's SHA-256 (the cache never holds a key in clear) and remember the
    tenancy's ``credentials_version`` read *before* the look-up: a revocation or deactivation through
    this process bumps it, so the next call looks again and is refused at once. Other worker processes
    see the change within ``ttl``. Unknown or revoked keys are never cached.
    """

    def __init__(self, ttl: float = API_KEY_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[float, int, Principal]] = {}
        self._lock = threading.Lock()

    def fresh(self, tenancy: TenancyService, full_key: str) -> Principal | None:
        """The key's owner if cached, fresh and no credential changed since; else None (look it up)."""
        hit = self._entries.get(hash_api_key(full_key))
        if hit is not None and hit[0] > self.clock() and hit[1] == tenancy.credentials_version:
            return hit[2]
        return None

    def principal(self, tenancy: TenancyService, full_key: str) -> Principal | None:
        """The key's owner (from the cache while fresh and no credential changed), else None."""
        cached = self.fresh(tenancy, full_key)
        if cached is not None:
            return cached
        digest = hash_api_key(full_key)
        version = tenancy.credentials_version
        now = self.clock()
        principal = tenancy.principal_for_api_key(full_key)
        with self._lock:
            if principal is None:
                self._entries.pop(digest, None)
            else:
                if len(self._entries) >= 10_000:  # bounded: drop everything rather than track ages
                    self._entries.clear()
                self._entries[digest] = (now + self.ttl, version, principal)
        return principal


def api_key_cache(request: Request) -> ApiKeyCache:
    """The app's API-key cache (one per app, created on first use)."""
    cache: ApiKeyCache | None = getattr(request.app.state, "api_key_cache", None)
    if cache is None:
        cache = request.app.state.api_key_cache = ApiKeyCache()
    return cache


class ApiKeyOrSession(HTTPBearer):
    """The API's security scheme (``HTTPBearer`` in OpenAPI), resolving straight to the calling principal.

    One dependency where there were three (the principal, the container and the bearer credentials):
    FastAPI solves every dependency of every request in turn, ~10 µs apiece, and the gateway's query
    endpoint pays it on each call.
    """

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        """The caller, from an API key (``Authorization: Bearer``) or from a page session cookie.

        Async, so a cached key costs no threadpool hop; database look-ups run in the threadpool.
        """
        credentials = await super().__call__(request)
        container: Container = request.app.state.container
        if credentials is not None:
            cache = api_key_cache(request)
            principal = cache.fresh(container.tenancy, credentials.credentials)
            if principal is None:
                principal = await run_in_threadpool(cache.principal, container.tenancy, credentials.credentials)
            if principal is None:
                raise HTTPException(
                    status.HTTP_401_UNAUTHORIZED,
                    "invalid or revoked API key",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return principal
        user_id = request.session.get(SESSION_USER_KEY) if "session" in request.scope else None
        if user_id is not None:
            principal = await run_in_threadpool(container.tenancy.principal_for_user, int(user_id))
            if principal is not None:
                return principal
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "authentication required", headers={"WWW-Authenticate": "Bearer"}
        )


current_principal = ApiKeyOrSession(
    auto_error=False, scheme_name="HTTPBearer", description="An API key: `Authorization: Bearer lg_...`"
)
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
