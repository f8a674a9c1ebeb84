"""The gateway pages: the bureau sees clients and alerts and can suspend; a lender sees only its own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import TEST_PASSWORD
from tests.gateway.conftest import make_world


def login(client: TestClient, username: str) -> None:
    r = client.post("/login", data={"username": username, "password": TEST_PASSWORD}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text


def test_bureau_compliance_suspends_and_reinstates_from_the_page(client: TestClient, container: Container) -> None:
    world = make_world(container)
    login(client, "bureau-compliance")
    page = client.get("/gateway")
    assert page.status_code == 200 and "C01" in page.text and "Run detection now" in page.text
    r = client.post(
        f"/gateway/clients/{world.client['id']}/suspend", data={"reason": "resale suspected"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "suspended: resale suspected" in client.get("/gateway").text
    client.post(f"/gateway/clients/{world.client['id']}/reinstate")
    assert "suspended" not in client.get("/gateway").text
    assert client.post("/gateway/alerts/run", follow_redirects=False).status_code == 303


def test_lender_sees_its_statement_and_csv_but_not_other_clients(client: TestClient, container: Container) -> None:
    world = make_world(container)
    world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], world.issue()["token"], world.request())
    login(client, "lender-a-gateway_client")
    home = client.get("/gateway")
    assert "My gateway account" in home.text and "Run detection" not in home.text
    page = client.get(f"/gateway/clients/{world.client['id']}")
    assert page.status_code == 200 and "999.00" in page.text and "score&gt;=0" in page.text
    csv_text = client.get(f"/gateway/clients/{world.client['id']}/statement.csv").text
    assert csv_text.count("\n") == 3  # header, top-up, one query
    assert client.get(f"/gateway/clients/{world.client['id'] + 1000}").status_code == 404
