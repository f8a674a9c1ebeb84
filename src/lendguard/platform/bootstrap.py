"""The composition root: the only place that builds engines, repositories and services.

Nothing is created at import time anywhere in the package; callers (CLI commands, the app factory,
tests) call :func:`bootstrap` with settings and get a :class:`Container`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from lendguard.platform.audit import AuditLog
from lendguard.platform.clock import Clock, SystemClock
from lendguard.platform.db import make_engine
from lendguard.platform.erasure import ErasureRegistry
from lendguard.platform.service import TenancyService
from lendguard.platform.settings import Settings

# Each capability's ``wiring`` module builds its service from the container. Order matters where
# one capability's service calls another's (privacy before gateway and collections).
CAPABILITY_WIRINGS: tuple[str, ...] = (
    "lendguard.lending.wiring",
    "lendguard.collections.screening.wiring",
    "lendguard.disclosure.wiring",
    "lendguard.privacy.wiring",
    "lendguard.collections.wiring",
    "lendguard.gateway.wiring",
    "lendguard.intel.wiring",
)

S = TypeVar("S")


@dataclass
class Container:
    """Everything one process needs, built once by :func:`bootstrap`."""

    settings: Settings
    engine: Engine
    clock: Clock
    audit: AuditLog
    tenancy: TenancyService
    services: dict[str, Any] = field(default_factory=dict)
    # Capabilities that keep derived copies of personal data register their erasers here (in their
    # wiring); privacy calls them when it erases a subject (see platform/erasure.py).
    erasers: ErasureRegistry = field(default_factory=ErasureRegistry)

    def service(self, name: str, kind: type[S]) -> S:
        """The service a capability registered under ``name``, checked to be a ``kind``."""
        found = self.services[name]
        if not isinstance(found, kind):
            raise TypeError(f"service {name!r} is a {type(found).__name__}, not a {kind.__name__}")
        return found


def bootstrap(settings: Settings, *, engine: Engine | None = None, clock: Clock | None = None) -> Container:
    """Build the container: engine (unless given), clock, audit log, kernel and capability services."""
    engine = engine if engine is not None else make_engine(settings.database_url, echo=settings.database_echo)
    clock = clock if clock is not None else SystemClock()
    audit = AuditLog.from_settings(settings)
    container = Container(
        settings=settings,
        engine=engine,
        clock=clock,
        audit=audit,
        tenancy=TenancyService(engine, clock, audit, settings.security.password_cost),
    )
    for module_name in CAPABILITY_WIRINGS:
        module = importlib.import_module(module_name)
        container.services[module.NAME] = module.build(container)
    return container
