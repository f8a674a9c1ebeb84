"""Loading a synthetic world stores personal data sealed, records it in the audit log, and it is usable."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa

from lendguard.platform.audit_verify import verify
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Principal, Role
from lendguard.privacy.wiring import service
from lendguard.sim.load import load_world
from lendguard.sim.world import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(borrowers=200, seed=1, out=out)
    return out


def rows(world: Path, name: str) -> list[dict[str, str]]:
    with (world / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_world_personal_data_is_loaded_sealed_audited_and_readable(container: Container, world: Path) -> None:
    load_world(container, world)
    borrowers = rows(world, "borrowers")
    contacts = rows(world, "designated_contacts")
    consents = rows(world, "consents")
    with container.engine.connect() as conn:
        count = lambda t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: E731
        assert count("privacy_subjects") == len(borrowers)
        assert count("privacy_contacts") == len(contacts)
        assert count("privacy_consents") == len(consents)
        writes = conn.execute(sa.text("SELECT count(*) FROM event_log WHERE action = 'personal_data.write'"))
        assert writes.scalar_one() == len(borrowers)
        dump = " ".join(str(v) for r in conn.execute(sa.text("SELECT * FROM privacy_fields")) for v in r)
        assert borrowers[0]["phone"] not in dump and borrowers[0]["id_number"] not in dump
        report = verify(conn, container.settings.security.signing_seed.reveal())
    assert report.ok, report.breaks
    first = borrowers[0]
    inst = next(i for i in container.tenancy.institutions() if i["code"] == first["institution_id"])
    svc = service(container)
    assert svc.lookup_subject(inst["id"], "mobile", first["phone"]) == [first["borrower_id"]]
    supervisor = Principal(0, inst["id"], "sup", frozenset({Role.SUPERVISOR}))
    active = [
        c
        for c in consents
        if c["borrower_id"] == first["borrower_id"] and "loan_servicing" in c["purposes"] and not c["withdrawn_at"]
    ]
    assert active, "seed 1 gives the first borrower a servicing consent"
    assert svc.read(supervisor, first["borrower_id"], ["name", "mobile"], "loan_servicing") == {
        "name": first["name"],
        "mobile": first["phone"],
    }
