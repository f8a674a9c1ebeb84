"""A body and headers read by hand (``read_json_body``) are answered exactly as FastAPI's own parameters."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, TypeAdapter

from lendguard.platform.app import create_app
from lendguard.platform.bootstrap import Container
from lendguard.platform.json_body import openapi_extra, read_json_body


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Paint(BaseModel):
    name: str = Field(description="What the tin says.")
    colour: Colour
    litres: int = Field(gt=0)


HEADERS: dict[str, TypeAdapter[Any]] = {"idempotency-key": TypeAdapter(Annotated[str, Field(max_length=8)] | None)}
GOOD = {"name": "sky", "colour": "blue", "litres": 2}


def stock_app() -> FastAPI:
    app = FastAPI()

    @app.post("/paint")
    def paint(body: Paint, idempotency_key: Annotated[str | None, Header(max_length=8)] = None) -> dict[str, Any]:
        return {"body": body.model_dump(mode="json"), "key": idempotency_key}

    return app


def hand_app() -> FastAPI:
    app = FastAPI()

    @app.post("/paint", openapi_extra=openapi_extra(Paint, HEADERS))
    async def paint(request: Request) -> dict[str, Any]:
        body, headers = await read_json_body(request, Paint, HEADERS)
        return {"body": body.model_dump(mode="json"), "key": headers["idempotency-key"]}

    return app


JSON = {"Content-Type": "application/json"}
CASES: dict[str, dict[str, Any]] = {
    "a good body": {"json": GOOD},
    "a good body and key": {"json": GOOD, "headers": {"Idempotency-Key": "k" * 8}},
    "a vendor json type": {"content": json.dumps(GOOD), "headers": {"Content-Type": "application/x.v1+json; q=1"}},
    "an unknown enum value": {"json": {**GOOD, "colour": "green"}},
    "a constraint broken": {"json": {**GOOD, "litres": 0}},
    "a missing field": {"json": {"name": "sky"}},
    "a wrong type": {"json": {**GOOD, "name": 5}},
    "an extra field": {"json": {**GOOD, "shine": "gloss"}},
    "malformed json": {"content": b'{"name": ', "headers": JSON},
    "an empty body": {"content": b"", "headers": JSON},
    "json null": {"content": b"null", "headers": JSON},
    "a json list": {"json": [1, 2]},
    "a json string": {"content": b'"sky"', "headers": JSON},
    "a text content type": {"content": json.dumps(GOOD), "headers": {"Content-Type": "text/plain"}},
    "no content type": {"content": json.dumps(GOOD)},
    "a key too long": {"json": GOOD, "headers": {"Idempotency-Key": "k" * 9}},
    "a bad key and a bad body": {"json": {**GOOD, "colour": "green"}, "headers": {"Idempotency-Key": "k" * 9}},
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_every_body_and_header_gets_the_answer_fastapi_parameters_give(case: str) -> None:
    stock, hand = TestClient(stock_app()), TestClient(hand_app())
    expected = stock.post("/paint", **CASES[case])
    got = hand.post("/paint", **CASES[case])
    assert (got.status_code, got.json()) == (expected.status_code, expected.json())


def test_bad_input_is_refused_with_422_naming_each_problem() -> None:
    hand = TestClient(hand_app())
    response = hand.post("/paint", json={**GOOD, "colour": "green"}, headers={"Idempotency-Key": "k" * 9})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["header", "idempotency-key"], ["body", "colour"]]


def test_the_openapi_operation_documents_the_body_and_the_header() -> None:
    operation = hand_app().openapi()["paths"]["/paint"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert operation["requestBody"]["required"] is True
    assert schema["required"] == ["name", "colour", "litres"]
    assert schema["properties"]["name"]["description"] == "What the tin says."
    assert schema["properties"]["colour"] == {"$ref": "#/components/schemas/Colour"}
    header = operation["parameters"][0]
    assert (header["in"], header["name"], header["required"]) == ("header", "idempotency-key", False)
    assert {"type": "string", "maxLength": 8} in header["schema"]["anyOf"]
    stock = stock_app().openapi()["paths"]["/paint"]["post"]["responses"]["422"]
    assert operation["responses"]["422"] == stock


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_the_gateway_query_operation_documents_its_body_header_and_errors(container: Container) -> None:
    document = create_app(container).openapi()
    operation = document["paths"]["/v1/gateway/queries"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"token", "borrower_ref", "purpose", "product", "channel"}
    assert [p["name"] for p in operation["parameters"]] == ["idempotency-key"]
    assert {"200", "402", "403", "422", "429"} <= set(operation["responses"])
    assert operation["security"] == [{"HTTPBearer": []}]
    found = refs(operation)
    assert "#/components/schemas/Purpose" in found
    for ref in found:  # every schema it names is in the document
        assert ref.removeprefix("#/components/schemas/") in document["components"]["schemas"], ref
