"""Authorised queries: every failed check refuses with its reason, is logged and is never billed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lendguard.gateway.model import Channel, Product, Purpose, Refusal
from lendguard.gateway.outcomes import QueryRefused
from lendguard.gateway.tables import clients, queries
from lendguard.platform.model import Role
from lendguard.platform.store import event_log
from tests.gateway.conftest import BORROWER, World


def balance(world: World) -> Decimal:
    return Decimal(world.gateway.client(world.bureau.users[Role.ADMIN], world.client["id"])["balance"])


def refused(world: World, token: str, reason: Refusal, **request: object) -> QueryRefused:
    before = balance(world)
    with pytest.raises(QueryRefused) as caught:
        world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request(**request))
    assert caught.value.reason is reason, caught.value
    assert balance(world) == before  # never billed when refused
    with world.container.engine.connect() as conn:
        row = conn.execute(sa.select(queries).where(queries.c.ref == caught.value.query_ref)).one()
    assert row.outcome == "refused" and row.reason == reason.value and row.price_fen == 0
    return caught.value


def test_an_authorised_query_is_answered_billed_once_and_audited(world: World) -> None:
    token = world.issue()["token"]
    result = world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request())
    assert 300 <= int(result.answer["score"]) <= 850
    assert result.price == "1.00" and result.balance == "999.00"
    assert balance(world) == Decimal("999.00")
    with world.container.engine.connect() as conn:
        audit = conn.execute(
            sa.select(event_log).where(
                event_log.c.institution_id == world.bureau.institution_id,
                event_log.c.action == "gateway.query.answered",
            )
        ).one()
    assert audit.subject_ref == BORROWER and audit.object_id == result.query_ref


def test_bad_signature_is_refused(world: World) -> None:
    token = world.issue()["token"]
    payload, signature = token.split(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    refused(world, forged, Refusal.BAD_SIGNATURE)


def test_a_token_with_a_tampered_payload_is_refused(world: World) -> None:
    other = world.issue(max_uses=1000)["token"]
    token = world.issue()["token"]
    # The payload of one token with the signature of another: the signature no longer matches.
    refused(world, other.split(".")[0] + "." + token.split(".")[1], Refusal.BAD_SIGNATURE)


def test_malformed_token_is_refused(world: World) -> None:
    refused(world, "not-a-token", Refusal.BAD_TOKEN)


def test_wrong_client_is_refused(world: World) -> None:
    world.gateway.create_client(
        world.bureau.users[Role.ADMIN],
        ref="C02",
        name="other",
        lender_code=None,
        purposes=[Purpose.CREDIT_ASSESSMENT],
        channels=[Channel.APP],
        prepaid=Decimal("10"),
    )
    refused(world, world.issue(client_ref="C02")["token"], Refusal.WRONG_CLIENT)


def test_wrong_purpose_is_refused(world: World) -> None:
    world.give_consent(purpose="account_review")
    refused(world, world.issue()["token"], Refusal.WRONG_PURPOSE, purpose=Purpose.ACCOUNT_REVIEW)


def test_wrong_product_is_refused(world: World) -> None:
    refused(world, world.issue()["token"], Refusal.WRONG_PRODUCT, product=Product.REPORT)


def test_another_borrowers_authorisation_is_refused(world: World) -> None:
    refused(world, world.issue()["token"], Refusal.WRONG_BORROWER, borrower_ref="B0002")


def test_expired_authorisation_is_refused(world: World) -> None:
    token = world.issue(expires_at=world.container.clock.now() + timedelta(hours=1))["token"]
    world.container.clock.advance(hours=1)  # type: ignore[attr-defined]
    refused(world, token, Refusal.EXPIRED)


def test_used_up_authorisation_is_refused(world: World) -> None:
    token = world.issue(max_uses=2)["token"]
    for _ in range(2):
        world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request())
    refused(world, token, Refusal.USED_UP)


def test_revocation_is_immediate(world: World) -> None:
    issued = world.issue(max_uses=5)
    world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], issued["token"], world.request())
    world.gateway.revoke_authorisation(world.bureau.users[Role.COMPLIANCE], issued["id"])
    refused(world, issued["token"], Refusal.REVOKED)


def test_withdrawn_consent_is_refused(world: World) -> None:
    token = world.issue(max_uses=5)["token"]
    world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request())
    world.consent.given.clear()
    refused(world, token, Refusal.CONSENT_MISSING)


def test_suspended_client_is_refused_with_the_reason_and_reinstated(world: World) -> None:
    compliance = world.bureau.users[Role.COMPLIANCE]
    world.gateway.set_suspended(compliance, world.client["id"], True, "resale suspected")
    shown = world.gateway.client(world.lender.users[Role.GATEWAY_CLIENT], world.client["id"])
    assert shown["status"] == "suspended" and shown["suspend_reason"] == "resale suspected"
    token = world.issue()["token"]
    refused(world, token, Refusal.SUSPENDED)
    world.gateway.set_suspended(compliance, world.client["id"], False)
    assert world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request()).price == "1.00"


def test_insufficient_balance_is_refused_and_balance_stays(world: World) -> None:
    with world.container.engine.begin() as conn:
        conn.execute(sa.update(clients).where(clients.c.id == world.client["id"]).values(balance_fen=99))
    refused(world, world.issue()["token"], Refusal.INSUFFICIENT_BALANCE)
    assert balance(world) == Decimal("0.99")


def test_rate_limit_per_second_and_per_day(world: World) -> None:
    with world.container.engine.begin() as conn:
        conn.execute(
            sa.update(clients).where(clients.c.id == world.client["id"]).values(rate_per_second=2, rate_per_day=3)
        )
    token = world.issue(max_uses=10)["token"]
    user = world.lender.users[Role.GATEWAY_CLIENT]
    world.gateway.query(user, token, world.request())
    world.gateway.query(user, token, world.request())
    refused(world, token, Refusal.RATE_LIMITED)
    world.container.clock.advance(seconds=1)  # type: ignore[attr-defined]
    world.gateway.query(user, token, world.request())
    world.container.clock.advance(seconds=1)  # type: ignore[attr-defined]
    refused(world, token, Refusal.RATE_LIMITED)  # the day's 3 are used
    world.container.clock.advance(days=1)  # type: ignore[attr-defined]
    world.gateway.query(user, token, world.request())


def test_purpose_and_channel_outside_the_contract_are_refused(world: World) -> None:
    world.give_consent(purpose="collection")
    token = world.issue(purpose=Purpose.COLLECTION)["token"]
    refused(world, token, Refusal.PURPOSE_NOT_IN_CONTRACT, purpose=Purpose.COLLECTION)
    refused(world, world.issue()["token"], Refusal.CHANNEL_NOT_IN_CONTRACT, channel=Channel.BRANCH)


def test_unknown_borrower_is_refused_as_no_data_and_not_billed(world: World) -> None:
    world.give_consent(borrower="B9999")
    refused(world, world.issue(borrower_ref="B9999")["token"], Refusal.NO_DATA, borrower_ref="B9999")


def test_idempotent_retry_returns_the_first_answer_and_bills_once(world: World) -> None:
    token = world.issue(max_uses=5)["token"]
    user = world.lender.users[Role.GATEWAY_CLIENT]
    first = world.gateway.query(user, token, world.request(), idempotency_key="k-1")
    again = world.gateway.query(user, token, world.request(), idempotency_key="k-1")
    assert again.replayed and again.query_ref == first.query_ref and again.answer == first.answer
    assert balance(world) == Decimal("999.00")


def test_a_report_holds_no_raw_personal_data(world: World) -> None:
    token = world.issue(product=Product.REPORT)["token"]
    result = world.gateway.query(world.lender.users[Role.GATEWAY_CLIENT], token, world.request(product=Product.REPORT))
    assert result.price == "3.00"
    assert set(result.answer) == {
        "score",
        "loans",
        "open_loans",
        "instalments_due",
        "on_time_ratio",
        "late_instalments",
        "missed_instalments",
        "worst_stage",
        "outstanding_band",
        "written_off",
    }


def test_a_borrower_authorises_and_revokes_only_for_themself(world: World) -> None:
    from lendguard.platform.model import NotFound, PermissionDenied

    borrower = world.bureau.users[Role.BORROWER]  # subject "bureau-B0001" at the bureau
    own = world.gateway.issue_authorisation(
        borrower,
        client_ref="C01",
        borrower_ref="bureau-B0001",
        purpose=Purpose.CREDIT_ASSESSMENT,
        product=Product.SCORE,
        expires_at=world.container.clock.now() + timedelta(days=1),
    )
    assert [a["ref"] for a in world.gateway.authorisations(borrower, "bureau-B0001")] == [own["id"]]
    with pytest.raises(PermissionDenied):
        world.gateway.issue_authorisation(
            borrower,
            client_ref="C01",
            borrower_ref=BORROWER,
            purpose=Purpose.CREDIT_ASSESSMENT,
            product=Product.SCORE,
            expires_at=world.container.clock.now() + timedelta(days=1),
        )
    with pytest.raises(NotFound):  # another tenant's borrower: the authorisation does not exist for them
        world.gateway.revoke_authorisation(world.lender.users[Role.BORROWER], own["id"])
    world.gateway.revoke_authorisation(borrower, own["id"])
    assert world.gateway.authorisations(borrower, "bureau-B0001")[0]["revoked_at"] is not None
