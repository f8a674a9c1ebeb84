"""Entry point for ``spark-submit``: ring detection on the cluster the submit command names.

    spark-submit --master yarn "$(python -c 'import lendguard.intel.submit as m; print(m.__file__)')" \\
        --input /data/intel --out /data/rings.json [--threshold 0.5]

The input folder is read and validated on the driver (Arrow); the SQL steps run on the executors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.ingest import InputError, read_input
from lendguard.intel.job import rescore, run
from lendguard.intel.runner import to_json, write_atomic


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run detection on the session spark-submit created, write the JSON document."""
    from pyspark.sql import SparkSession

    from lendguard.analytics.backend import SparkBackend

    parser = argparse.ArgumentParser(description="lendguard ring detection on Spark")
    parser.add_argument("--input", required=True, type=Path, help="folder with the CSV files")
    parser.add_argument("--out", required=True, type=Path, help="where to write the JSON document")
    parser.add_argument("--threshold", type=float, default=0.5, help="ring score threshold")
    args = parser.parse_args(argv)
    config = DetectionConfig(threshold=args.threshold)
    try:
        tables = read_input(args.input)
    except InputError as exc:
        print(f"bad input: {exc}", file=sys.stderr)
        return 2
    session = SparkSession.builder.appName("lendguard-intel").getOrCreate()
    with SparkBackend(session=session) as backend:
        doc = rescore(run(backend, tables, config), config, backend.name)
    write_atomic(args.out, to_json(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
