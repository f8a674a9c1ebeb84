"""Builds the loan-book service from the container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lendguard.lending.service import LendingService

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

NAME = "lending"


def build(container: Container) -> LendingService:
    return LendingService(container.engine)


def service(container: Container) -> LendingService:
    """The loan-book service of ``container``."""
    return container.service(NAME, LendingService)
