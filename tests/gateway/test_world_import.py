"""A synthetic world loaded into the database: bureau data, clients, query log; detection from the DB."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lendguard.gateway import world_files
from lendguard.gateway.model import Channel, Product, Purpose, QueryRequest
from lendguard.gateway.tables import credit_records, queries
from lendguard.gateway.wiring import service
from lendguard.gateway.world_import import load as load_gateway
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import InstitutionKind, Principal, Role
from lendguard.sim.load import load_world
from lendguard.sim.world import generate_world
from tests.conftest import TEST_PASSWORD
from tests.gateway.conftest import FakeConsentLedger


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(borrowers=1000, seed=5, out=out)
    return out


def user(container: Container, code: str, role: Role) -> Principal:
    inst = container.tenancy.institution_by_code(code)
    assert inst is not None
    container.tenancy.create_user(int(inst["id"]), f"t-{code}-{role.value}", TEST_PASSWORD, {role})
    principal = container.tenancy.login(f"t-{code}-{role.value}", TEST_PASSWORD)
    assert principal is not None
    return principal


def test_world_import_feeds_scores_detection_and_statements(container: Container, world: Path) -> None:
    load_world(container, world)
    gateway = service(container)
    with container.engine.connect() as conn:
        imported = conn.execute(sa.select(sa.func.count()).select_from(queries)).scalar_one()
        records = conn.execute(sa.select(sa.func.count()).select_from(credit_records)).scalar_one()
    assert imported == sum(1 for _ in world_files.rows(world, "gateway_queries"))
    assert records == sum(1 for _ in world_files.rows(world, "loans"))

    compliance = user(container, "CB01", Role.COMPLIANCE)
    alerts = gateway.run_detection(compliance)
    assert {a["client_ref"] for a in alerts if a["flagged"]} == world_files.truth(world)
    assert gateway.alerts(compliance)[0]["evidence"]

    # A live query against the imported bureau data, by the lender behind client GC01.
    client = next(c for c in gateway.clients(compliance) if c["ref"] == "GC01")
    lender_code = next(
        i["code"] for i in container.tenancy.institutions() if i["id"] == client["lender_institution_id"]
    )
    borrower = next(r["borrower_id"] for _, r in world_files.rows(world, "loans") if r["institution_id"] == lender_code)
    ledger = FakeConsentLedger({(compliance.institution_id, borrower, "credit_assessment")})
    gateway.consent = ledger
    token = gateway.issue_authorisation(
        compliance,
        client_ref="GC01",
        borrower_ref=borrower,
        purpose=Purpose.CREDIT_ASSESSMENT,
        product=Product.REPORT,
        expires_at=container.clock.now() + timedelta(days=1),
    )["token"]
    lender_user = user(container, lender_code, Role.GATEWAY_CLIENT)
    result = gateway.query(
        lender_user, token, QueryRequest(borrower, Purpose.CREDIT_ASSESSMENT, Product.REPORT, Channel.APP)
    )
    assert result.answer["loans"] >= 1 and ledger.calls == 1
    statement = gateway.statement(lender_user, client["id"])
    assert statement["answered"] == 1 and statement["refused"] == 0
    assert statement["balance_history"][0]["kind"] == "topup"


def test_a_malformed_world_file_names_its_line_and_field(container: Container, world: Path, tmp_path: Path) -> None:
    for f in world.rglob("*.csv"):
        target = tmp_path / f.relative_to(world)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    path = tmp_path / "gateway_clients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[5] = '"lots"'
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = {
        r["institution_id"]: container.tenancy.create_institution(
            r["institution_id"], r["name"], InstitutionKind(r["kind"])
        )
        for _, r in world_files.rows(world, "institutions")
    }
    with pytest.raises(world_files.WorldFileError, match=r"gateway_clients.csv: line 2: field prepaid"):
        load_gateway(container, tmp_path, ids, False)
