"""A small engine abstraction (the Splink pattern): jobs are SQL strings, backends execute them.

A job loads Arrow tables with :meth:`Backend.load`, derives new tables with :meth:`Backend.create`
and reads results with :meth:`Backend.rows` (Python tuples) or :meth:`Backend.arrow` (an Arrow
table). The SQL must stay inside the dialect that DuckDB and Spark SQL share (no ``::`` casts, no
engine-specific functions; timestamps as BIGINT epoch seconds), and every query whose rows are read
back must have a total ``ORDER BY`` so that both engines return identical results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import pyarrow as pa

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


class Backend(Protocol):
    """What a job needs from an engine."""

    name: EngineName

    def load(self, table: str, data: pa.Table) -> None:
        """Make ``data`` queryable as ``table`` (replacing an earlier table of that name)."""

    def create(self, table: str, sql: str) -> None:
        """Materialise the result of ``sql`` as ``table``."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` and return its rows as tuples (order as the query's ORDER BY)."""

    def arrow(self, sql: str) -> pa.Table:
        """Run ``sql`` and return its result as an Arrow table (order as the query's ORDER BY)."""

    def close(self) -> None:
        """Release the engine's resources (a shared Spark session is left running)."""


class DuckDBBackend:
    """DuckDB in-process; the default engine."""

    name: EngineName = "duckdb"

    def __init__(
        self, threads: int | None = None, memory_limit: str | None = None, *, arrow_views: bool = False
    ) -> None:
        import duckdb

        settings: dict[str, Any] = {"preserve_insertion_order": False}
        if threads:
            settings["threads"] = int(threads)
        self.con = duckdb.connect(":memory:", config=settings)
        # arrow_views: load() registers the Arrow table itself (no copy; DuckDB scans it in place), which
        # saves the copy when each loaded table is read only once or twice
        self.arrow_views = arrow_views
        self._views: dict[str, pa.Table] = {}
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")

    def load(self, table: str, data: pa.Table) -> None:
        if self.arrow_views:
            self._views[table] = data  # DuckDB scans the table in place: keep it alive
            self.con.register(table, data)
            return
        self.con.register(f"__arrow_{table}", data)
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM __arrow_{table}")
        self.con.unregister(f"__arrow_{table}")

    def create(self, table: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.con.execute(sql).fetchall()]

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()
        self._views.clear()

    def __enter__(self) -> DuckDBBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SPARK_SESSIONS: dict[str, Any] = {}


def spark_session(master: str = "local[2]") -> Any:
    """One SparkSession per master URL and process (starting the JVM is the slow part)."""
    if master not in _SPARK_SESSIONS:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master(master).appName("lendguard-intel")
        if master.startswith("local"):
            # small local jobs: a few partitions and no UI keep the per-query overhead low; on a
            # cluster the spark-submit configuration decides
            builder = (
                builder.config("spark.sql.shuffle.partitions", "2")
                .config("spark.default.parallelism", "2")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
            )
        _SPARK_SESSIONS[master] = (
            builder.config("spark.sql.session.timeZone", "UTC").config("spark.sql.ansi.enabled", "false").getOrCreate()
        )
    return _SPARK_SESSIONS[master]


def _spark_type(arrow_type: pa.DataType) -> Any:
    from pyspark.sql import types as T

    if pa.types.is_integer(arrow_type):
        return T.LongType()
    if pa.types.is_floating(arrow_type):
        return T.DoubleType()
    if pa.types.is_boolean(arrow_type):
        return T.BooleanType()
    return T.StringType()


class SparkBackend:
    """Spark SQL; local mode in tests, any master (``spark-submit``) on a cluster."""

    name: EngineName = "spark"

    def __init__(self, master: str = "local[2]", session: Any | None = None) -> None:
        self.spark = session if session is not None else spark_session(master)
        self._tables: list[str] = []

    def load(self, table: str, data: pa.Table) -> None:
        from pyspark.sql import types as T

        schema = T.StructType([T.StructField(f.name, _spark_type(f.type), True) for f in data.schema])
        frame = self.spark.createDataFrame([tuple(r.values()) for r in data.to_pylist()], schema=schema)
        if data.num_rows < 100_000:  # one partition: small tables are not worth a shuffle
            frame = frame.coalesce(1)
        frame.createOrReplaceTempView(table)
        self._tables.append(table)

    def create(self, table: str, sql: str) -> None:
        frame = self.spark.sql(sql).cache()
        frame.createOrReplaceTempView(table)
        self._tables.append(table)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def arrow(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def close(self) -> None:
        for table in self._tables:
            self.spark.catalog.dropTempView(table)
        self._tables.clear()

    def __enter__(self) -> SparkBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_backend(
    engine: EngineName, *, spark_master: str = "local[2]", arrow_views: bool = False, threads: int | None = None
) -> Backend:
    """The backend called ``engine`` (``arrow_views``, ``threads``: see :class:`DuckDBBackend`; Spark
    ignores them)."""
    if engine == "duckdb":
        return DuckDBBackend(threads=threads, arrow_views=arrow_views)
    if engine == "spark":
        return SparkBackend(spark_master)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def sql_list(values: Sequence[str]) -> str:
    """A SQL ``IN (...)`` list of string literals (quotes doubled)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


__all__ = ["ENGINES", "Backend", "DuckDBBackend", "EngineName", "SparkBackend", "make_backend", "spark_session"]
