"""Fast, deterministic CSV output for the world: column builders on NumPy/Arrow and one writer.

Strings are built without Python loops: fixed-width numbers are written digit by digit into a byte
matrix that becomes an Arrow string array without copying; variable parts are joined with Arrow
kernels. Missing values are Arrow nulls, so they are written as empty cells (never as ``""``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def _template(n: int, pattern: bytes) -> np.ndarray:
    out = np.empty((n, len(pattern)), dtype=np.uint8)
    out[:] = np.frombuffer(pattern, dtype=np.uint8)
    return out


def _put(out: np.ndarray, col: int, values: IntArray, width: int) -> None:
    rest = values.astype(np.int64)
    for k in range(width):
        rest, digit = np.divmod(rest, 10)
        out[:, col + width - 1 - k] += digit.astype(np.uint8)


def matrix_strings(matrix: np.ndarray) -> pa.Array:
    n, width = matrix.shape
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    data = np.ascontiguousarray(matrix)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def timestamps(local_seconds: IntArray, valid: np.ndarray | None = None) -> pa.Array:
    """ISO 8601 with the +08:00 offset from Beijing wall-clock seconds since 1970-01-01."""
    secs = np.asarray(local_seconds, dtype=np.int64)
    days = secs // 86400
    sod = secs - days * 86400
    year, month, day = _civil(days)
    out = _template(len(secs), b"0000-00-00T00:00:00+08:00")
    _put(out, 0, year, 4)
    _put(out, 5, month, 2)
    _put(out, 8, day, 2)
    _put(out, 11, sod // 3600, 2)
    _put(out, 14, sod // 60 % 60, 2)
    _put(out, 17, sod % 60, 2)
    return _masked(matrix_strings(out), valid)


def dates(days: IntArray) -> pa.Array:
    """``YYYY-MM-DD`` from days since 1970-01-01."""
    year, month, day = _civil(np.asarray(days, dtype=np.int64))
    out = _template(len(year), b"0000-00-00")
    _put(out, 0, year, 4)
    _put(out, 5, month, 2)
    _put(out, 8, day, 2)
    return matrix_strings(out)


def civil_parts(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Public form of the civil-date conversion (year, month, day)."""
    return _civil(np.asarray(days, dtype=np.int64))


def digits(values: IntArray, width: int, prefix: str = "") -> pa.Array:
    """Zero-padded decimal numbers of a fixed width, after an optional ASCII prefix."""
    vals = np.asarray(values, dtype=np.int64)
    head = prefix.encode()
    out = _template(len(vals), head + b"0" * width)
    _put(out, len(head), vals, width)
    return matrix_strings(out)


def money(cents: IntArray) -> pa.Array:
    """Decimal yuan with two places (``1524.00``) from integer cents (non-negative)."""
    c = np.asarray(cents, dtype=np.int64)
    if len(c) and c.min() < 0:
        raise ValueError("money() takes non-negative amounts")
    whole = pa.array(c // 100).cast(pa.string())
    frac = digits(c % 100, 2)
    return pc.binary_join_element_wise(whole, frac, ".")


def ints(values: IntArray) -> pa.Array:
    """Plain integers as strings."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def pick(pool: Sequence[str], index: IntArray) -> pa.Array:
    """``pool[index]`` for every index, as an Arrow string array."""
    return pa.array(list(pool), pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def cat(*parts: Column | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    args: list[pa.Array | pa.Scalar] = []
    for part in parts:
        if isinstance(part, str):
            args.append(pa.scalar(part, pa.string()))
        elif isinstance(part, np.ndarray):
            args.append(pa.array(part).cast(pa.string()))
        else:
            args.append(part)
    result = pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def where(mask: np.ndarray, yes: Column | str, no: Column | str | None) -> pa.Array:
    """``yes`` where ``mask`` else ``no`` (``None`` gives a null, i.e. an empty cell)."""
    n = len(mask)
    y = pa.scalar(yes, pa.string()) if isinstance(yes, str) else yes
    if no is None:
        o: pa.Array | pa.Scalar = pa.nulls(n, pa.string())
    else:
        o = pa.scalar(no, pa.string()) if isinstance(no, str) else no
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), y, o)


def _masked(arr: pa.Array, valid: np.ndarray | None) -> pa.Array:
    if valid is None:
        return arr
    return pc.if_else(pa.array(np.asarray(valid, dtype=bool)), arr, pa.nulls(len(arr), pa.string()))


def nullable(arr: pa.Array, valid: np.ndarray) -> pa.Array:
    """Null (an empty cell) wherever ``valid`` is false."""
    return _masked(arr, valid)


def write_table(path: Path, columns: Mapping[str, Column]) -> int:
    """Write one CSV file (UTF-8, header row) and return its row count."""
    arrays = {}
    for name, col in columns.items():
        arrays[name] = pa.array(col) if isinstance(col, np.ndarray) else col
    table = pa.table(arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, batch_size=65536))
    return table.num_rows
