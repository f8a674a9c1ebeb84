"""The app's fast paths (route index, session skip for API-key calls) answer exactly like the stock app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from lendguard.platform.app import PageSessionMiddleware, create_app
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import TEST_PASSWORD, Tenant

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EXTRA_PATHS = ("/v1", "/v1/nope", "/nope", "/v1/gateway", "/v1/gateway/nope/1")


def stock(app: FastAPI) -> FastAPI:
    """The same app as FastAPI would build it: no route index, Starlette's own session middleware."""
    app.router.routes[:] = [r for r in app.router.routes if type(r).__name__ != "_RouteIndex"]
    options: list[dict[str, Any]] = [m.kwargs for m in app.user_middleware if m.cls is PageSessionMiddleware]
    assert len(options) == 1
    app.user_middleware = [m for m in app.user_middleware if m.cls is not PageSessionMiddleware]
    app.user_middleware.insert(0, Middleware(SessionMiddleware, **options[0]))
    app.middleware_stack = None  # rebuilt from user_middleware on the next request
    return app


def concrete_paths(app: FastAPI) -> list[str]:
    """Every route's path with each parameter filled in."""
    paths = {re.sub(r"\{[^}]+\}", "1", c.path) for c in iter_route_contexts(app.routes) if isinstance(c.path, str)}
    return sorted(paths)


def answer(client: TestClient, method: str, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    response = client.request(method, path, headers=headers, follow_redirects=False)
    return response.status_code, sorted(response.headers.multi_items()), response.content


@pytest.fixture
def clients(container: Container) -> tuple[TestClient, TestClient]:
    """A client on the app as built and one on the stock app, both on the same database."""
    return TestClient(create_app(container)), TestClient(stock(create_app(container)))


def test_the_openapi_document_is_the_stock_one(clients: tuple[TestClient, TestClient]) -> None:
    fast, reference = clients
    document = fast.get("/openapi.json").json()
    assert document == reference.get("/openapi.json").json()
    assert len(document["paths"]) > 50
    bearer = {"type": "http", "description": "An API key: `Authorization: Bearer lg_...`", "scheme": "bearer"}
    assert document["components"]["securitySchemes"] == {"HTTPBearer": bearer}
    secured = [op.get("security") for path in document["paths"].values() for op in path.values()]
    assert secured.count([{"HTTPBearer": []}]) >= 60  # every authenticated operation names the scheme


def test_every_path_and_method_gets_the_stock_answer(clients: tuple[TestClient, TestClient], tenant_a: Tenant) -> None:
    fast, reference = clients
    bad_key = {"Authorization": "Bearer lg_000000000000_nope"}
    key = tenant_a.headers(Role.ADMIN)
    paths = concrete_paths(reference.app)  # type: ignore[arg-type]
    requests: list[tuple[str, str, dict[str, str]]] = [(method, path, {}) for path in paths for method in METHODS]
    requests += [(method, path, bad_key) for path in paths for method in ("GET", "POST")]
    requests += [("GET", path, key) for path in paths]  # reads only: both apps see the same database
    slashed = {p.rstrip("/") + "/" for p in paths} - set(paths)
    requests += [("GET", path, headers) for path in sorted(slashed) + list(EXTRA_PATHS) for headers in ({}, key)]
    odd_headers = ({**bad_key, "Cookie": "session=forged"}, {"Authorization": "Basic dXNlcjpwYXNz"})
    requests += [("GET", path, headers) for path in ("/v1/me", "/v1/gateway/clients", "/") for headers in odd_headers]
    for method, path, headers in requests:
        assert answer(fast, method, path, headers) == answer(reference, method, path, headers), (method, path, headers)
    assert len(paths) > 90


def test_page_sessions_still_authenticate_api_calls(clients: tuple[TestClient, TestClient], tenant_a: Tenant) -> None:
    fast, _ = clients
    login = {"username": "lender-a-analyst", "password": TEST_PASSWORD}
    assert fast.post("/login", data=login, follow_redirects=False).status_code == 303
    assert fast.get("/v1/me").json()["roles"] == ["analyst"]  # the cookie alone
    with_key = fast.get("/v1/me", headers=tenant_a.headers(Role.ADMIN))  # a key wins over the cookie
    assert with_key.json()["username"] == "lender-a-admin"
    fast.post("/logout")
    assert fast.get("/v1/me").status_code == 401


def test_only_cookie_less_api_key_calls_skip_the_session(container: Container, tenant_a: Tenant) -> None:
    app = create_app(container)

    async def probe(request: Request) -> dict[str, bool]:
        return {"session": "session" in request.scope}

    # Added after create_app, like the benchmark's baseline route: the route index picks it up.
    app.add_api_route("/v1/probe", probe)
    app.add_api_route("/probe", probe)
    client = TestClient(app)
    key = tenant_a.headers(Role.ADMIN)
    assert client.get("/v1/probe", headers=key).json() == {"session": False}
    assert client.get("/v1/probe", headers={**key, "Cookie": "other=1"}).json() == {"session": True}
    assert client.get("/v1/probe").json() == {"session": True}
    assert client.get("/v1/probe", headers={"Authorization": "Bearer "}).json() == {"session": True}
    assert client.get("/probe", headers=key).json() == {"session": True}


def test_the_route_index_skips_routes_a_path_cannot_match(container: Container) -> None:
    app = create_app(container)
    lending = next(r for r in app.router.routes if "/v1/lending/loans" in {c.path for c in iter_route_contexts([r])})

    def refuse(scope: Any) -> Any:
        raise AssertionError("tried a router whose paths cannot match")

    lending.matches = refuse  # type: ignore[method-assign]
    assert TestClient(app).get("/v1/gateway/clients").status_code == 401
