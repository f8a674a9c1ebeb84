"""A JSON body and headers validated by hand, answered as FastAPI's own parameters would be.

FastAPI solves an endpoint's body and header parameters with generic machinery (type introspection
on every request). On the gateway's query endpoint, its hottest, that cost more of the worker's time
than the JSON and the validation themselves (benchmarks/gateway.py, py-spy: ~120 µs of a ~810 µs
request, against ~30 µs for the whole of a path-parameter endpoint). :func:`read_json_body` does the
same work directly: the same content-type rule, the same pydantic validation and the same 422 body
(``loc`` under ``body`` or ``header``, every problem at once). :func:`openapi_extra` documents the
body and headers, since FastAPI no longer sees them as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

M = TypeVar("M", bound=BaseModel)

_NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"
VALIDATION_ERROR = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
}


async def read_json_body(
    request: Request, model: type[M], headers: Mapping[str, TypeAdapter[Any]]
) -> tuple[M, dict[str, Any]]:
    """The request's body as ``model`` and its ``headers`` (lower-case name -> adapter; an absent header
    is validated as None), or :class:`RequestValidationError` naming every problem.

    As FastAPI does for a body parameter: the body is parsed as JSON only under a JSON content type
    (``application/json`` or ``application/*+json``), otherwise the raw bytes are validated (and
    refused); an empty body is a missing one; a malformed one is ``json_invalid`` at its position.
    """
    errors: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for name, adapter in headers.items():
        try:
            values[name] = adapter.validate_python(request.headers.get(name))
        except ValidationError as exc:
            errors += _located("header", name, exc)
    raw = await request.body()
    body: M | None = None
    if not raw:
        errors.append({"type": "missing", "loc": ("body",), "msg": "Field required", "input": None})
    else:
        try:
            data: Any = json.loads(raw) if _is_json(request.headers.get("content-type")) else raw
        except json.JSONDecodeError as exc:
            errors.append(
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            )
        else:
            body = _validated(model, data, errors)
    if errors or body is None:
        raise RequestValidationError(errors)
    return body, values


def openapi_extra(model: type[BaseModel], headers: Mapping[str, TypeAdapter[Any]]) -> dict[str, Any]:
    """The OpenAPI ``requestBody``, header ``parameters`` and 422 response of an endpoint that reads them
    with :func:`read_json_body` (FastAPI documents a 422 only for the parameters it solves itself). The
    model's nested types and the 422's schema are referenced under ``components/schemas``, where the
    app's other operations put them (a test checks every reference resolves)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    parameters = [
        {
            "in": "header",
            "name": name,
            "required": False,
            "schema": {**adapter.json_schema(), "title": name.title()},
        }
        for name, adapter in headers.items()
    ]
    return {
        "parameters": parameters,
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"422": VALIDATION_ERROR},
    }


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _validated(model: type[M], data: Any, errors: list[dict[str, Any]]) -> M | None:
    if not isinstance(data, dict):
        # FastAPI validates with attributes allowed, so anything but an object is refused this way.
        errors.append({"type": "model_attributes_type", "loc": ("body",), "msg": _NOT_AN_OBJECT, "input": data})
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors += _located("body", None, exc)
        return None


def _located(where: str, name: str | None, exc: ValidationError) -> list[dict[str, Any]]:
    prefix = (where,) if name is None else (where, name)
    return [{**error, "loc": (*prefix, *error["loc"])} for error in exc.errors(include_url=False)]
