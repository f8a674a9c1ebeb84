"""Fixtures of the gateway tests: a bureau, a lender client, bureau data and a fake consent ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from lendguard.gateway.model import Channel, Product, Purpose, QueryRequest
from lendguard.gateway.ports import ConsentQuestion
from lendguard.gateway.service import GatewayService
from lendguard.gateway.store import GatewayRepository
from lendguard.gateway.wiring import service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import InstitutionKind, Role
from tests.conftest import Tenant, make_tenant

BORROWER = "B0001"


@dataclass
class FakeConsentLedger:
    """Consent per (bureau, borrower, purpose); withdraw removes it at once."""

    given: set[tuple[int, str, str]] = field(default_factory=set)
    calls: int = 0

    def allows(
        self,
        conn: Connection,
        question: ConsentQuestion,
    ) -> bool:
        self.calls += 1
        return (question.bureau_institution_id, question.borrower_ref, question.purpose) in self.given


@dataclass
class World:
    container: Container
    gateway: GatewayService
    bureau: Tenant
    lender: Tenant
    client: dict[str, Any]
    consent: FakeConsentLedger

    def bureau_kind(self) -> InstitutionKind:
        return InstitutionKind.CREDIT_BUREAU

    def give_consent(self, borrower: str = BORROWER, purpose: str = "credit_assessment") -> None:
        self.consent.given.add((self.bureau.institution_id, borrower, purpose))

    def issue(self, **overrides: Any) -> dict[str, Any]:
        """Issue an authorisation (as the bureau's compliance officer) for the fixture's client."""
        args: dict[str, Any] = {
            "client_ref": self.client["ref"],
            "borrower_ref": BORROWER,
            "purpose": Purpose.CREDIT_ASSESSMENT,
            "product": Product.SCORE,
            "expires_at": self.container.clock.now() + timedelta(days=30),
            "max_uses": 1,
        }
        args.update(overrides)
        return self.gateway.issue_authorisation(self.bureau.users[Role.COMPLIANCE], **args)

    def request(self, **overrides: Any) -> QueryRequest:
        args: dict[str, Any] = {
            "borrower_ref": BORROWER,
            "purpose": Purpose.CREDIT_ASSESSMENT,
            "product": Product.SCORE,
            "channel": Channel.APP,
        }
        args.update(overrides)
        return QueryRequest(**args)


def add_history(container: Container, bureau_id: int, borrower: str, loans: int = 1, late: int = 0) -> None:
    with container.engine.begin() as conn:
        GatewayRepository(conn).add_credit_records(
            bureau_id,
            [
                {
                    "borrower_ref": borrower,
                    "loan_ref": f"{borrower}-L{i}",
                    "reported_by": "lender-a",
                    "principal_fen": 1_000_000,
                    "instalments_due": 12,
                    "paid_on_time": 12 - late,
                    "paid_late": late,
                    "unpaid": 0,
                    "days_past_due": 0,
                    "outstanding_fen": 0,
                    "status": "closed",
                }
                for i in range(loans)
            ],
        )


def make_world(container: Container, prepaid: Decimal = Decimal("1000"), **client: Any) -> World:
    bureau = make_tenant(container, "bureau", InstitutionKind.CREDIT_BUREAU)
    lender = make_tenant(container, "lender-a")
    gateway = service(container)
    ledger = FakeConsentLedger()
    gateway.consent = ledger
    args: dict[str, Any] = {
        "ref": "C01",
        "name": "Lender A channel",
        "lender_code": lender.code,
        "purposes": [Purpose.CREDIT_ASSESSMENT, Purpose.ACCOUNT_REVIEW],
        "channels": [Channel.APP, Channel.WEB],
        "prepaid": prepaid,
        "rate_per_second": 1000,
        "rate_per_day": 1_000_000,
    }
    args.update(client)
    row = gateway.create_client(bureau.users[Role.ADMIN], **args)
    add_history(container, bureau.institution_id, BORROWER)
    world = World(container, gateway, bureau, lender, row, ledger)
    world.give_consent()
    return world


@pytest.fixture
def world(container: Container) -> World:
    return make_world(container)
