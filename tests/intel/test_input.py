"""The input contract: normalisation, and malformed files stop the run naming file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lendguard.cli import build_cli
from lendguard.intel.contract_model import normalise_email, normalise_phone, parse_timestamp
from lendguard.intel.ingest import InputError, read_input


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
