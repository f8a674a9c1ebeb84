"""Shared analytics backends: job logic written once as SQL, run by DuckDB (embedded) or Spark.

See :mod:`lendguard.analytics.backend` and ``docs/intel.md`` ("Analytics backends").
"""
