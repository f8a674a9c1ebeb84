"""Read and validate the CSV input of ``lendguard intel detect`` into typed Arrow tables.

Files are parsed with Arrow (every cell as text), then each contract column is checked and
normalised. The first bad cell stops the run with an :class:`InputError` naming file, line and
column; nothing is written by the caller in that case.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lendguard.intel.columns import parse
from lendguard.intel.contract_model import FILES, Column, FileSpec


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


def _diagnose(path: Path) -> InputError:
    """Why Arrow could not read ``path``: bad UTF-8 or a row with the wrong number of fields."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputError(path.name, raw[: exc.start].count(b"\n") + 1, None, "not UTF-8")
    return _ragged_row(path)


def _read(path: Path, wanted: Sequence[str] | None = None) -> pa.Table:
    """The cells of ``path`` as text (empty string for an empty cell): every column, or the ``wanted``
    ones present in the header (the others are still parsed, so a ragged row is still an error, but
    never converted)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise _diagnose(path) from exc
    if not header:
        raise InputError(path.name, 1, None, "empty file (a header row is required)")
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                include_columns=[name for name in header if name in wanted] if wanted is not None else None,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _diagnose(path) from exc


_PROBLEM = {
    "phone": "not a phone number",
    "email": "not an e-mail address",
    "timestamp": "not an ISO 8601 timestamp",
}


def _column(path: Path, table: pa.Table, column: Column) -> pa.Array:
    """Parse one column; raise on the first empty required cell or bad cell, whichever comes first."""
    raw = table.column(column.name).combine_chunks()
    values, missing, bad = parse(column, raw)
    problems = [(i, p) for i, p in ((missing, "missing"), (bad, "bad")) if i is not None]
    if not problems:
        return values
    index, kind = min(problems)
    if kind == "missing":
        raise InputError(path.name, _line_of(path, index), column.name, "required value is empty")
    value = str(raw[index].as_py()).strip()
    problem = _PROBLEM.get(column.kind, f"must be one of {', '.join(sorted(column.values))}")
    raise InputError(path.name, _line_of(path, index), column.name, f"{problem}: {value!r}")


def _check_unique(path: Path, column: str, ids: pa.Array) -> None:
    """Raise on the first row repeating an earlier row's id (one hash pass when all are distinct)."""
    if not ids.null_count and pc.all(pc.less(ids.slice(0, max(len(ids) - 1, 0)), ids.slice(1))).as_py():
        # strictly increasing (the usual export) means distinct: one comparison per row instead of a
        # hash table (about 2 ms less CPU for the 46,625 call ids of a 50,000-borrower world)
        return
    codes = ids.dictionary_encode()
    if len(codes.dictionary) == len(ids):
        return
    indices = np.asarray(codes.indices)
    first = np.full(len(codes.dictionary), len(ids), dtype=np.int64)
    np.minimum.at(first, indices, np.arange(len(ids)))
    repeat = int(np.flatnonzero(first[indices] != np.arange(len(ids)))[0])
    line, earlier = _line_of(path, repeat), _line_of(path, int(first[indices[repeat]]))
    raise InputError(path.name, line, column, f"duplicate {column} {ids[repeat].as_py()!r} (first on line {earlier})")


def _empty(spec: FileSpec) -> pa.Table:
    fields = [pa.field("row_id", pa.string())] + [
        pa.field(c.name, pa.int64() if c.kind == "timestamp" else pa.string()) for c in spec.columns
    ]
    return pa.Table.from_pylist([], schema=pa.schema(fields))


def read_file(path: Path, spec: FileSpec, parsed: Callable[[pa.Table], None] | None = None) -> pa.Table:
    """One contract file as a typed table with a ``row_id`` column (evidence reference).

    ``parsed`` is given the contract columns' cells as text (every one present) before they are checked.
    """
    table = _read(path, [c.name for c in spec.columns])
    missing = [c.name for c in spec.columns if c.name not in table.column_names]
    if missing:
        raise InputError(path.name, 1, missing[0], "required column is missing from the header")
    if parsed is not None:
        parsed(table)
    arrays = {c.name: _column(path, table, c) for c in spec.columns}
    if spec.id_column is not None:
        row_ids = arrays[spec.id_column]
        if spec.unique_id:
            _check_unique(path, spec.id_column, row_ids)
    else:
        row_ids = pc.cast(pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64)), pa.string())
    return pa.table({"row_id": row_ids, **arrays})


class Reading:
    """The contract files of a folder being read and validated on worker threads.

    Files are read on ``workers`` threads (Arrow parses and computes without holding the GIL),
    complaints first; ``on_read(name, table)`` is called (on a worker thread) as each file is validated,
    and ``on_parsed(name, cells)`` as soon as it is parsed, before its cells are checked (a caller that
    only needs cells as text can start then; the file may still turn out bad). :meth:`table` hands out
    one file as soon as it is ready, so work on it can start while later files are still being read;
    :meth:`all` waits for every file. Whichever is called, the error raised for bad input is the one of
    the first bad file in contract order.
    """

    def __init__(
        self,
        directory: Path,
        *,
        workers: int = 2,
        on_read: Callable[[str, pa.Table], None] | None = None,
        on_parsed: Callable[[str, pa.Table], None] | None = None,
    ) -> None:
        if not directory.is_dir():
            raise InputError(str(directory), None, None, "not a directory")
        self.directory = directory
        present = [s for s in FILES if (directory / s.name).exists()]
        # complaints first (template clustering waits for it), borrowers last (no query reads it)
        order = sorted(present, key=lambda s: (s.name != "complaints.csv", s.name == "borrowers.csv"))

        def read(spec: FileSpec) -> pa.Table:
            name = spec.name.removesuffix(".csv")
            parsed = None if on_parsed is None else (lambda cells: on_parsed(name, cells))
            table = read_file(directory / spec.name, spec, parsed)
            if on_read is not None:
                on_read(name, table)
            return table

        self._pool = ThreadPoolExecutor(max_workers=max(1, workers))
        self._futures = {spec.name.removesuffix(".csv"): self._pool.submit(read, spec) for spec in order}
        self._pool.shutdown(wait=False)

    def table(self, name: str) -> pa.Table:
        """One file's validated table (``name`` without ``.csv``); an absent optional file is empty."""
        spec = next(s for s in FILES if s.name == f"{name}.csv")
        future = self._futures.get(name)
        if (future is None and spec.required) or (future is not None and future.exception() is not None):
            self.all()  # raises the error of the first bad (or missing) file in contract order
        return self._get(spec)

    def all(self) -> InputTables:
        """Every file, validated (raises :class:`InputError` for the first bad file in contract order)."""
        return InputTables({s.name.removesuffix(".csv"): self._get(s) for s in FILES})

    def _get(self, spec: FileSpec) -> pa.Table:
        future = self._futures.get(spec.name.removesuffix(".csv"))
        if future is not None:
            return future.result()
        if spec.required:
            raise InputError(spec.name, None, None, f"required file is missing from {self.directory}")
        return _empty(spec)


def read_input(
    directory: Path, *, workers: int = 2, on_read: Callable[[str, pa.Table], None] | None = None
) -> InputTables:
    """Every contract file of ``directory``, validated (raises :class:`InputError`); see :class:`Reading`."""
    return Reading(directory, workers=workers, on_read=on_read).all()
