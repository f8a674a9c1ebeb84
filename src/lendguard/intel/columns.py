"""Vectorised parsing of contract columns with Arrow compute (the same results as ``contract_model``).

Each parser returns the parsed column (null for empty cells) and the index of the first bad cell, if
any. Timestamps in the common ISO 8601 shapes are computed in NumPy; any other shape falls back to
:func:`lendguard.intel.contract_model.parse_timestamp`, so the accepted language is exactly Python's
``datetime.fromisoformat`` (with UTC+8 for timestamps without an offset). Tests compare both paths.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lendguard.intel.contract_model import Column, parse_timestamp

_PHONE_CHARS = r"^\+?[0-9 \-().]+$"
_EMAIL = r"^[^@ ]+@[^ ]*\.[^ ]*$"
_TIMESTAMP = (
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d{1,6})?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _first(mask: pa.Array | pa.ChunkedArray) -> int | None:
    hits = np.flatnonzero(np.asarray(pc.fill_null(mask, False)))
    return int(hits[0]) if hits.size else None


def _ints(part: pa.Array, default: int) -> npt.NDArray[np.int64]:
    filled = pc.if_else(pc.equal(part, ""), str(default), part)
    return np.asarray(pc.cast(pc.fill_null(filled, str(default)), pa.int64()), dtype=np.int64)


def _days_from_civil(
    y: npt.NDArray[np.int64], m: npt.NDArray[np.int64], d: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm, vectorised)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def timestamps(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Epoch seconds of non-empty ISO 8601 cells, and a validity mask (empty cells count as valid)."""
    parts = pc.extract_regex(values, pattern=_TIMESTAMP)
    matched = np.asarray(pc.is_valid(parts), dtype=bool)
    y = _ints(pc.struct_field(parts, "y"), 1970)
    mo = _ints(pc.struct_field(parts, "mo"), 1)
    d = _ints(pc.struct_field(parts, "d"), 1)
    h = _ints(pc.struct_field(parts, "h"), 0)
    mi = _ints(pc.struct_field(parts, "mi"), 0)
    s = _ints(pc.struct_field(parts, "s"), 0)
    tz = pc.fill_null(pc.struct_field(parts, "tz"), "")
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (mo >= 1) & (mo <= 12)
    dim = _MONTH_DAYS[np.clip(mo, 0, 12)] + ((mo == 2) & leap)
    in_range = month_ok & (d >= 1) & (d <= dim) & (h < 24) & (mi < 60) & (s < 60)
    signed = pc.not_equal(tz, "Z")
    tz_h = _ints(pc.if_else(signed, pc.utf8_slice_codeunits(tz, 1, 3), ""), 0)
    tz_m = _ints(pc.if_else(signed, pc.utf8_slice_codeunits(tz, 4, 6), ""), 0)
    sign = np.where(np.asarray(pc.starts_with(tz, "-"), dtype=bool), -1, 1)
    # no offset means UTC+8 (the input contract); "Z" means UTC
    offset = np.where(np.asarray(pc.equal(tz, ""), dtype=bool), 28800, sign * (tz_h * 3600 + tz_m * 60))
    epoch = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    fast = matched & in_range
    result = np.where(fast, epoch, 0)
    valid = fast.copy()
    empty = np.asarray(pc.equal(values, ""), dtype=bool)
    slow = np.flatnonzero(~fast & ~empty)
    if slow.size:
        raw = values.take(pa.array(slow)).to_pylist()
        cache: dict[str, int | None] = {}
        for i, text in zip(slow, raw, strict=True):
            if text not in cache:
                cache[text] = parse_timestamp(text)
            parsed = cache[text]
            if parsed is not None:
                result[i] = parsed
                valid[i] = True
    return pa.array(result, type=pa.int64(), mask=empty), pa.array(valid | empty)


def parse(column: Column, raw: pa.Array) -> tuple[pa.Array, int | None, int | None]:
    """Parse ``raw`` (text cells) as ``column``: (values, first empty required cell, first bad cell)."""
    value = raw if column.kind == "text" else pc.utf8_trim_whitespace(raw)
    empty = pc.equal(value, "")
    missing = _first(empty) if column.required else None
    if column.kind == "phone":
        digits = pc.replace_substring_regex(value, pattern=r"[^0-9]", replacement="")
        has_0086 = pc.starts_with(digits, "0086")
        has_86 = pc.and_(
            pc.and_(pc.invert(has_0086), pc.starts_with(digits, "86")), pc.equal(pc.utf8_length(digits), 13)
        )
        digits = pc.if_else(
            has_0086, pc.utf8_slice_codeunits(digits, 4), pc.if_else(has_86, pc.utf8_slice_codeunits(digits, 2), digits)
        )
        length = pc.utf8_length(digits)
        ok = pc.and_(
            pc.match_substring_regex(value, _PHONE_CHARS),
            pc.and_(pc.greater_equal(length, 5), pc.less_equal(length, 15)),
        )
        parsed: pa.Array = digits
    elif column.kind == "email":
        parsed = pc.utf8_lower(value)
        ok = pc.match_substring_regex(parsed, _EMAIL)
    elif column.kind == "enum":
        parsed = value
        ok = pc.is_in(value, value_set=pa.array(sorted(column.values), type=pa.string()))
    elif column.kind == "timestamp":
        stamps, valid = timestamps(value)
        bad = _first(pc.invert(valid))
        return stamps, missing, bad
    else:
        parsed = value
        ok = pc.invert(empty)
    bad = _first(pc.and_(pc.invert(empty), pc.invert(ok)))
    return pc.if_else(empty, pa.scalar(None, pa.string()), parsed), missing, bad
