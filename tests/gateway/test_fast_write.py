"""The fast path's write changes all or nothing: a charge that cannot be recorded leaves no trace.

On PostgreSQL the write is one statement in autocommit, so nothing can roll it back afterwards: the
statement itself must fail when it charged but could not record. On SQLite the caller's transaction
is rolled back. Either way the client's row (balance and rate windows), the authorisation, the query
log, the ledger and the audit outbox are as before, and the locked path then refuses with the reason.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from lendguard.gateway.client_store import ChargedNotRecorded
from lendguard.gateway.model import Refusal, window_starts
from lendguard.gateway.outcomes import QueryRefused
from lendguard.gateway.sqlite_charge import charge_and_record_sqlite
from lendguard.gateway.store import GatewayRepository
from lendguard.gateway.tables import audit_outbox, authorisations, clients, ledger, queries
from lendguard.platform.model import Role
from tests.gateway.conftest import BORROWER, World


def snapshot(world: World) -> dict[str, Any]:
    """Everything a charge touches, as plain values."""
    with world.container.engine.connect() as conn:
        client = dict(conn.execute(clients.select().where(clients.c.id == world.client["id"])).one()._mapping)
        return {
            "client": client,
            "uses": sorted(conn.execute(sa.select(authorisations.c.ref, authorisations.c.uses)).all()),
            "queries": sorted(conn.execute(sa.select(queries.c.ref, queries.c.outcome)).all()),
            "ledger": conn.execute(sa.select(sa.func.count()).select_from(ledger)).scalar_one(),
            "outbox": conn.execute(sa.select(sa.func.count()).select_from(audit_outbox)).scalar_one(),
        }


@pytest.mark.parametrize("spoil", ["used_up", "revoked"])
def test_an_authorisation_spoilt_before_the_write_is_refused_and_changes_nothing(world: World, spoil: str) -> None:
    issued = world.issue(max_uses=1)
    user = world.lender.users[Role.GATEWAY_CLIENT]
    if spoil == "used_up":
        world.gateway.query(user, issued["token"], world.request())
        reason = Refusal.USED_UP
    else:
        world.gateway.revoke_authorisation(world.bureau.users[Role.COMPLIANCE], issued["id"])
        reason = Refusal.REVOKED
    before = snapshot(world)
    # The fast path reads neither uses nor revocation: this query reaches its write, which must undo
    # its charge; the locked path then logs the refusal.
    with pytest.raises(QueryRefused) as refused:
        world.gateway.query(user, issued["token"], world.request())
    assert refused.value.reason is reason
    after = snapshot(world)
    assert after["client"] == before["client"]
    assert after["uses"] == before["uses"]
    assert after["ledger"] == before["ledger"]
    assert after["outbox"] == 0
    assert set(after["queries"]) - set(before["queries"]) == {(refused.value.query_ref, "refused")}


def test_the_write_itself_undoes_a_charge_it_cannot_record(world: World) -> None:
    """The write, called directly with a used-up authorisation, charged but could not record: it says
    so (ChargedNotRecorded), and once the caller rolls back, as the fast path does, nothing changed."""
    issued = world.issue(max_uses=1)
    world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], issued["token"], world.request())
    before = snapshot(world)
    write_directly_and_roll_back(world, answered_line(world, issued["id"], BORROWER), before)
    assert snapshot(world) == before


def test_the_write_does_not_count_an_authorisation_for_another_borrower(world: World) -> None:
    """The signed token names the borrower, and the write checks it again in the database: a line for
    another borrower charges nothing it keeps, and the authorisation's uses are unchanged."""
    issued = world.issue(max_uses=5)
    before = snapshot(world)
    write_directly_and_roll_back(world, answered_line(world, issued["id"], "someone-else"), before)
    assert snapshot(world) == before


def answered_line(world: World, authorisation_ref: str, borrower_ref: str) -> dict[str, Any]:
    """A fast-path query line (answered, priced) for a direct call of the write."""
    return {
        "institution_id": world.bureau.institution_id,
        "client_id": world.client["id"],
        "ref": uuid.uuid4().hex[:20],
        "idempotency_key": None,
        "at": world.container.clock.now(),
        "borrower_ref": borrower_ref,
        "authorisation_ref": authorisation_ref,
        "purpose": "credit_assessment",
        "channel": "app",
        "product": "score",
        "price_fen": 100,
        "tier": "score>=0",
        "response": {"score": 700},
    }


def write_directly_and_roll_back(world: World, line: dict[str, Any], before: dict[str, Any]) -> None:
    """The database's fast-path write of ``line`` raises ChargedNotRecorded; then roll back, as the fast path does."""
    limits = {"topup_total_fen": before["client"]["topup_total_fen"], "windows": window_starts(line["at"])}
    engine = world.container.engine
    with engine.connect() as conn, conn.begin() as transaction:
        with pytest.raises(ChargedNotRecorded):
            if engine.dialect.name == "postgresql":
                GatewayRepository(conn).charge_and_record_pg(line, limits=(1000, 10**6), **limits)
            else:
                charge_and_record_sqlite(conn, line, limits=(1000, 10**6), **limits)
        transaction.rollback()
