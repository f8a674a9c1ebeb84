"""Builds the screening service from the container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lendguard.collections.screening.service import ScreeningService

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

NAME = "screening"


def build(container: Container) -> ScreeningService:
    return ScreeningService(
        container.engine, container.clock, container.audit, statistical=container.settings.screening.statistical
    )


def service(container: Container) -> ScreeningService:
    """The screening service of ``container``."""
    return container.service(NAME, ScreeningService)
