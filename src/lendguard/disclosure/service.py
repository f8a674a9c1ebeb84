"""Use cases of loan disclosure: rates, offer checks, and portfolio scans of the loan book."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from lendguard.disclosure.calculator import RateResult
from lendguard.disclosure.lpr import LprTable
from lendguard.disclosure.offer_check import OfferReport, check_offer
from lendguard.disclosure.offer_model import offer_from_dict
from lendguard.disclosure.periods import parse_frequency
from lendguard.disclosure.portfolio_model import LoanSchedule, ScanRow, scan_schedules, summarise
from lendguard.lending.service import LendingService
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.platform.model import Principal, Role, require

SCAN_ROLES = (Role.COMPLIANCE, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN, Role.REGULATOR)
PAGE_SIZE = 500


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def loan_schedule(loan: dict[str, Any], instalments: list[dict[str, Any]]) -> LoanSchedule:
    """A loan-book loan and its instalments as a schedule: payments are principal + interest + fees due."""
    start = loan["disbursed_at"]
    start_day = start.date() if isinstance(start, datetime) else start
    payments = tuple(
        (
            row["due_date"] if isinstance(row["due_date"], date) else date.fromisoformat(str(row["due_date"])),
            _money(row["principal_due"]) + _money(row["interest_due"]) + _money(row["fee_due"]),
        )
        for row in instalments
    )
    return LoanSchedule(
        loan_ref=str(loan["ref"]),
        start=start_day,
        principal=_money(loan["principal"]),
        upfront_fee=_money(loan.get("upfront_fee")),
        frequency=parse_frequency(str(loan["frequency"])),
        payments=payments,
    )


class DisclosureService:
    """Offer checks and portfolio scans; rate computation itself is pure and needs no database."""

    def __init__(self, engine: Engine, clock: Clock, audit: AuditLog, lending: LendingService, lpr: LprTable) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit
        self.lending = lending
        self.lpr = lpr

    def rate(self, principal: Principal, compute: Callable[[], RateResult]) -> RateResult:
        """Run a pure rate computation for any signed-in user (the calculator needs no data access)."""
        require(principal, *Role)
        return compute()

    def check(self, principal: Principal, document: Any) -> OfferReport:
        """Check an offer document (any signed-in user: borrowers may check what they were sold)."""
        require(principal, *Role)
        return check_offer(offer_from_dict(document), self.lpr)

    def scan_institution(self, institution_id: int, progress: Callable[[int], None] | None = None) -> list[ScanRow]:
        """Scan every loan of one institution (system job: the CLI passes the institution explicitly)."""
        schedules: list[LoanSchedule] = []
        offset = 0
        with reading(self.engine) as conn:
            while True:
                page = self.lending.loans_of_institution(conn, institution_id, PAGE_SIZE, offset)
                for loan in page:
                    rows = self.lending.schedule(conn, institution_id, str(loan["ref"]))
                    if rows:
                        schedules.append(loan_schedule(loan, rows))
                if progress is not None:
                    progress(len(page))
                if len(page) < PAGE_SIZE:
                    break
                offset += PAGE_SIZE
        return scan_schedules(schedules, self.lpr)

    def scan(self, principal: Principal) -> dict[str, object]:
        """Scan the principal's own institution; the scan is recorded in the audit log."""
        require(principal, *SCAN_ROLES)
        report = summarise(self.scan_institution(principal.institution_id))
        self.record_scan(principal.institution_id, principal.username, report)
        return report

    def record_scan(self, institution_id: int, actor: str, report: dict[str, object]) -> None:
        """Append a ``disclosure.scan`` audit event with the counts (no loan-level data)."""
        event = AuditEvent(
            actor=actor,
            action="disclosure.scan",
            object_type="loan_book",
            purpose="rate disclosure compliance",
            detail={"loans": report["loans"], "above": report["above"]},
        )
        with self.engine.begin() as conn:
            self.audit.append(conn, institution_id, event, self.clock.now())
