"""Use cases of the loan book: bulk import (world loader) and tenant-scoped reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.lending.store import LoanBookRepository
from lendguard.platform.db import reading
from lendguard.platform.model import Principal, Role, require

STAFF_ROLES = (Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE, Role.ANALYST, Role.ADMIN)


class LendingService:
    """The loan book of each institution."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def import_rows(
        self,
        conn: Connection,
        institution_id: int,
        *,
        borrowers: Iterable[Mapping[str, Any]] = (),
        loans: Iterable[Mapping[str, Any]] = (),
        instalments: Iterable[Mapping[str, Any]] = (),
    ) -> dict[str, int]:
        """Bulk insert inside the caller's transaction (the world loader commits once per batch)."""
        repo = LoanBookRepository(conn)
        return {
            "borrowers": repo.add_borrowers(institution_id, borrowers),
            "loans": repo.add_loans(institution_id, loans),
            "instalments": repo.add_instalments(institution_id, instalments),
        }

    def overview(self, principal: Principal) -> dict[str, Any]:
        """Borrower count and loan counts per stage of the principal's institution."""
        require(principal, *STAFF_ROLES, Role.REGULATOR)
        with reading(self.engine) as conn:
            repo = LoanBookRepository(conn)
            return {
                "borrowers": repo.borrower_count(principal.institution_id),
                "loans_by_stage": repo.stage_counts(principal.institution_id),
            }

    def loans(
        self,
        principal: Principal,
        *,
        stage: str | None = None,
        borrower_ref: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Loans of the principal's institution, filtered; never another tenant's."""
        require(principal, *STAFF_ROLES)
        with reading(self.engine) as conn:
            return LoanBookRepository(conn).loans(
                principal.institution_id, stage=stage, borrower_ref=borrower_ref, limit=limit, offset=offset
            )

    def loan(self, principal: Principal, loan_id: int) -> dict[str, Any]:
        """One loan with its schedule."""
        require(principal, *STAFF_ROLES)
        with reading(self.engine) as conn:
            repo = LoanBookRepository(conn)
            loan = repo.loan(principal.institution_id, loan_id)
            loan["schedule"] = repo.schedule(principal.institution_id, loan["ref"])
            return loan

    def loans_of_institution(
        self, conn: Connection, institution_id: int, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Page through an institution's loans (used by portfolio jobs running as the system)."""
        return LoanBookRepository(conn).loans(institution_id, limit=limit, offset=offset)

    def schedule(self, conn: Connection, institution_id: int, loan_ref: str) -> list[dict[str, Any]]:
        """Instalments of one loan."""
        return LoanBookRepository(conn).schedule(institution_id, loan_ref)

    def outstanding_loans(self, conn: Connection, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        """Loans of a borrower that still carry a balance (the privacy capability holds deletion for them)."""
        rows = LoanBookRepository(conn).loans(institution_id, borrower_ref=borrower_ref, limit=1000, offset=0)
        return [r for r in rows if r["outstanding"] > 0 and r["status"] != "paid_off"]
