"""Entry points shared by the CLI, the world importer and the benchmark: detect, write, evaluate."""

from __future__ import annotations

import csv
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from lendguard.analytics.backend import EngineName, make_backend
from lendguard.intel.config_model import SIGNALS, DetectionConfig
from lendguard.intel.eval_model import Truth, evaluate
from lendguard.intel.ingest import InputError, InputTables, Reading
from lendguard.intel.job import QUERIED, Progress, cluster_heads, rescore, run_scored, template_clusters
from lendguard.intel.scoring_model import RingRows, document

# Below this many bytes of queried CSV, DuckDB gets one thread: each of the job's statements then takes
# a few milliseconds, too little to split, and a second engine thread only competes with the readers
# and template clustering for the cores (about 30 ms less CPU per 50,000-borrower run, 8 MB queried).
SMALL_INPUT_BYTES = 64 << 20


def _engine_threads(directory: Path) -> int | None:
    """One DuckDB thread for a small input (see :data:`SMALL_INPUT_BYTES`), else DuckDB's default."""
    paths = [directory / f"{name}.csv" for name in QUERIED]
    size = sum(p.stat().st_size for p in paths if p.is_file())
    return 1 if size < SMALL_INPUT_BYTES else None


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Suspend Python's cyclic garbage collector for the duration of a detection.

    Detection builds some 100,000 tuples, lists and dicts (evidence rows, signals, the document) and keeps
    most of them to the end, so the collector, triggered by allocation counts, scans them again and again
    (about 45 ms of CPU per 50,000-borrower run, most of it one full collection) without finding anything:
    none of them is in a reference cycle (a collection after a run finds no unreachable object), and
    reference counting frees them as usual.

    Afterwards the run's survivors (the document, the evidence rows) would all be scanned by the first
    young collection after ``gc.enable()`` (about 5 ms of CPU per 50,000-borrower run, finding nothing):
    ``freeze()`` then ``unfreeze()`` moves every tracked object to the oldest generation at once, where
    they would end up anyway and full collections still look at them. Not done when something else has
    frozen objects (``unfreeze()`` would thaw those too).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def detect_directory(
    directory: Path,
    *,
    engine: EngineName = "duckdb",
    config: DetectionConfig | None = None,
    spark_master: str = "local[2]",
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[RingRows]]:
    """Validate the CSV files of ``directory`` and run detection on ``engine``.

    Everything that does not wait for something else starts at once: the engine (DuckDB spends about
    15 ms setting up its catalog), the file readers (complaints first), template clustering as soon as
    complaints.csv is parsed (on its texts), and the SQL steps as soon as the files they query are; borrowers.csv,
    which no query reads, is validated meanwhile and checked before the document is built.
    """
    config = config or DetectionConfig()
    note = progress or (lambda _m: None)
    note("reading and validating input files")
    helpers = ThreadPoolExecutor(max_workers=2)  # the engine's start-up, then template clustering
    clusters: list[Future[npt.NDArray[np.int64]]] = []

    def start_clustering(name: str, cells: pa.Table) -> None:
        # on the texts as parsed, while the rest of complaints.csv is still being checked (a bad file stops
        # the run before the clusters are used)
        if name == "complaints":
            clusters.append(helpers.submit(template_clusters, cells.column("text"), config))

    with _without_cycle_collection():
        threads = _engine_threads(directory) if directory.is_dir() else None
        starting = helpers.submit(make_backend, engine, spark_master=spark_master, arrow_views=True, threads=threads)
        try:
            reading = Reading(directory, on_parsed=start_clustering)
            queried = InputTables({name: reading.table(name) for name in QUERIED})
            complaints = queried["complaints"]
            labels = helpers.submit(lambda: cluster_heads(complaints, clusters[0].result())) if clusters else None
            backend = starting.result()
            rows, rings = run_scored(backend, queried, config, progress, labels)
            reading.all()  # raises if borrowers.csv (or any file) is bad: no document, nothing written
            return document(backend.name, config, rings), rows
        finally:
            helpers.shutdown(wait=False, cancel_futures=True)
            if starting.exception() is None:
                starting.result().close()


def to_json(doc: dict[str, Any]) -> str:
    """The output document as UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_truth(world: Path) -> Truth:
    """``truth/rings.csv`` and ``truth/ring_members.csv`` of a synthetic world."""
    kinds: dict[str, str] = {}
    members: dict[str, str] = {}
    for name in ("rings.csv", "ring_members.csv"):
        if not (world / "truth" / name).exists():
            raise InputError(f"truth/{name}", None, None, f"missing from {world} (is it a synthetic world?)")
    with (world / "truth" / "rings.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            kinds[row["ring_id"]] = row["kind"]
    with (world / "truth" / "ring_members.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            # a borrower in an agent ring and a decoy counts as the agent's
            if row["borrower_id"] not in members or kinds.get(row["ring_id"]) == "agent":
                members[row["borrower_id"]] = row["ring_id"]
    return Truth(kinds, members)


def evaluate_world(
    world: Path,
    *,
    engine: EngineName = "duckdb",
    config: DetectionConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Detection on a world scored against its truth, with an ablation (each signal removed in turn)."""
    config = config or DetectionConfig()
    truth = read_truth(world)
    doc, rows = detect_directory(world, engine=engine, config=config, progress=progress)
    result: dict[str, Any] = {"engine": engine, "threshold": config.threshold, **evaluate(doc, truth)}
    ablation = {}
    for signal in SIGNALS:
        scores = evaluate(rescore(rows, config.without(signal), engine), truth)
        ablation[signal] = {k: scores[k] for k in ("precision", "recall", "flagged", "rings_reported")}
    result["ablation"] = ablation
    return result
