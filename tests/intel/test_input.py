"""The input contract: normalisation, and malformed files stop the run naming file, line and column."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.intel.columns import parse, timestamps
from lendguard.intel.contract_model import Column, normalise_email, normalise_phone, parse_timestamp
from lendguard.intel.ingest import InputError, Reading, read_input


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("(010) 6552-1234", "01065521234"),
        ("13800138000", "13800138000"),
        ("call me", None),
        ("12", None),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


def test_emails_and_timestamps() -> None:
    assert normalise_email(" Agent@Example.COM ") == "agent@example.com"
    assert normalise_email("not-an-address") is None
    assert parse_timestamp("2026-03-02T10:00:00") == parse_timestamp("2026-03-02T02:00:00+00:00")
    assert parse_timestamp("2026-03-02T02:00:00Z") == parse_timestamp("2026-03-02T10:00:00+08:00")
    assert parse_timestamp("yesterday") is None


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "line", "column"),
    [
        ("complaints.csv", "2025-06-10T15:00:00+08:00", "10/06/2025", 3, "filed_at"),
        (
            "complaints.csv",
            "C004,B004,L02,2025-06-11T11:00:00+08:00,regulator",
            "C004,B004,L02,2025-06-11T11:00:00+08:00,fax",
            5,
            "channel",
        ),
        ("call_outcomes.csv", "K002,B002,17012345601", "K002,B002,call-me-maybe", 3, "dialed_phone"),
        ("borrowers.csv", "B003,L02", ",L02", 4, "borrower_id"),
        ("account_events.csv", "cease_request", "shout", 2, "kind"),
        (
            "phone_changes.csv",
            "B003,13811110003,17012345602,2025-06-03T10:00:00+08:00",
            "B003,13811110003,,2025-06-03T10:00:00+08:00",
            4,
            "new_phone",
        ),
    ],
)
def test_bad_cells_are_named(small_copy: Path, file: str, old: str, new: str, line: int, column: str) -> None:
    _replace(small_copy / file, old, new)
    with pytest.raises(InputError) as caught:
        read_input(small_copy)
    assert (caught.value.file, caught.value.line, caught.value.column) == (file, line, column)


def test_duplicate_complaint_id_is_named_and_nothing_is_written(small_copy: Path, tmp_path: Path) -> None:
    # evidence cites complaints by complaint_id, so one id on two complaints would be ambiguous
    _replace(small_copy / "complaints.csv", "C004,B004,L02", " C002 ,B004,L02")  # trimmed like any id
    with pytest.raises(InputError) as caught:
        read_input(small_copy)
    assert (caught.value.file, caught.value.line, caught.value.column) == ("complaints.csv", 5, "complaint_id")
    assert caught.value.problem == "duplicate complaint_id 'C002' (first on line 3)"
    out = tmp_path / "rings.json"
    result = CliRunner().invoke(build_cli(), ["intel", "detect", "--input", str(small_copy), "--out", str(out)])
    assert result.exit_code == 2
    assert "complaints.csv, line 5, column complaint_id" in result.output
    assert not out.exists()


def test_duplicate_call_id_is_named(small_copy: Path) -> None:
    # takeover evidence cites call outcomes by call_id: a repeated id would point at two calls
    _replace(small_copy / "call_outcomes.csv", "K003,B004", "K001,B004")
    with pytest.raises(InputError) as caught:
        read_input(small_copy)
    assert (caught.value.file, caught.value.line, caught.value.column) == ("call_outcomes.csv", 4, "call_id")
    assert caught.value.problem == "duplicate call_id 'K001' (first on line 2)"


def test_line_numbers_count_quoted_newlines(small_copy: Path) -> None:
    _replace(small_copy / "complaints.csv", '"我的当事人于2024年', '"我的当事人\n于2024年')
    _replace(small_copy / "complaints.csv", "C011,B011,L01,2025-05-15T10:00:00+08:00", "C011,B011,L01,someday")
    with pytest.raises(InputError) as caught:
        read_input(small_copy)
    assert (caught.value.line, caught.value.column) == (10, "filed_at")  # C011 is record 9, pushed one line down


def test_missing_column_and_missing_file(small_copy: Path) -> None:
    _replace(small_copy / "complaints.csv", "contact_email,", "email,")
    with pytest.raises(InputError, match=r"complaints.csv, line 1, column contact_email"):
        read_input(small_copy)
    (small_copy / "complaints.csv").unlink()
    with pytest.raises(InputError, match=r"complaints\.csv"):
        read_input(small_copy)


def test_ragged_row_is_named(small_copy: Path) -> None:
    with (small_copy / "call_outcomes.csv").open("a", encoding="utf-8") as f:
        f.write("K999,B001\n")
    with pytest.raises(InputError) as caught:
        read_input(small_copy)
    assert (caught.value.file, caught.value.line) == ("call_outcomes.csv", 9)


def test_optional_files_may_be_absent(small_copy: Path) -> None:
    for name in ("phone_changes.csv", "call_outcomes.csv", "account_events.csv"):
        (small_copy / name).unlink()
    tables = read_input(small_copy)
    assert tables["call_outcomes"].num_rows == 0
    assert tables["complaints"].num_rows == 14


def test_cli_detect_writes_json_and_refuses_bad_input(small_copy: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rings.json"
    result = runner.invoke(build_cli(), ["intel", "detect", "--input", str(small_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '"B001"' in out.read_text(encoding="utf-8")
    _replace(small_copy / "complaints.csv", "2025-06-10T15:00:00+08:00", "soon")
    bad_out = tmp_path / "bad.json"
    result = runner.invoke(build_cli(), ["intel", "detect", "--input", str(small_copy), "--out", str(bad_out)])
    assert result.exit_code == 2
    assert "complaints.csv, line 3, column filed_at" in result.output
    assert not bad_out.exists()
    assert list(tmp_path.glob(".bad.json*")) == []


# The vectorised column parsers (Arrow/NumPy) accept and produce exactly what the pure reference does.
_TS = st.one_of(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.isoformat(sep=random_sep(d))
    ),
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]),
    ).map(lambda d: d.isoformat(timespec="seconds")),
    st.dates(min_value=date(1971, 1, 1)).map(str),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.isoformat(sep=random_sep(d), timespec="seconds") + ("Z" if d.minute % 2 else "")
    ),
    st.sampled_from(
        [
            *("2026-02-30T10:00:00", "2026-13-01", "2025-06-10T24:00:00", "2025-06-10T10", "20250610", "x", " "),
            # the fixed shapes read by byte position, broken in one place each
            *("2026-02-29T10:00:00+08:00", "2024-02-29T10:00:00Z", "2025-06-10T10:00:00+8:000"),
            *("2025-06-10T10:60:00Z", "2025-06-10T10:00:00*08:00", "2025-06-10X10:00:00+08:00"),
            *("2025-06-1OT10:00:00", "2025/06/10T10:00:00Z", "2025-06-10T10:00:00+08:60"),
            *("2025-06-10T10:00:00-0800", "２０２５-06-10T10:00:00Z", "2025-06-10T10:00:00z"),
        ]
    ),
    st.text(alphabet="0123456789-:T+Z. ", max_size=25),
)


def random_sep(d: datetime) -> str:
    return "T" if d.second % 2 else " "


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_TS, min_size=1, max_size=10))
def test_vectorised_timestamps_equal_the_reference(cells: list[str]) -> None:
    values, _, bad = parse(Column("t", "timestamp"), pa.array(cells, type=pa.string()))
    expected = [None if c.strip() == "" else parse_timestamp(c.strip()) for c in cells]
    first_bad = next((i for i, (c, e) in enumerate(zip(cells, expected, strict=True)) if c.strip() and e is None), None)
    assert bad == first_bad
    got = values.to_pylist()
    for cell, want, have in zip(cells, expected, got, strict=True):
        if want is not None or cell.strip() == "":
            assert have == want, cell


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(_TS, min_size=2, max_size=10), st.integers(min_value=0, max_value=1))
def test_vectorised_timestamps_on_sliced_arrays(cells: list[str], start: int) -> None:
    # an Arrow slice shares its parent's buffers at an offset; the byte-position reader must respect it
    array = pa.array(["2025-06-10T10:00:00Z", *cells], type=pa.string()).slice(1 + start)
    values, _, _ = parse(Column("t", "timestamp"), array)
    expected = [None if c.strip() == "" else parse_timestamp(c.strip()) for c in array.to_pylist()]
    got = values.to_pylist()
    direct, valid = timestamps(pa.array([c.strip() for c in ["x", *cells]], type=pa.string()).slice(1 + start))
    for want, have, straight, ok in zip(expected, got, direct.to_pylist(), valid.to_pylist(), strict=True):
        if want is not None:
            assert have == want == straight
            assert ok


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(
        st.datetimes(
            min_value=datetime(1971, 1, 1),
            max_value=datetime(2099, 12, 31),
            timezones=st.sampled_from([timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]),
        ).map(lambda d: d.isoformat(timespec="seconds")),
        min_size=2,
        max_size=12,
    ),
    st.sampled_from(["", "+08:60", "*08:00", "+0800 ", "+08:0x"]),
)
def test_one_shape_files_with_one_or_several_offsets(cells: list[str], broken_offset: str) -> None:
    # every cell "YYYY-MM-DDTHH:MM:SS+HH:MM" (the reader takes the bytes as one block), the last one's
    # offset possibly broken: offsets checked per cell unless the whole file shares one
    if broken_offset:
        cells[-1] = cells[-1][:19] + broken_offset
    values, _, bad = parse(Column("t", "timestamp"), pa.array(cells, type=pa.string()))
    expected = [parse_timestamp(c) for c in cells]
    assert bad == next((i for i, e in enumerate(expected) if e is None), None)
    assert [v for v, e in zip(values.to_pylist(), expected, strict=True) if e is not None] == [
        e for e in expected if e is not None
    ]


_PHONE = st.one_of(
    st.text(alphabet="0123456789 +-().", max_size=20),
    st.from_regex(r"\A(\+86|0086|86)? ?1[3-9]\d-?\d{4}-?\d{4}\Z"),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_PHONE, min_size=1, max_size=10))
def test_vectorised_phones_equal_the_reference(cells: list[str]) -> None:
    values, _, bad = parse(Column("p", "phone"), pa.array(cells, type=pa.string()))
    expected = [None if c.strip() == "" else normalise_phone(c.strip()) for c in cells]
    first_bad = next((i for i, (c, e) in enumerate(zip(cells, expected, strict=True)) if c.strip() and e is None), None)
    assert bad == first_bad
    for want, have in zip(expected, values.to_pylist(), strict=True):
        if want is not None:
            assert have == want


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.emails(), st.text(alphabet="ab@. C", max_size=12)), min_size=1, max_size=8))
def test_vectorised_emails_equal_the_reference(cells: list[str]) -> None:
    values, _, bad = parse(Column("e", "email"), pa.array(cells, type=pa.string()))
    expected = [None if c.strip() == "" else normalise_email(c) for c in cells]
    first_bad = next((i for i, (c, e) in enumerate(zip(cells, expected, strict=True)) if c.strip() and e is None), None)
    assert bad == first_bad
    for want, have in zip(expected, values.to_pylist(), strict=True):
        if want is not None:
            assert have == want


def test_bad_utf8_is_named(small_copy: Path) -> None:
    path = small_copy / "phone_changes.csv"
    path.write_bytes(path.read_bytes().replace(b"B002", b"B\xff02"))
    with pytest.raises(InputError) as caught:
        read_input(small_copy)
    assert (caught.value.file, caught.value.line, caught.value.problem) == ("phone_changes.csv", 3, "not UTF-8")


def test_parsed_cells_are_handed_out_before_they_are_checked(small_copy: Path) -> None:
    # template clustering starts on complaints.csv's texts while its other cells are still being checked
    _replace(small_copy / "complaints.csv", "C004,B004,L02", " C004 ,B004,L02")
    parsed: dict[str, pa.Table] = {}
    tables = Reading(small_copy, on_parsed=parsed.__setitem__).all()
    assert set(parsed) == set(tables.tables)  # every file of the folder
    assert " C004 " in parsed["complaints"].column("complaint_id").to_pylist()  # as written
    assert "C004" in tables["complaints"].column("row_id").to_pylist()  # as checked
    assert parsed["complaints"].column("text").to_pylist() == [
        t or "" for t in tables["complaints"].column("text").to_pylist()
    ]
