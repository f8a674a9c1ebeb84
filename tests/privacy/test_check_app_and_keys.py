"""`lendguard privacy check-app` against the catalogue, and `lendguard keys rotate`."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.platform.bootstrap import Container, bootstrap
from lendguard.platform.model import Role
from lendguard.platform.settings import Settings
from lendguard.privacy.wiring import service
from tests.conftest import Tenant
from tests.privacy.conftest import PERSON

MANIFESTS = Path(__file__).parent / "manifests"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args))
    return result.exit_code, result.output


def test_over_collection_is_listed_with_the_rule_it_breaks() -> None:
    code, out = run("privacy", "check-app", str(MANIFESTS / "overcollecting.json"))
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("OVER-COLLECTION")]
    assert any("address_book" in line and "CN-CAC21-01 / PIPL art. 16" in line for line in lines)
    assert any("address_book" in line and "CN-TC260-19" in line for line in lines)
    assert any("call_records" in line and "does not declare it" in line for line in lines)
    # Location is outside the catalogue but optional and under its own consent: lawful, not reported.
    assert not any(line.startswith("OVER-COLLECTION location") for line in lines)
    # The necessary items (mobile, name, ID number, bank card) are never reported.
    assert not any(f"OVER-COLLECTION {c}:" in out for c in ("mobile", "name", "id_number", "bank_card"))


def test_compliant_app_passes() -> None:
    code, out = run("privacy", "check-app", str(MANIFESTS / "compliant.json"))
    assert code == 0, out
    assert "within the necessary catalogue" in out


def test_malformed_manifest_exits_2_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"collects": [{"category": "soul"}]}')
    code, out = run("privacy", "check-app", str(bad))
    assert code == 2 and "collects[0].category" in out and "soul" in out
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "collects": [,]\n}')
    code, out = run("privacy", "check-app", str(broken))
    assert code == 2 and "broken.json:2" in out


def test_keys_rotate_rewraps_without_losing_data(
    container: Container, tenant_a: Tenant, borrower: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = tenant_a.users[Role.SUPERVISOR]
    with container.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT kek_id, wrapped_key FROM privacy_subjects")).one()
        sealed_before = sorted(bytes(r[0]) for r in conn.execute(sa.text("SELECT sealed FROM privacy_fields")))
    url = container.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("LENDGUARD_DATABASE_URL", url)
    monkeypatch.setenv("LENDGUARD_ENVIRONMENT", "test")
    monkeypatch.setenv("LENDGUARD_SECURITY__MASTER_KEY", "the-new-master-key")
    # Without the old key the command refuses.
    code, out = run("keys", "rotate")
    assert code == 2 and "old master key" in out
    # Step 1 of the procedure: processes on the new key with the old one as previous key keep reading
    # data keys wrapped by the old key (no downtime), and wrap new subjects with the new key.
    old_key = container.settings.security.master_key.reveal()
    both = Settings(
        environment="test",
        database_url=url,
        security={"master_key": "the-new-master-key", "previous_master_key": old_key},
    )  # type: ignore[arg-type]
    during = bootstrap(both, engine=container.engine, clock=container.clock)
    assert service(during).read(supervisor, borrower, ["name"], "collection") == {"name": PERSON["name"]}
    monkeypatch.setenv("OLD_KEY", old_key)
    code, out = run("keys", "rotate", "--old-master-key-env", "OLD_KEY")
    assert code == 0, out
    assert "re-wrapped 1 data keys; 0 left under the old key" in out
    with container.engine.connect() as conn:
        after = conn.execute(sa.text("SELECT kek_id, wrapped_key FROM privacy_subjects")).one()
        sealed_after = sorted(bytes(r[0]) for r in conn.execute(sa.text("SELECT sealed FROM privacy_fields")))
    assert after.kek_id != before.kek_id and bytes(after.wrapped_key) != bytes(before.wrapped_key)
    assert sealed_after == sealed_before  # field ciphertexts untouched
    # A process on the new key alone reads the data; one on the old key alone no longer can.
    new = bootstrap(Settings(environment="test", database_url=url), engine=container.engine, clock=container.clock)
    assert service(new).read(supervisor, borrower, ["name"], "collection") == {"name": PERSON["name"]}
    monkeypatch.delenv("LENDGUARD_SECURITY__MASTER_KEY")
    with pytest.raises(Exception, match="unknown master key"):
        service(container).read(supervisor, borrower, ["name"], "collection")
