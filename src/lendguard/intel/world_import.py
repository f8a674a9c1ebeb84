"""Run ring detection on a synthetic world and store each institution's rings (so the demo shows rings)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from lendguard.analytics.backend import DuckDBBackend
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.ingest import read_input
from lendguard.intel.job import run
from lendguard.intel.scoring_model import score_ring
from lendguard.intel.wiring import service

if TYPE_CHECKING:
    from lendguard.platform.bootstrap import Container


def load(container: Container, world_dir: Path, institutions: dict[str, int], progress: bool) -> None:
    """Detect rings on ``world_dir`` (DuckDB) and store, per institution, the rings of its borrowers."""
    from rich.console import Console

    console = Console(stderr=True, quiet=not progress)
    config = DetectionConfig(threshold=container.settings.intel.threshold)
    with console.status("intel: detecting rings"):
        tables = read_input(world_dir)
        backend = DuckDBBackend()
        try:
            rows = run(backend, tables, config)
        finally:
            backend.close()
    rings = [score_ring(r, config) for r in rows]
    own: dict[str, set[str]] = defaultdict(set)
    borrowers = tables["borrowers"]
    for borrower, institution in zip(
        borrowers.column("borrower_id").to_pylist(), borrowers.column("institution_id").to_pylist(), strict=True
    ):
        own[str(institution)].add(str(borrower))
    intel = service(container)
    now = container.clock.now()
    stored = []
    with container.engine.begin() as conn:
        for code, institution_id in sorted(institutions.items()):
            if code not in own:
                continue
            stored.append(
                intel.store_rings(
                    conn,
                    institution_id,
                    rings,
                    own[code],
                    engine="duckdb",
                    source=world_dir.name,
                    config=config,
                    now=now,
                )
            )
    redacted = sum(s.erased_items_redacted for s in stored)
    held = sum(s.erased_evidence_held for s in stored)
    erased = f"; erased borrowers: {redacted} evidence items redacted, {held} held" if redacted or held else ""
    console.print(f"intel: {sum(r.score >= config.threshold for r in rings)} rings stored{erased}")
