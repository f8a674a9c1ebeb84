"""Builds the gateway service from the container, wiring the privacy capability's consent ledger."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection

from lendguard.gateway.ports import (
    ConsentLedger,
    ConsentQuestion,
    RepaymentHistoryProvider,
    UnavailableConsentLedger,
)
from lendguard.gateway.service import GatewayService
from lendguard.gateway.signing import TokenSigner, derived_key

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container
    from lendguard.privacy.service import PrivacyService

NAME = "gateway"


# The gateway's purposes in the privacy capability's vocabulary: reviewing an existing account is
# loan servicing there.
PRIVACY_PURPOSE = {
    "credit_assessment": "credit_assessment",
    "account_review": "loan_servicing",
    "collection": "collection",
}


class PrivacyConsentLedger:
    """Adapts ``PrivacyService.consent_allows`` to the gateway's :class:`ConsentLedger`.

    An active consent of the borrower must cover the credit-report category and the purpose, and name
    the other party as recipient (PIPL art. 23: disclosure to another handler needs consent naming the
    recipient). It may be recorded by the bureau (naming the lender) or by the lender the client
    serves (naming the bureau; the synthetic world records it this way) — the lender's own ledger,
    read on the lender's own query.
    """

    def __init__(self, privacy: PrivacyService) -> None:
        self.privacy = privacy

    def allows(
        self,
        conn: Connection,
        question: ConsentQuestion,
    ) -> bool:
        q = question
        wanted = PRIVACY_PURPOSE[q.purpose]
        at_bureau = self.privacy.consent_allows(
            conn, q.bureau_institution_id, q.borrower_ref, wanted, q.lender_code, q.at, ["credit_report"]
        )
        if at_bureau.allowed or q.lender_institution_id is None:
            return bool(at_bureau.allowed)
        at_lender = self.privacy.consent_allows(
            conn, q.lender_institution_id, q.borrower_ref, wanted, q.bureau_code, q.at, ["credit_report"]
        )
        return bool(at_lender.allowed)


def consent_ledger(container: Container) -> ConsentLedger:
    """The privacy capability's ledger when it is wired; otherwise one that refuses every query."""
    if "privacy" in container.services:
        from lendguard.privacy.service import PrivacyService  # only once privacy is wired

        return PrivacyConsentLedger(container.service("privacy", PrivacyService))
    return UnavailableConsentLedger()


def signing_keys(container: Container) -> Callable[[int], Ed25519PrivateKey]:
    """The kernel's institution keys (shared with consent receipts); a local derivation otherwise."""
    kernel = getattr(container.audit, "signing_key", None)
    if callable(kernel):
        return cast("Callable[[int], Ed25519PrivateKey]", kernel)
    return partial(derived_key, container.settings.security.signing_seed.reveal())


def build(container: Container) -> GatewayService:
    settings = container.settings
    gateway = GatewayService(
        container.engine,
        container.clock,
        container.audit,
        container.tenancy,
        TokenSigner(signing_keys(container)),
        consent_ledger(container),
        RepaymentHistoryProvider(),
        defaults=(settings.gateway.default_rate_per_second, settings.gateway.default_rate_per_day),
    )
    gateway.timezone = settings.timezone
    return gateway


def service(container: Container) -> GatewayService:
    """The gateway service of ``container``."""
    return container.service(NAME, GatewayService)
