"""The id column's uniqueness check: the shortcut for ids in increasing order is exact."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel.ingest import InputError, _check_unique


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["A1", "A2", "A3", "B1", "B10", "B2"]), max_size=8), st.integers(0, 2))
def test_repeated_ids_are_found_sorted_or_not(ids: list[str], start: int) -> None:
    cells = pa.array(["Z", *ids], type=pa.string()).slice(min(start, len(ids) + 1))
    values = cells.to_pylist()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ids.csv"  # read only to name the lines of a repeat
        path.write_text("id\n" + "".join(f"{v}\n" for v in values), encoding="utf-8")
        if len(set(values)) == len(values):
            _check_unique(path, "id", cells)
            return
        with pytest.raises(InputError) as caught:
            _check_unique(path, "id", cells)
    repeat = next(i for i, v in enumerate(values) if v in values[:i])
    assert caught.value.line == repeat + 2


def test_a_repeat_in_an_increasing_run_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id\nA1\nA2\nA2\nA3\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _check_unique(path, "id", pa.array(["A1", "A2", "A2", "A3"]))
    assert (caught.value.line, caught.value.problem) == (4, "duplicate id 'A2' (first on line 3)")
