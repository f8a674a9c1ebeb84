"""Builds the disclosure service from the container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lendguard.disclosure.lpr_data import packaged_lpr_table
from lendguard.disclosure.service import DisclosureService
from lendguard.lending.wiring import service as lending_service

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

NAME = "disclosure"


def build(container: Container) -> DisclosureService:
    return DisclosureService(
        container.engine, container.clock, container.audit, lending_service(container), packaged_lpr_table()
    )


def service(container: Container) -> DisclosureService:
    """The disclosure service of ``container``."""
    return container.service(NAME, DisclosureService)
