"""The FastAPI app factory: API routers under /v1, server-rendered pages, /healthz, OpenAPI at /docs."""

from __future__ import annotations

import gc
import importlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.security.utils import get_authorization_scheme_param
from starlette._utils import get_route_path
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Match, NoMatchFound, Router
from starlette.types import Receive, Scope, Send

from lendguard import __version__
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Conflict, NotFound, PermissionDenied

# Modules that define ``router``; each capability adds its own line.
API_MODULES: tuple[str, ...] = (
    "lendguard.platform.api",
    "lendguard.lending.api",
    "lendguard.collections.api",
    "lendguard.collections.screening.api",
    "lendguard.disclosure.api",
    "lendguard.privacy.api",
    "lendguard.gateway.api",
    "lendguard.intel.api",
)
PAGE_MODULES: tuple[str, ...] = (
    "lendguard.web.shell",
    "lendguard.web.collections",
    "lendguard.web.disclosure",
    "lendguard.web.privacy",
    "lendguard.web.intel",
    "lendguard.web.gateway",
)


_CLAIMED = "lendguard.route"  # scope key: the route _RouteIndex matched, handed from matches() to handle()


def _heads(route: BaseRoute) -> tuple[str, ...]:
    """The literal starts (up to the first ``{``) of every path ``route`` serves; ``""`` when unknown."""
    heads = []
    for context in iter_route_contexts([route]):
        path = context.path
        heads.append(path.split("{", 1)[0] if isinstance(path, str) and path.startswith("/") else "")
    return tuple(heads) or ("",)


class _RouteIndex(BaseRoute):
    """Sits first in the app's routes and finds the route a path selects without trying them all.

    The router tries every top-level route in order and each included router tries each of its routes
    (a regex and some bookkeeping apiece): a gateway query tried ~50 before its own, ~0.1 ms of CPU. A
    route's regex only matches paths that start with the literal part of its path, so this index keeps,
    per top-level route, those literal starts and tries only the routes whose starts the path has. The
    first full match among them is the first in the whole list, the one the router would select. It
    claims it when it is an included router (the router then does for it exactly what it would have
    done); it declines everything else — no full match (404, 405, slash redirects) or a plain route
    such as /healthz — and the router goes on scanning as before. The starts are read on first use and
    again when a route is appended (the benchmark adds one after :func:`create_app`); routes are not
    added to an already included router after the app starts serving.
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        self.entries: list[tuple[tuple[str, ...], BaseRoute]] = []
        self.size = -1

    def _refresh(self) -> None:
        routes = self.router.routes
        self.entries = [(_heads(route), route) for route in routes if route is not self]
        self.size = len(routes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FULL with the selected route's child scope when an included router fully matches; else NONE."""
        if scope["type"] != "http":
            return Match.NONE, {}
        if len(self.router.routes) != self.size:
            self._refresh()
        path = get_route_path(scope)
        for heads, route in self.entries:
            if path.startswith(heads):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    if getattr(route, "path_format", None) is not None:
                        return Match.NONE, {}  # a plain route: the router selects and reports it itself
                    return Match.FULL, {**child_scope, _CLAIMED: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to the route :meth:`matches` claimed (its child scope is already applied)."""
        route: BaseRoute = scope.pop(_CLAIMED)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        """Names nothing itself: the router asks the routes it indexes directly."""
        raise NoMatchFound(name, path_params)


class PageSessionMiddleware(SessionMiddleware):
    """Signed page sessions, skipped for API calls that present an API key and no cookie.

    Such a call is authenticated by its ``Authorization: Bearer`` header alone (``current_principal``
    reads the session only when there is no bearer credential, and no API route touches it), so the
    session would start empty, stay untouched and add no header: decoding the cookies and wrapping
    ``send`` bought nothing. Pages (outside ``/v1/``) and calls with a cookie get the full middleware.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass bearer-authenticated cookie-less ``/v1/`` calls straight through; sessions for the rest."""
        if scope["type"] == "http" and get_route_path(scope).startswith("/v1/") and _bearer_without_cookie(scope):
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def _bearer_without_cookie(scope: Scope) -> bool:
    """True when the request has no Cookie header and its Authorization header holds a bearer credential."""
    authorization = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            return False
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    # The same parse as the HTTPBearer dependency, which takes the first Authorization header.
    scheme, credentials = get_authorization_scheme_param(authorization)
    return scheme.lower() == "bearer" and bool(credentials)


def _error(status_code: int, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status_code)


@asynccontextmanager
async def _startup_heap_frozen(_app: FastAPI) -> AsyncIterator[None]:
    """Keep the objects that exist once the server has started out of the cyclic garbage collector.

    A started worker holds some 360,000 objects (modules, the SQLAlchemy metadata, routes and models)
    that live as long as it does. Each full collection scanned them all: under the gateway benchmark's
    load a worker ran one about every 20 s, 118 ms with the GIL held, stalling every request in flight
    (measured; frozen, the same collection took 3.7 ms). Frozen (``gc.freeze``) they are never
    scanned; garbage is still freed as before (by reference counting, cycles among newer objects by
    the collector).
    """
    gc.collect()  # do not freeze garbage that is only waiting for a collection
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def create_app(container: Container) -> FastAPI:
    """Build the ASGI app around an already bootstrapped container."""
    app = FastAPI(
        lifespan=_startup_heap_frozen,
        title="lendguard",
        version=__version__,
        description="Lawful collection, personal-data governance, credit-data gateway and fraud intelligence.",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.container = container
    app.add_middleware(
        PageSessionMiddleware,
        secret_key=container.settings.security.session_secret.reveal(),
        max_age=container.settings.security.session_max_age_s,
        same_site="lax",
        https_only=container.settings.environment == "production",
    )

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, exc)

    @app.exception_handler(PermissionDenied)
    async def _denied(_: Request, exc: PermissionDenied) -> JSONResponse:
        return _error(403, exc)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return _error(409, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own handler echoes the input in UTF-8; a lone surrogate (a "\ud800" escape in the JSON
        # body) cannot be encoded and turned a 422 into a 500. ASCII-escaped JSON carries it back as sent.
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.get("/healthz", tags=["platform"], summary="Liveness and database check")
    def healthz() -> dict[str, str]:
        with container.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__, "database": container.engine.dialect.name}

    for module_name in API_MODULES + PAGE_MODULES:
        app.include_router(importlib.import_module(module_name).router)
    app.router.routes.insert(0, _RouteIndex(app.router))
    return app
