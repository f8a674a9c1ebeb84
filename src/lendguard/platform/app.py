"""The FastAPI app factory: API routers under /v1, server-rendered pages, /healthz, OpenAPI at /docs."""

from __future__ import annotations

import importlib
import json

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.middleware.sessions import SessionMiddleware

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


def _error(status_code: int, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status_code)


def create_app(container: Container) -> FastAPI:
    """Build the ASGI app around an already bootstrapped container."""
    app = FastAPI(
        title="lendguard",
        version=__version__,
        description="Lawful collection, personal-data governance, credit-data gateway and fraud intelligence.",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.container = container
    app.add_middleware(
        SessionMiddleware,
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
    return app
