"""Builds the privacy service from the container."""

from __future__ import annotations

from lendguard.lending.wiring import service as lending_service
from lendguard.platform.bootstrap import Container
from lendguard.privacy.rights import RightsService
from lendguard.privacy.service import PrivacyService

NAME = "privacy"


def build(container: Container) -> PrivacyService:
    """The privacy service on the container's engine, clock, audit log and keys; it is also the ledger of
    erased subjects that capabilities storing new copies ask (``platform.erasure``)."""
    privacy = PrivacyService(container.engine, container.clock, container.audit, container.settings)
    container.erasers.set_ledger(privacy)
    return privacy


def service(container: Container) -> PrivacyService:
    """The privacy service of ``container``, typed."""
    return container.service(NAME, PrivacyService)


def rights(container: Container) -> RightsService:
    """Borrower-rights use cases over the privacy service and the loan book (stateless, built on call)."""
    return RightsService(service(container), lending_service(container), container.erasers)
