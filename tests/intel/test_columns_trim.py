"""Trimming cells before they are parsed: the shortcut for columns with nothing to trim is exact."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel.columns import _trimmed, parse
from lendguard.intel.contract_model import Column

# ASCII and Unicode whitespace (ideographic space, no-break space, line separator, ...), control
# characters that are not whitespace, and ordinary characters of both kinds
_PIECES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x00", "\x7f", "\u3000", "\u00a0", "\u2028", "\u200b"]
_PIECES += ["a", "7", "-", "@", "~", "张", "é", "𝐀"]
_CELLS = st.lists(st.lists(st.sampled_from(_PIECES), max_size=5).map("".join), max_size=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_CELLS, st.integers(0, 3))
def test_trimmed_equals_arrows_trim(cells: list[str], start: int) -> None:
    array = pa.array(["x", " y ", *cells], type=pa.string()).slice(min(start, len(cells) + 2))
    assert _trimmed(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()


def test_nothing_to_trim_hands_back_the_cells_and_nulls_are_kept() -> None:
    plain = pa.array(["B001", "", "x@y.z", "2026-01-02T03:04:05+08:00"], type=pa.string())
    assert _trimmed(plain) is plain
    assert _trimmed(pa.array([" a", None, "b "])).to_pylist() == ["a", None, "b"]


def test_ids_have_no_bad_cells_only_missing_ones() -> None:
    values, missing, bad = parse(Column("id", "id", True), pa.array(["B1", " ", " B2 "], type=pa.string()))
    assert values.to_pylist() == ["B1", None, "B2"]
    assert (missing, bad) == (1, None)
