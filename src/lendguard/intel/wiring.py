"""Builds the intelligence service from the container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lendguard.intel.erasure import IntelEraser
from lendguard.intel.service import IntelService

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container

NAME = "intel"


def build(container: Container) -> IntelService:
    """The intelligence service (it asks ``container.erasers`` who was erased before storing a run); also
    registers the eraser of borrowers' ring evidence (issue 5)."""
    container.erasers.register(IntelEraser(container.audit))
    return IntelService(container.engine, container.clock, container.audit, container.erasers)


def service(container: Container) -> IntelService:
    """The intelligence service of ``container``."""
    return container.service(NAME, IntelService)
