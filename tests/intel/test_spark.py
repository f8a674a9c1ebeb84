"""The same detection on Spark (local mode) gives exactly the DuckDB document, apart from ``engine``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from lendguard.analytics.backend import SparkBackend, spark_session
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.ingest import read_input
from lendguard.intel.job import detect
from tests.intel.conftest import SMALL, run_duckdb

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local SparkSession for the whole test session (starting the JVM is the slow part)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime (java on PATH or JAVA_HOME); none found")
    yield spark_session("local[1]")


def test_spark_and_duckdb_documents_are_identical(spark: Any) -> None:
    threshold = 0.0  # every candidate ring, so the law firm's and the agent's rings are both compared
    expected = run_duckdb(SMALL, threshold=threshold)
    with SparkBackend(session=spark) as backend:
        got = detect(backend, read_input(SMALL), DetectionConfig(threshold=threshold))
    assert got["engine"] == "spark"
    assert {**got, "engine": "duckdb"} == expected
    assert got["rings"], "the fixture has a ring to find"
