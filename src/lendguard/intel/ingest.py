"""Read and validate the CSV input of ``lendguard intel detect`` into typed Arrow tables.

Files are parsed with Arrow (every cell as text), then each contract column is checked and
normalised. The first bad cell stops the run with an :class:`InputError` naming file, line and
column; nothing is written by the caller in that case.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from lendguard.intel.contract_model import (
    FILES,
    Column,
    FileSpec,
    normalise_email,
    normalise_phone,
    parse_timestamp,
)


class InputError(Exception):
    """A malformed input file: names the file, the line (header = 1) and the column."""

    def __init__(self, file: str, line: int | None, column: str | None, problem: str) -> None:
        where = file + (f", line {line}" if line is not None else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.file, self.line, self.column, self.problem = file, line, column, problem


@dataclass(frozen=True)
class InputTables:
    """The validated input: one Arrow table per file (absent optional files are empty tables)."""

    tables: dict[str, pa.Table]

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]


def _record_lines(path: Path) -> list[int]:
    """Line number on which each data record starts (only computed on the error path)."""
    starts: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        previous = 1
        next(reader, None)
        previous = reader.line_num
        for _ in reader:
            starts.append(previous + 1)
            previous = reader.line_num
    return starts


def _line_of(path: Path, index: int) -> int:
    starts = _record_lines(path)
    return starts[index] if index < len(starts) else index + 2


def _ragged_row(path: Path) -> InputError:
    """Find the first record whose field count differs from the header's."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        start = reader.line_num + 1
        for row in reader:
            if len(row) != len(header):
                return InputError(path.name, start, None, f"expected {len(header)} fields, found {len(row)}")
            start = reader.line_num + 1
    return InputError(path.name, None, None, "not a readable CSV file")


def _read(path: Path) -> pa.Table:
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path.name, line, None, "not UTF-8") from exc
    if not raw.strip():
        raise InputError(path.name, 1, None, "empty file (a header row is required)")
    header = next(csv.reader([raw.decode("utf-8").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")]))
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _ragged_row(path) from exc


def _as_text(table: pa.Table, name: str) -> list[str]:
    column = table.column(name).cast(pa.string())
    return ["" if v is None else v for v in column.to_pylist()]


def _parser(column: Column) -> Callable[[str], object]:
    if column.kind == "phone":
        return normalise_phone
    if column.kind == "email":
        return normalise_email
    if column.kind == "timestamp":
        return parse_timestamp
    if column.kind == "enum":
        return lambda v: v if v in column.values else None
    return lambda v: v


_PROBLEM = {
    "phone": "not a phone number",
    "email": "not an e-mail address",
    "timestamp": "not an ISO 8601 timestamp",
}


def _column(path: Path, table: pa.Table, column: Column) -> pa.Array:
    """Parse one column; raise on the first bad cell."""
    cells = _as_text(table, column.name)
    parse = _parser(column)
    cache: dict[str, object] = {}
    out: list[object] = []
    for index, cell in enumerate(cells):
        value = cell.strip() if column.kind != "text" else cell
        if value == "":
            if column.required:
                raise InputError(path.name, _line_of(path, index), column.name, "required value is empty")
            out.append(None)
            continue
        parsed = cache.get(value, cache)
        if parsed is cache:
            parsed = cache[value] = parse(value)
        if parsed is None:
            problem = _PROBLEM.get(column.kind, f"must be one of {', '.join(sorted(column.values))}")
            raise InputError(path.name, _line_of(path, index), column.name, f"{problem}: {value!r}")
        out.append(parsed)
    return pa.array(out, type=pa.int64() if column.kind == "timestamp" else pa.string())


def _empty(spec: FileSpec) -> pa.Table:
    fields = [pa.field("row_id", pa.string())] + [
        pa.field(c.name, pa.int64() if c.kind == "timestamp" else pa.string()) for c in spec.columns
    ]
    return pa.Table.from_pylist([], schema=pa.schema(fields))


def read_file(path: Path, spec: FileSpec) -> pa.Table:
    """One contract file as a typed table with a ``row_id`` column (evidence reference)."""
    table = _read(path)
    missing = [c.name for c in spec.columns if c.name not in table.column_names]
    if missing:
        raise InputError(path.name, 1, missing[0], "required column is missing from the header")
    arrays = {c.name: _column(path, table, c) for c in spec.columns}
    if spec.id_column is not None:
        row_ids = arrays[spec.id_column]
    else:
        row_ids = pa.array([str(i + 2) for i in range(table.num_rows)], type=pa.string())
    return pa.table({"row_id": row_ids, **arrays})


def read_input(directory: Path) -> InputTables:
    """Every contract file of ``directory``, validated (raises :class:`InputError`)."""
    if not directory.is_dir():
        raise InputError(str(directory), None, None, "not a directory")
    tables: dict[str, pa.Table] = {}
    for spec in FILES:
        path = directory / spec.name
        if not path.exists():
            if spec.required:
                raise InputError(spec.name, None, None, f"required file is missing from {directory}")
            tables[spec.name.removesuffix(".csv")] = _empty(spec)
            continue
        tables[spec.name.removesuffix(".csv")] = read_file(path, spec)
    return InputTables(tables)
