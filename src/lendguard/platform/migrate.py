"""Schema migrations: one Alembic branch per capability, all applied by ``upgrade`` (to ``heads``).

A capability keeps its revisions in ``src/lendguard/<capability>/migrations/``; its first revision
carries ``branch_labels=("<capability>",)`` and ``depends_on="platform_0001"``. So capabilities add
migrations without touching each other's chains.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from lendguard.platform.db import metadata

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# The modules that declare tables on the shared metadata; imported so autogenerate and the
# schema-drift test see every table.
STORE_MODULES: tuple[str, ...] = (
    "lendguard.platform.store",
    "lendguard.platform.audit",
    "lendguard.lending.store",
    "lendguard.collections.screening.store",
    "lendguard.gateway.tables",
    "lendguard.privacy.store",
    "lendguard.collections.store",
    "lendguard.intel.store",
)


def target_metadata() -> MetaData:
    """The shared metadata with every capability's tables registered."""
    for module in STORE_MODULES:
        importlib.import_module(module)
    return metadata


def version_locations() -> list[str]:
    """Every ``migrations`` folder below a capability (nested ones too) that holds revisions."""
    env_dir = PACKAGE_DIR / "migrations"
    return sorted(str(p) for p in PACKAGE_DIR.rglob("migrations") if p != env_dir and any(p.glob("*.py")))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.set_main_option("version_locations", " ".join(version_locations()))
    config.set_main_option("path_separator", "space")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Apply all migrations of every capability (idempotent)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)


def current_heads(engine: Engine) -> set[str]:
    """Revisions the database is at."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def script_heads(engine: Engine) -> set[str]:
    """Newest revision of every branch in the code."""
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def is_up_to_date(engine: Engine) -> bool:
    """True when the database has every migration the code knows of.

    Alembic records only the newest revision of merged dependency chains, so compare ancestry, not
    the raw head lists.
    """
    script = ScriptDirectory.from_config(alembic_config(engine))
    current = current_heads(engine)
    applied = {rev.revision for rev in script.iterate_revisions(tuple(current), "base")} if current else set()
    return script_heads(engine) <= applied
