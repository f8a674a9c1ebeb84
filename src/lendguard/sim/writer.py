"""Fast, deterministic CSV output for the world: column builders on NumPy/Arrow and one writer.

Strings are built without Python loops: fixed-width numbers are written digit by digit into a byte
matrix that becomes an Arrow string array without copying; variable parts are joined with Arrow
kernels. Missing values are Arrow nulls, so they are written as empty cells (never as ``""``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

Column: TypeAlias = pa.Array | pa.ChunkedArray | np.ndarray
IntArray = np.ndarray

# Local wall-clock seconds are counted from this day (a Monday); the world writes every timestamp
# in Beijing time with the +08:00 offset.
_EPOCH_DAYS_TO_CIVIL = 719468


def _civil(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month, day of days since 1970-01-01.

    The world's dates span a few decades, so each distinct day is converted once and the rest is a
    table lookup (much cheaper than the integer arithmetic on every element).
    """
    d = np.asarray(days, dtype=np.int64)
    if len(d) > 4096:
        lo, hi = int(d.min()), int(d.max())
        if hi - lo < 200_000:
            year, month, day = _civil_arith(np.arange(lo, hi + 1, dtype=np.int64))
            idx = d - lo
            return year.astype(np.int32)[idx], month.astype(np.int32)[idx], day.astype(np.int32)[idx]
    return _civil_arith(d)


def _civil_arith(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm)."""
    z = days.astype(np.int64) + _EPOCH_DAYS_TO_CIVIL
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


@cache
def _digit_table(width: int) -> np.ndarray:
    """Every number below ``10**width`` as ``width`` ASCII digits: shape (10**width, width)."""
    values = np.arange(10**width)
    table = np.empty((10**width, width), dtype=np.uint8)
    for k in range(width):
        table[:, width - 1 - k] = 48 + (values // 10**k) % 10
    return table


@cache
def _clock_table() -> np.ndarray:
    """``HH:MM:SS`` for every second of a day: shape (86400, 8)."""
    sec = np.arange(86400)
    table = np.empty((86400, 8), dtype=np.uint8)
    table[:, 0:2] = _digit_table(2)[sec // 3600]
    table[:, 2] = ord(":")
    table[:, 3:5] = _digit_table(2)[sec // 60 % 60]
    table[:, 5] = ord(":")
    table[:, 6:8] = _digit_table(2)[sec % 60]
    return table


def _gather(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows ``table[index]`` of a byte matrix, gathered as opaque records (far faster than 2-D indexing)."""
    width = table.shape[1]
    records = np.ascontiguousarray(table).view(f"V{width}").ravel()
    return records[index].view(np.uint8).reshape(-1, width)


class _Columns:
    """A fixed-width text column under construction: an (n, width) byte matrix.

    Digits are copied four at a time from a lookup table, which costs two passes over memory per
    four digits instead of several arithmetic passes per digit.
    """

    def __init__(self, n: int, pattern: bytes) -> None:
        # Only the constant characters are filled: every "#" placeholder is later written by put().
        self.m = np.empty((n, len(pattern)), dtype=np.uint8)
        for j, ch in enumerate(pattern):
            if ch != ord("#"):
                self.m[:, j] = ch

    def put(self, col: int, values: IntArray, width: int) -> None:
        rest = np.asarray(values, dtype=np.int64)
        end = col + width
        while width > 0:
            w = min(4, width)
            rest, chunk = np.divmod(rest, 10**w)
            self.m[:, end - w : end] = _gather(_digit_table(w), chunk)
            end -= w
            width -= w

    def strings(self) -> pa.Array:
        return matrix_strings(self.m)


def matrix_strings(matrix: np.ndarray) -> pa.Array:
    n, width = matrix.shape
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    data = np.ascontiguousarray(matrix)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def timestamps(local_seconds: IntArray, valid: np.ndarray | None = None) -> pa.Array:
    """ISO 8601 with the +08:00 offset from Beijing wall-clock seconds since 1970-01-01."""
    secs = np.asarray(local_seconds, dtype=np.int64)
    days = secs // 86400
    sod = (secs - days * 86400).astype(np.int32)
    out = _Columns(len(secs), b"##########T########+08:00")
    if len(secs):
        # Each distinct day is formatted once; the time of day comes from a per-second table.
        lo, hi = int(days.min()), int(days.max())
        table = _Columns(hi - lo + 1, b"####-##-##")
        year, month, day = _civil_arith(np.arange(lo, hi + 1, dtype=np.int64))
        table.put(0, year, 4)
        table.put(5, month, 2)
        table.put(8, day, 2)
        out.m[:, 0:10] = _gather(table.m, days - lo)
        out.m[:, 11:19] = _gather(_clock_table(), sod)
    return _masked(out.strings(), valid)


def dates(days: IntArray) -> pa.Array:
    """``YYYY-MM-DD`` from days since 1970-01-01."""
    year, month, day = _civil(np.asarray(days, dtype=np.int64))
    out = _Columns(len(year), b"####-##-##")
    out.put(0, year, 4)
    out.put(5, month, 2)
    out.put(8, day, 2)
    return out.strings()


def civil_parts(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Public form of the civil-date conversion (year, month, day)."""
    return _civil(np.asarray(days, dtype=np.int64))


def digits(values: IntArray, width: int, prefix: str = "") -> pa.Array:
    """Zero-padded decimal numbers of a fixed width, after an optional ASCII prefix."""
    vals = np.asarray(values, dtype=np.int64)
    head = prefix.encode()
    out = _Columns(len(vals), head + b"#" * width)
    out.put(len(head), vals, width)
    return out.strings()


def money(cents: IntArray) -> pa.Array:
    """Decimal yuan with two places (``1524.00``) from integer cents.

    A ``decimal128(18, 2)`` value stores exactly the unscaled integer, i.e. the cents, so the array is
    built from the cents' bytes without arithmetic and the CSV writer prints it with two places.
    """
    c = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(c), 2), dtype=np.int64)
    words[:, 0] = c
    words[:, 1] = np.where(c < 0, -1, 0)  # two's-complement sign extension to 128 bits
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(c), [None, pa.py_buffer(words)])


def ints(values: IntArray) -> pa.Array:
    """Plain integers as strings."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def pick(pool: Sequence[str], index: IntArray, valid: np.ndarray | None = None) -> pa.Array:
    """``pool[index]`` for every index: a dictionary-encoded column (no string is copied).

    Rows where ``valid`` is false are null (empty cells). The CSV writer prints dictionary columns as
    their values; :func:`cat` and :func:`where` decode them first (Arrow's string kernels need that).
    """
    idx = np.asarray(index, dtype=np.int32)
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    indices = pa.array(idx, mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(pool), pa.string()))


def assemble(choice: np.ndarray, builders: Sequence[Callable[[np.ndarray], pa.Array]]) -> pa.Array:
    """Row ``i`` comes from ``builders[choice[i]]``, each builder called only with its own rows.

    Cheaper than nested :func:`where` when the alternatives are costly and most rows take one of them.
    """
    pieces: list[pa.Array] = []
    positions: list[np.ndarray] = []
    for k, build in enumerate(builders):
        rows = np.flatnonzero(choice == k)
        if len(rows):
            pieces.append(dense(build(rows)))
            positions.append(rows)
    if not pieces:
        return pa.array([], pa.string())
    order = np.concatenate(positions)
    inverse = np.empty(len(choice), dtype=np.int64)
    inverse[order] = np.arange(len(choice))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def dense(arr: pa.Array) -> pa.Array:
    """A plain string array (decodes dictionary columns)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        return arr.dictionary_decode()
    return arr


def cat(*parts: Column | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    args: list[pa.Array | pa.Scalar] = []
    for part in parts:
        if isinstance(part, str):
            args.append(pa.scalar(part, pa.string()))
        elif isinstance(part, np.ndarray):
            args.append(pa.array(part).cast(pa.string()))
        else:
            args.append(dense(part))
    result = pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def where(mask: np.ndarray, yes: Column | str, no: Column | str | None) -> pa.Array:
    """``yes`` where ``mask`` else ``no`` (``None`` gives a null, i.e. an empty cell)."""
    n = len(mask)
    y = pa.scalar(yes, pa.string()) if isinstance(yes, str) else dense(yes)
    if no is None:
        o: pa.Array | pa.Scalar = pa.nulls(n, pa.string())
    else:
        o = pa.scalar(no, pa.string()) if isinstance(no, str) else dense(no)
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), y, o)


def _masked(arr: pa.Array, valid: np.ndarray | None) -> pa.Array:
    if valid is None:
        return arr
    return pc.if_else(pa.array(np.asarray(valid, dtype=bool)), dense(arr), pa.nulls(len(arr), pa.string()))


def nullable(arr: pa.Array, valid: np.ndarray) -> pa.Array:
    """Null (an empty cell) wherever ``valid`` is false."""
    return _masked(arr, valid)


def write_table(path: Path, columns: Mapping[str, Column], quoted: bool = False) -> int:
    """Write one CSV file (UTF-8, header row) and return its row count.

    Files without free text are written unquoted (twice as fast); Arrow refuses, rather than corrupts,
    a value with a comma, quote or line break, so ``quoted=True`` is required for free-text files.
    """
    arrays = {}
    for name, col in columns.items():
        arrays[name] = pa.array(col) if isinstance(col, np.ndarray) else col
    table = pa.table(arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not quoted:
        try:
            _write(path, table, "none")
            return int(table.num_rows)
        except pa.ArrowInvalid:  # a value needs quoting after all
            pass
    _write(path, table, "needed")
    return int(table.num_rows)


def _write(path: Path, table: pa.Table, style: str) -> None:
    options = pacsv.WriteOptions(include_header=False, batch_size=65536, quoting_style=style)
    with pa.OSFile(str(path), "wb") as sink:
        # The header is written by hand: Arrow would quote the names even when values are unquoted.
        sink.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, sink, options)
