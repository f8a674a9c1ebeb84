"""A synthetic world's overdue loans become cases and its attempts become the history the policy counts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lendguard.collections.wiring import service
from lendguard.collections.world_import import load
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import Tenant


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def world(tmp_path: Path, *, outcome: str = "conversation") -> Path:
    loan = {
        "loan_id": "L1",
        "borrower_id": "B1",
        "institution_id": "L01",
        "product": "cash",
        "principal": "1000.00",
        "nominal_rate": "0.24",
        "instalment_count": "6",
        "frequency": "monthly",
        "disbursed_at": "2026-01-01T00:00:00+08:00",
        "upfront_fee": "0.00",
        "fee_per_period": "0.00",
        "status": "overdue",
        "days_past_due": "35",
        "stage": "M2",
        "outstanding": "800.00",
    }
    write(
        tmp_path / "loans.csv",
        [loan, {**loan, "loan_id": "L2", "borrower_id": "B2", "days_past_due": "0", "stage": "current"}],
    )
    write(tmp_path / "borrowers.csv", [{"borrower_id": "B1", "institution_id": "L01", "timezone": "Asia/Shanghai"}])
    write(
        tmp_path / "account_events.csv",
        [{"borrower_id": "B1", "at": "2026-02-01T10:00:00+08:00", "kind": "dispute", "detail": ""}],
    )
    attempt = {
        "attempt_id": "A1",
        "borrower_id": "B1",
        "institution_id": "L01",
        "loan_id": "L1",
        "agency_id": "AG1",
        "collector_id": "c7",
        "channel": "call",
        "person_id": "B1",
        "role": "debtor",
        "number": "13800138000",
        "at": "2026-03-02T09:00:00+08:00",
        "outcome": outcome,
        "duration_s": "60",
        "recording_ref": "r1",
    }
    write(
        tmp_path / "collection_attempts.csv",
        [{**attempt, "attempt_id": f"A{i}", "at": f"2026-03-02T0{9 + i // 10}:{i % 10}0:00+08:00"} for i in range(3)],
    )
    return tmp_path


def test_cases_from_overdue_loans_and_history_counts_against_the_caps(
    container: Container, tenant_a: Tenant, tmp_path: Path
) -> None:
    load(container, world(tmp_path), {"L01": tenant_a.institution_id})
    svc = service(container)
    supervisor = tenant_a.users[Role.SUPERVISOR]
    cases = svc.cases(supervisor)
    assert [(c["ref"], c["stage"], c["flags"]) for c in cases] == [("L1", "M2", {"disputed": True})]
    # Three connected calls (by an agency) on 2 March: a fourth call that day is blocked, with the number matched.
    decision = svc.check(supervisor, cases[0]["id"], {"channel": "call", "number": "138-0013-8000"}, None)
    assert decision["decision"] == "block" and [v["rule"] for v in decision["violations"]] == [
        "cn.connected_calls_per_day"
    ]


def test_bad_attempt_rows_are_named(container: Container, tenant_a: Tenant, tmp_path: Path) -> None:
    world(tmp_path, outcome="hung_up")
    with pytest.raises(ValueError, match=r"collection_attempts\.csv: line 2: column outcome"):
        load(container, tmp_path, {"L01": tenant_a.institution_id})
    assert service(container).cases(tenant_a.users[Role.SUPERVISOR]) == []
