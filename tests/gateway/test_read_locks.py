"""The gateway's pure reads never wait for a writer: on SQLite they take no write lock (a plain BEGIN,
not the writers' BEGIN IMMEDIATE), so a compliance user reading a statement, the clients, a
borrower's authorisations or the alerts does not hold up — or queue behind — the queries being billed."""

from __future__ import annotations

from lendguard.platform.model import Role
from tests.gateway.conftest import BORROWER, World
from tests.platform.test_read_locks import finishes_while_a_writer_holds_its_transaction


def test_a_statement_and_its_csv_are_read_while_a_writer_holds_its_transaction(world: World) -> None:
    world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], world.issue()["token"], world.request())
    staff, client_id = world.bureau.users[Role.COMPLIANCE], int(world.client["id"])
    statement, csv = finishes_while_a_writer_holds_its_transaction(
        world.container,
        lambda: (world.gateway.statement(staff, client_id), world.gateway.statement_csv(staff, client_id)),
    )
    assert statement["answered"] == 1 and csv.count("\n") >= 2


def test_clients_and_a_client_are_read_while_a_writer_holds_its_transaction(world: World) -> None:
    staff, client_id = world.bureau.users[Role.ADMIN], int(world.client["id"])
    clients, client = finishes_while_a_writer_holds_its_transaction(
        world.container, lambda: (world.gateway.clients(staff), world.gateway.client(staff, client_id))
    )
    assert [c["ref"] for c in clients] == [world.client["ref"]] and client["ref"] == world.client["ref"]


def test_authorisations_and_alerts_are_read_while_a_writer_holds_its_transaction(world: World) -> None:
    issued = world.issue()
    staff = world.bureau.users[Role.COMPLIANCE]
    world.gateway.run_detection(staff)
    authorisations, alerts = finishes_while_a_writer_holds_its_transaction(
        world.container,
        lambda: (world.gateway.authorisations(staff, BORROWER), world.gateway.alerts(staff)),
    )
    assert [a["ref"] for a in authorisations] == [issued["id"]] and isinstance(alerts, list)
