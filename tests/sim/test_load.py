"""Loading a world: round trip of the loan book per institution and stage, demo users, refusals."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from lendguard.lending.wiring import service as lending_service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import PermissionDenied, Role
from lendguard.sim.load import DEMO_PASSWORD, WorldFormatError, load_world
from lendguard.sim.world import generate_world
from tests.sim.conftest import read_csv


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("load") / "w"
    generate_world(300, 3, out)
    return out


def test_round_trip_counts_per_institution_and_stage(container: Container, small_world: Path) -> None:
    logins = load_world(container, small_world)
    borrowers = read_csv(small_world / "borrowers.csv")
    loans = read_csv(small_world / "loans.csv")
    lending = lending_service(container)
    by_code = {row["code"]: row["id"] for row in container.tenancy.institutions()}
    for code in sorted({row["institution_id"] for row in borrowers}):
        principal = container.tenancy.login(f"{code.lower()}-analyst", DEMO_PASSWORD)
        assert principal is not None and principal.institution_id == by_code[code]
        overview = lending.overview(principal)
        assert overview["borrowers"] == sum(row["institution_id"] == code for row in borrowers)
        expected = Counter(row["stage"] for row in loans if row["institution_id"] == code)
        assert overview["loans_by_stage"] == dict(expected)
    roles = {(login.institution, login.role) for login in logins}
    assert ("IB01", "regulator") in roles and ("CB01", "admin") in roles
    assert {("L01", r.value) for r in (Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE, Role.ANALYST, Role.ADMIN,
                                       Role.GATEWAY_CLIENT, Role.BORROWER)} <= roles  # fmt: skip
    borrower = container.tenancy.login("l01-borrower", DEMO_PASSWORD)
    assert borrower is not None and borrower.subject_id in {r["borrower_id"] for r in borrowers}
    assert any(r["borrower_id"] == borrower.subject_id and r["institution_id"] == "L01" for r in borrowers)


def test_a_lender_sees_only_its_own_loans(container: Container, small_world: Path) -> None:
    load_world(container, small_world)
    lending = lending_service(container)
    l01 = container.tenancy.login("l01-collector", DEMO_PASSWORD)
    l02 = container.tenancy.login("l02-collector", DEMO_PASSWORD)
    assert l01 is not None and l02 is not None
    theirs = lending.loans(l02, limit=1000)
    assert theirs
    refs_of_l01 = {row["loan_id"] for row in read_csv(small_world / "loans.csv") if row["institution_id"] == "L01"}
    assert {loan["ref"] for loan in lending.loans(l01, limit=1000)} == refs_of_l01
    from lendguard.platform.model import NotFound

    with pytest.raises(NotFound):
        lending.loan(l01, theirs[0]["id"])
    borrower = container.tenancy.login("l01-borrower", DEMO_PASSWORD)
    assert borrower is not None
    with pytest.raises(PermissionDenied):
        lending.loans(borrower)


def test_loading_twice_is_refused(container: Container, small_world: Path) -> None:
    load_world(container, small_world)
    with pytest.raises(WorldFormatError, match="already holds institutions"):
        load_world(container, small_world)


def test_a_missing_file_is_named_and_nothing_is_written(
    container: Container, small_world: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "w"
    shutil.copytree(small_world, broken)
    (broken / "loans.csv").unlink()
    with pytest.raises(WorldFormatError, match=r"loans\.csv: missing"):
        load_world(container, broken)
    assert container.tenancy.institutions() == []


def test_a_bad_row_is_named_with_line_and_column(container: Container, small_world: Path, tmp_path: Path) -> None:
    broken = tmp_path / "w"
    shutil.copytree(small_world, broken)
    lines = (broken / "loans.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[4].split(",")
    fields[4] = '"12,3x"'
    lines[4] = ",".join(fields)
    (broken / "loans.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(WorldFormatError, match=r"loans.csv: line 5: column principal"):
        load_world(container, broken)
    assert container.tenancy.institutions() == []


def test_a_wrong_header_is_refused(container: Container, small_world: Path, tmp_path: Path) -> None:
    broken = tmp_path / "w"
    shutil.copytree(small_world, broken)
    header, rest = (broken / "complaints.csv").read_text(encoding="utf-8").split("\n", 1)
    assert "contact_phone" in header
    (broken / "complaints.csv").write_text(header.replace("contact_phone", "phone") + "\n" + rest, encoding="utf-8")
    with pytest.raises(WorldFormatError, match=r"complaints\.csv: line 1"):
        load_world(container, broken)
