"""Builds the collections service from the container (with the message screener when it is installed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lendguard.collections.numbers import NumberPseudonymiser
from lendguard.collections.screener_hook import load_text_screener
from lendguard.collections.service import CollectionsService
from lendguard.platform.model import Principal

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

NAME = "collections"


def build(container: Container) -> CollectionsService:
    """The collections service; designated contacts come from the privacy capability's service."""

    def designated(principal: Principal, subject_ref: str, purpose: str) -> list[Any]:
        from lendguard.privacy.wiring import service as privacy_service

        return list(privacy_service(container).designated_contacts(principal, subject_ref, purpose))

    numbers = NumberPseudonymiser(container.settings.security.index_key.reveal())
    return CollectionsService(
        container.engine,
        container.clock,
        container.audit,
        load_text_screener(container.settings.screening.statistical),
        designated,
        numbers,
    )


def service(container: Container) -> CollectionsService:
    """The collections service of ``container``."""
    return container.service(NAME, CollectionsService)
