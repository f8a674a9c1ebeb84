"""Error responses of the app: invalid input gets a 4xx that names the problem, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lendguard.platform.model import Role
from tests.conftest import Tenant

CHECK = "/v1/collections/contacts:check"
DECISION = "/v1/intel/rings/1/decision"  # a pydantic-validated body whose errors echo the input


def test_a_body_with_a_lone_surrogate_gets_a_422_not_a_500(client: TestClient, tenant_a: Tenant) -> None:
    # JSON allows "\ud800" escapes; Python decodes them into a str that cannot be encoded as UTF-8 again.
    body = b'{"status": "\\ud800", "note": "x"}'
    response = client.post(
        DECISION, content=body, headers={**tenant_a.headers(Role.ANALYST), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "\ufffd" in response.text or "\\ud800" in response.text


def test_a_validation_error_still_names_the_field(client: TestClient, tenant_a: Tenant) -> None:
    response = client.post(CHECK, json={"pack": 3}, headers=tenant_a.headers(Role.COLLECTOR))
    assert response.status_code == 422
    assert response.json()["detail"]
