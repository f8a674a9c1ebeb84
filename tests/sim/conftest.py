"""A small world generated once per test session (read-only for the tests that share it)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from lendguard.sim.world import WorldSummary, generate_world

SIZE = 3000
SEED = 11


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    """A 3,000-borrower world shared by the read-only tests."""
    return generate_world(SIZE, SEED, tmp_path_factory.mktemp("world") / "w")


@pytest.fixture(scope="session")
def rows(world: WorldSummary) -> Callable[[str], list[dict[str, str]]]:
    """Rows of one of the world's files (name without ``.csv``), cached."""
    cache: dict[str, list[dict[str, str]]] = {}

    def read(name: str) -> list[dict[str, str]]:
        if name not in cache:
            with (world.out / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
                cache[name] = list(csv.DictReader(fh))
        return cache[name]

    return read


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
