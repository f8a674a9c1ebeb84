"""Helpers of the audit-log tests: fill a chain, run `lendguard audit verify` against the test database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.bootstrap import Container


def fill(container: Container, institution_id: int, count: int, every: int = 5) -> AuditLog:
    """Append ``count`` events one transaction each, with a checkpoint every ``every`` entries."""
    log = AuditLog(signing_seed=container.settings.security.signing_seed.reveal(), checkpoint_every=every)
    for i in range(count):
        with container.engine.begin() as conn:
            event = AuditEvent(
                f"user:u{i % 3}",
                "personal_data.read",
                f"B{i:04d}",
                purpose="collection",
                detail={"fields": ["name"], "i": i},
            )
            log.append(conn, institution_id, event, container.clock.now())
        container.clock.advance(seconds=1)  # type: ignore[attr-defined]
    return log


def run_verify(container: Container, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """`lendguard audit verify` on the container's database: (exit code, output)."""
    monkeypatch.setenv("LENDGUARD_DATABASE_URL", container.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LENDGUARD_ENVIRONMENT", "test")
    result = CliRunner().invoke(build_cli(), ["audit", "verify"])
    return result.exit_code, result.output


def execute(container: Container, sql: str, **params: object) -> None:
    with container.engine.begin() as conn:
        conn.execute(sa.text(sql), params)
