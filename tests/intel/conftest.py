"""Fixtures of the intelligence tests: the hand-written world and a detection helper."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from lendguard.analytics.backend import DuckDBBackend
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.ingest import read_input
from lendguard.intel.job import detect

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small"
AGENT_RING = ["B001", "B002", "B003", "B004", "B005"]


def run_duckdb(directory: Path, **config: Any) -> dict[str, Any]:
    """Detection on DuckDB with the default configuration, overridden by ``config``."""
    return detect(DuckDBBackend(), read_input(directory), DetectionConfig(**config))


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    """A writable copy of the small world (tests corrupt it)."""
    target = tmp_path / "small"
    shutil.copytree(SMALL, target)
    return target
