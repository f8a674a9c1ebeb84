"""The real consent ledger (privacy capability) decides; withdrawal refuses the next query; the
borrower's access trail holds every gateway query about them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lendguard.gateway.model import Channel, Product, Purpose, QueryRequest, Refusal
from lendguard.gateway.outcomes import QueryRefused
from lendguard.gateway.wiring import PrivacyConsentLedger, service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import InstitutionKind, Role
from lendguard.platform.store import event_log
from lendguard.privacy.wiring import rights
from lendguard.privacy.wiring import service as privacy_service
from tests.conftest import make_tenant
from tests.gateway.conftest import BORROWER, add_history


def test_queries_follow_the_privacy_ledger(container: Container) -> None:
    bureau = make_tenant(container, "bureau", InstitutionKind.CREDIT_BUREAU)
    lender = make_tenant(container, "lender-a")
    gateway = service(container)
    assert isinstance(gateway.consent, PrivacyConsentLedger)
    gateway.create_client(
        bureau.users[Role.ADMIN],
        ref="C01",
        name="A",
        lender_code="lender-a",
        purposes=[Purpose.CREDIT_ASSESSMENT],
        channels=[Channel.APP],
        prepaid=Decimal(100),
    )
    add_history(container, bureau.institution_id, BORROWER)
    privacy = privacy_service(container)
    compliance = bureau.users[Role.COMPLIANCE]
    privacy.register_subject(compliance, BORROWER, {})
    expires = container.clock.now() + timedelta(days=1)
    token = gateway.issue_authorisation(
        compliance,
        client_ref="C01",
        borrower_ref=BORROWER,
        max_uses=5,
        purpose=Purpose.CREDIT_ASSESSMENT,
        product=Product.SCORE,
        expires_at=expires,
    )["token"]
    request = QueryRequest(BORROWER, Purpose.CREDIT_ASSESSMENT, Product.SCORE, Channel.APP)
    user = lender.users[Role.GATEWAY_CLIENT]
    with pytest.raises(QueryRefused) as no_consent:
        gateway.query(user, token, request)
    assert no_consent.value.reason is Refusal.CONSENT_MISSING
    receipt = privacy.give_consent(
        compliance,
        BORROWER,
        purposes=["credit_assessment"],
        categories=["credit_report"],
        recipients=["lender-a"],
        method="app",
        notice_version="v1",
        separate=True,
    )
    assert gateway.query(user, token, request).price == "1.00"
    privacy.withdraw_consent(compliance, BORROWER, receipt["payload"]["consent_id"])
    with pytest.raises(QueryRefused) as withdrawn:
        gateway.query(user, token, request)
    assert withdrawn.value.reason is Refusal.CONSENT_MISSING
    with container.engine.connect() as conn:
        actions = (
            conn.execute(
                sa.select(event_log.c.action)
                .where(
                    event_log.c.institution_id == bureau.institution_id,
                    event_log.c.subject_ref == BORROWER,
                    event_log.c.action.like("gateway.query.%"),
                )
                .order_by(event_log.c.seq)
            )
            .scalars()
            .all()
        )
    assert actions == ["gateway.query.refused", "gateway.query.answered", "gateway.query.refused"]
    report = rights(container).access_report(compliance, BORROWER)
    shown = [(r["actor"], r["action"], r["purpose"]) for r in report["reads"] if r["action"].startswith("gateway.")]
    assert shown == [(user.username, a, "credit_assessment") for a in actions]


def test_a_consent_recorded_by_the_lender_naming_the_bureau_also_counts(container: Container) -> None:
    bureau = make_tenant(container, "bureau", InstitutionKind.CREDIT_BUREAU)
    lender = make_tenant(container, "lender-a")
    gateway = service(container)
    gateway.create_client(
        bureau.users[Role.ADMIN],
        ref="C01",
        name="A",
        lender_code="lender-a",
        purposes=[Purpose.CREDIT_ASSESSMENT],
        channels=[Channel.APP],
        prepaid=Decimal(100),
    )
    add_history(container, bureau.institution_id, BORROWER)
    privacy = privacy_service(container)
    lender_compliance = lender.users[Role.COMPLIANCE]
    privacy.register_subject(lender_compliance, BORROWER, {})
    expires = container.clock.now() + timedelta(days=1)
    token = gateway.issue_authorisation(
        bureau.users[Role.COMPLIANCE],
        client_ref="C01",
        borrower_ref=BORROWER,
        purpose=Purpose.CREDIT_ASSESSMENT,
        product=Product.SCORE,
        expires_at=expires,
        max_uses=5,
    )["token"]
    request = QueryRequest(BORROWER, Purpose.CREDIT_ASSESSMENT, Product.SCORE, Channel.APP)
    user = lender.users[Role.GATEWAY_CLIENT]
    # Consent at the lender naming someone else is not enough; naming the bureau is.
    privacy.give_consent(
        lender_compliance,
        BORROWER,
        purposes=["credit_assessment"],
        categories=["credit_report"],
        recipients=["someone-else"],
        method="app",
        notice_version="v1",
        separate=True,
    )
    with pytest.raises(QueryRefused) as refused:
        gateway.query(user, token, request)
    assert refused.value.reason is Refusal.CONSENT_MISSING
    privacy.give_consent(
        lender_compliance,
        BORROWER,
        purposes=["credit_assessment"],
        categories=["credit_report"],
        recipients=["bureau"],
        method="app",
        notice_version="v1",
        separate=True,
    )
    assert gateway.query(user, token, request).price == "1.00"
