"""The HTTP API: queries with clear 4xx reasons, idempotency keys, statements, tenancy."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from lendguard.gateway.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import Tenant, make_tenant
from tests.gateway.conftest import BORROWER, World, make_world


def setup(container: Container) -> World:
    return make_world(container)


def body(world: World, token: str, **over: str) -> dict[str, str]:
    return {"token": token, "borrower_ref": BORROWER, "purpose": "credit_assessment", "product": "score",
            "channel": "app", **over}  # fmt: skip


def issue_via_api(client: TestClient, world: World, **over: object) -> dict[str, str]:
    expires = (world.container.clock.now() + timedelta(days=1)).isoformat()
    payload = {"client_ref": "C01", "borrower_ref": BORROWER, "purpose": "credit_assessment",
               "product": "score", "expires_at": expires, "max_uses": 3, **over}  # fmt: skip
    response = client.post("/v1/gateway/authorisations", json=payload, headers=world.bureau.headers(Role.COMPLIANCE))
    assert response.status_code == 201, response.text
    data: dict[str, str] = response.json()
    return data


def test_query_over_http_answers_then_refuses_with_a_named_reason(client: TestClient, container: Container) -> None:
    world = setup(container)
    issued = issue_via_api(client, world)
    headers = world.lender.headers(Role.GATEWAY_CLIENT)
    ok = client.post("/v1/gateway/queries", json=body(world, issued["token"]), headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["price"] == "1.00" and 300 <= ok.json()["result"]["score"] <= 850
    wrong = client.post("/v1/gateway/queries", json=body(world, issued["token"], product="report"), headers=headers)
    assert wrong.status_code == 403 and wrong.json()["reason"] == "wrong_product"
    assert (
        client.delete(
            f"/v1/gateway/authorisations/{issued['id']}", headers=world.bureau.headers(Role.COMPLIANCE)
        ).status_code
        == 204
    )
    revoked = client.post("/v1/gateway/queries", json=body(world, issued["token"]), headers=headers)
    assert revoked.status_code == 403 and revoked.json()["reason"] == "revoked"
    junk = client.post("/v1/gateway/queries", json=body(world, "junk"), headers=headers)
    assert junk.status_code == 400 and junk.json()["reason"] == "bad_token"


def test_idempotency_key_header_makes_retries_safe(client: TestClient, container: Container) -> None:
    world = setup(container)
    token = issue_via_api(client, world)["token"]
    headers = {**world.lender.headers(Role.GATEWAY_CLIENT), "Idempotency-Key": "retry-1"}
    first = client.post("/v1/gateway/queries", json=body(world, token), headers=headers).json()
    second = client.post("/v1/gateway/queries", json=body(world, token), headers=headers).json()
    assert second["replayed"] and second["query_id"] == first["query_id"]
    clients = client.get("/v1/gateway/clients", headers=world.lender.headers(Role.GATEWAY_CLIENT)).json()
    assert clients[0]["balance"] == "999.00"
    conflict = client.post("/v1/gateway/queries", json=body(world, token, channel="web"), headers=headers)
    assert conflict.status_code == 409


def test_statement_json_and_csv(client: TestClient, container: Container) -> None:
    world = setup(container)
    token = issue_via_api(client, world, max_uses=1)["token"]
    headers = world.lender.headers(Role.GATEWAY_CLIENT)
    client.post("/v1/gateway/queries", json=body(world, token), headers=headers)
    client.post("/v1/gateway/queries", json=body(world, token), headers=headers)  # used up
    cid = world.client["id"]
    st = client.get(f"/v1/gateway/clients/{cid}/statement", headers=world.bureau.headers(Role.COMPLIANCE)).json()
    assert st["answered"] == 1 and st["refused_by_reason"] == {"used_up": 1}
    assert st["charges_by_tier"] == [{"tier": "score>=0", "count": 1, "amount": "1.00", "unit_price": "1.00"}]
    assert [e["kind"] for e in st["balance_history"]] == ["topup", "charge"]
    csv_text = client.get(f"/v1/gateway/clients/{cid}/statement.csv", headers=headers).text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("kind,at,query_id") and len(lines) == 4
    assert lines[1].startswith("topup,") and ",answered,," in lines[2] and ",refused,used_up," in lines[3]


def test_topup_reaches_a_cheaper_tier(client: TestClient, container: Container) -> None:
    world = setup(container)
    admin = world.bureau.headers(Role.ADMIN)
    r = client.post(f"/v1/gateway/clients/{world.client['id']}/topup", json={"amount": "149000"}, headers=admin)
    assert r.json()["topup_total"] == "150000.00"
    token = issue_via_api(client, world)["token"]
    ok = client.post("/v1/gateway/queries", json=body(world, token), headers=world.lender.headers(Role.GATEWAY_CLIENT))
    assert ok.json()["price"] == "0.80"


def test_other_tenants_cannot_see_or_use_a_client(client: TestClient, container: Container) -> None:
    world = setup(container)
    other_bureau: Tenant = make_tenant(container, "bureau-2", world.bureau_kind())
    other_lender = make_tenant(container, "lender-z")
    cid = world.client["id"]
    for headers in (other_bureau.headers(Role.ADMIN), other_lender.headers(Role.GATEWAY_CLIENT)):
        assert client.get(f"/v1/gateway/clients/{cid}", headers=headers).status_code == 404
        assert client.get(f"/v1/gateway/clients/{cid}/statement", headers=headers).status_code == 404
    assert (
        client.post(
            f"/v1/gateway/clients/{cid}/topup", json={"amount": "5"}, headers=other_bureau.headers(Role.ADMIN)
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/v1/gateway/clients/{cid}/suspend", json={"reason": "x"}, headers=other_bureau.headers(Role.COMPLIANCE)
        ).status_code
        == 404
    )
    assert client.get("/v1/gateway/clients", headers=other_bureau.headers(Role.ADMIN)).json() == []
    # Another lender presenting a token issued to this client is not a client at all.
    token = issue_via_api(client, world)["token"]
    r = client.post("/v1/gateway/queries", json=body(world, token), headers=other_lender.headers(Role.GATEWAY_CLIENT))
    assert r.status_code == 403
    # Another bureau cannot revoke this bureau's authorisations.
    issued = issue_via_api(client, world)
    assert (
        client.delete(
            f"/v1/gateway/authorisations/{issued['id']}", headers=other_bureau.headers(Role.COMPLIANCE)
        ).status_code
        == 404
    )
    # A lender cannot administer clients, and collectors cannot query.
    assert (
        client.post(
            f"/v1/gateway/clients/{cid}/topup", json={"amount": "5"}, headers=world.lender.headers(Role.ADMIN)
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/gateway/queries", json=body(world, token), headers=world.lender.headers(Role.COLLECTOR)
        ).status_code
        == 403
    )


def test_a_token_signed_by_another_bureau_is_refused(client: TestClient, container: Container) -> None:
    world = setup(container)
    other = make_tenant(container, "bureau-2", world.bureau_kind())
    gateway = service(container)
    request = world.request()
    gateway.create_client(other.users[Role.ADMIN], ref="C01", name="same ref elsewhere", lender_code=None,
                          purposes=[request.purpose], channels=[request.channel])  # fmt: skip
    forged = gateway.issue_authorisation(other.users[Role.COMPLIANCE], client_ref="C01", borrower_ref=BORROWER,
                                         purpose=world.request().purpose, product=world.request().product,
                                         expires_at=container.clock.now() + timedelta(days=1))  # fmt: skip
    r = client.post(
        "/v1/gateway/queries", json=body(world, forged["token"]), headers=world.lender.headers(Role.GATEWAY_CLIENT)
    )
    assert r.status_code == 403 and r.json()["reason"] == "bad_signature"


def test_public_key_verifies_tokens(client: TestClient, container: Container) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from lendguard.gateway import token_model

    world = setup(container)
    key = client.get("/v1/gateway/public-key", params={"bureau": "bureau"}).json()["public_key"]
    payload, signature = token_model.split(world.issue()["token"])
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(signature, payload)
    assert client.get("/v1/gateway/public-key", params={"bureau": "lender-a"}).status_code == 404


def test_alerts_endpoints_need_a_bureau_role(client: TestClient, container: Container) -> None:
    world = setup(container)
    token = issue_via_api(client, world)["token"]
    client.post("/v1/gateway/queries", json=body(world, token), headers=world.lender.headers(Role.GATEWAY_CLIENT))
    ran = client.post("/v1/gateway/alerts/run", headers=world.bureau.headers(Role.ANALYST))
    assert ran.status_code == 200 and ran.json() == []  # one honest query: nothing to report
    assert client.get("/v1/gateway/alerts", headers=world.bureau.headers(Role.COMPLIANCE)).json() == []
    assert client.post("/v1/gateway/alerts/run", headers=world.lender.headers(Role.ANALYST)).status_code == 403
    assert client.get("/v1/gateway/alerts", headers=world.bureau.headers(Role.COLLECTOR)).status_code == 403


def test_the_benchmarks_baseline_gives_the_checked_querys_score_and_only_on_the_benchmarks_app(
    client: TestClient, container: Container
) -> None:
    from lendguard.gateway.api import baseline_router
    from lendguard.platform.app import create_app

    world = setup(container)
    checked = client.post(
        "/v1/gateway/queries",
        json=body(world, issue_via_api(client, world)["token"]),
        headers=world.lender.headers(Role.GATEWAY_CLIENT),
    )
    path = f"/v1/gateway-baseline/score/{world.bureau.institution_id}/{BORROWER}"
    assert client.get(path).status_code == 404  # a deployed app does not expose it
    app = create_app(container)
    app.include_router(baseline_router)
    with TestClient(app) as bench:
        baseline = bench.get(path)
    assert baseline.status_code == 200
    assert baseline.json()["result"] == checked.json()["result"]
