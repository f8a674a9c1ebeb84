"""The generated world: determinism, valid identifiers, real number segments, consistent loans."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import phonenumbers
import pytest

from lendguard.sim import geo, phones
from lendguard.sim.context import AS_OF
from lendguard.sim.ids import id_check_char, luhn_valid, valid_id_number
from lendguard.sim.load import REQUIRED_COLUMNS
from lendguard.sim.world import WorldSummary, generate_world

Rows = Callable[[str], list[dict[str, str]]]

ALL_FILES = (
    "institutions", "borrowers", "loans", "instalments", "designated_contacts", "address_book", "consents",
    "collection_attempts", "collection_messages", "complaints", "phone_changes", "call_outcomes",
    "account_events", "gateway_clients", "gateway_queries", "applications", "truth/rings",
    "truth/ring_members", "truth/ring_indicators", "truth/violations", "truth/abusive_messages",
    "truth/resellers",
)  # fmt: skip


def digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*.csv"))
    }


def test_same_seed_and_size_give_byte_identical_files(tmp_path: Path) -> None:
    generate_world(400, 5, tmp_path / "a")
    generate_world(400, 5, tmp_path / "b")
    generate_world(400, 6, tmp_path / "c")
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert len(a) == len(ALL_FILES)
    assert a == b
    assert a["borrowers.csv"] != c["borrowers.csv"]


def test_every_file_is_written_with_its_pinned_columns(world: WorldSummary) -> None:
    for name in ALL_FILES:
        assert (world.out / f"{name}.csv").is_file(), name
    for name, columns in REQUIRED_COLUMNS.items():
        header = (world.out / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",")[: len(columns)] == list(columns)


@pytest.mark.parametrize("size", [99, 1_000_001])
def test_sizes_outside_the_range_are_refused(tmp_path: Path, size: int) -> None:
    with pytest.raises(ValueError, match="between 100 and 1000000"):
        generate_world(size, 1, tmp_path / "x")


def test_id_numbers_are_valid_and_agree_with_province_birth_and_sex(rows: Rows) -> None:
    code_to_province = {d.code: d.province for d in geo.DISTRICTS}
    as_of = AS_OF
    for row in rows("borrowers"):
        number = row["id_number"]
        assert valid_id_number(number), number
        assert code_to_province[int(number[:6])] == row["province"]
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        assert 20 <= age <= 60
        if row["timezone"] == "Asia/Urumqi":
            assert row["province"] == geo.XINJIANG


def test_id_check_character_matches_a_published_example() -> None:
    # The worked example of GB 11643-1999 (11010519491231002X).
    assert id_check_char("11010519491231002") == "X"
    assert valid_id_number("11010519491231002X")
    assert not valid_id_number("110105194912310021")


def test_bank_cards_pass_luhn(rows: Rows) -> None:
    cards = [row["bank_card"] for row in rows("borrowers")]
    assert all(luhn_valid(c) and len(c) in (16, 19) for c in cards)
    assert not luhn_valid(cards[0][:-1] + str((int(cards[0][-1]) + 1) % 10))


def test_every_phone_number_is_in_a_real_operator_segment(rows: Rows) -> None:
    numbers = [r["phone"] for r in rows("borrowers")] + [r["phone"] for r in rows("designated_contacts")]
    numbers += [phones.normalise(r["new_phone"]) for r in rows("phone_changes")]
    numbers += [phones.normalise(r["contact_phone"]) for r in rows("complaints") if r["contact_phone"]]
    numbers += [r["value"] for r in rows("truth/ring_indicators") if r["kind"] == "phone"]
    assert len(numbers) > 3000
    for number in numbers:
        assert len(number) == 11 and phones.segment_of(number) is not None, number
        if not number.startswith("192"):  # 中国广电 is newer than libphonenumber's carrier table
            assert phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")), number
    virtual = sum(n.startswith(phones.VIRTUAL_OPERATOR_PREFIXES) for n in numbers)
    assert 0 < virtual < len(numbers) / 2


def test_phone_numbers_sometimes_appear_in_other_written_forms(rows: Rows) -> None:
    written = [r["contact_phone"] for r in rows("complaints") if r["contact_phone"]]
    assert any(w.startswith("+86") for w in written)
    assert any("-" in w for w in written) and any(" " in w for w in written)
    assert all(len(phones.normalise(w)) == 11 for w in written)


def test_loans_schedules_and_stages_agree(rows: Rows) -> None:
    schedule: dict[str, list[dict[str, str]]] = defaultdict(list)
    for item in rows("instalments"):
        schedule[item["loan_id"]].append(item)
    stages = Counter()
    for loan in rows("loans"):
        items = schedule[loan["loan_id"]]
        assert len(items) == int(loan["instalment_count"])
        principal = sum(Decimal(i["principal_due"]) for i in items)
        assert principal == Decimal(loan["principal"])
        owed = sum(Decimal(i[c]) for i in items for c in ("principal_due", "interest_due", "fee_due"))
        paid = sum(Decimal(i["paid_amount"]) for i in items)
        assert Decimal(loan["outstanding"]) == owed - paid
        dpd = int(loan["days_past_due"])
        expected = "current" if dpd == 0 else "M1" if dpd <= 30 else "M2" if dpd <= 60 else "M3+"
        assert loan["stage"] == ("written_off" if dpd > 180 else expected)
        stages[loan["stage"]] += 1
    assert set(stages) == {"current", "M1", "M2", "M3+", "written_off"}


def test_the_mis_sold_interest_free_loan_is_present(rows: Rows) -> None:
    fee_loans = [
        r for r in rows("loans") if r["product"] == "consumer_24_interest_free" and r["principal"] == "29000.00"
    ]
    assert fee_loans, "the 29,000 yuan over 24 instalments case is missing"
    assert all(r["fee_per_period"] == "315.67" and r["nominal_rate"] == "0.000000" for r in fee_loans)


def test_designated_contacts_and_address_book_are_separate(rows: Rows) -> None:
    designated = {(r["borrower_id"], r["phone"]) for r in rows("designated_contacts")}
    book = {(r["borrower_id"], r["phone"]) for r in rows("address_book")}
    assert designated <= book  # the borrower's phone holds the designated contacts too
    assert len(book) > 2 * len(designated)


def test_value_sets_are_respected(rows: Rows) -> None:
    allowed = {
        ("collection_attempts", "channel"): {"call", "sms", "email", "letter", "visit", "app_message"},
        ("collection_attempts", "role"): {"debtor", "designated_contact", "related_third_party",
                                          "unrelated_third_party", "employer", "attorney"},
        ("collection_attempts", "outcome"): {"conversation", "no_answer", "voicemail", "message_left", "busy",
                                             "not_in_service", "delivered", "failed"},
        ("complaints", "channel"): {"hotline", "regulator", "letter", "app", "email", "platform"},
        ("call_outcomes", "outcome"): {"connected", "no_answer", "busy", "voicemail", "invalid"},
        ("call_outcomes", "answered_by"): {"debtor", "third_party", "unknown"},
        ("account_events", "kind"): {"contact_change", "repayment_plan_request", "cease_request",
                                     "power_of_attorney", "dispute"},
        ("loans", "stage"): {"current", "M1", "M2", "M3+", "written_off"},
        ("truth/rings", "kind"): {"agent", "decoy_family", "decoy_law_firm", "decoy_template"},
        ("truth/ring_indicators", "kind"): {"phone", "email", "template", "segment"},
        ("truth/resellers", "kind"): {"reseller", "honest"},
        ("institutions", "kind"): {"lender", "credit_bureau", "industry_body", "collection_agency"},
    }  # fmt: skip
    for (name, column), values in allowed.items():
        seen = {r[column] for r in rows(name)}
        assert seen <= values, (name, column, seen - values)


def test_timestamps_carry_an_offset_and_precede_the_as_of_day(rows: Rows) -> None:
    limit = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    stamped = (
        ("complaints", "filed_at"), ("collection_attempts", "at"), ("call_outcomes", "called_at"),
        ("phone_changes", "changed_at"), ("gateway_queries", "at"), ("account_events", "at"),
    )  # fmt: skip
    for name, column in stamped:
        for row in rows(name):
            stamp = dt.datetime.fromisoformat(row[column])
            assert stamp.utcoffset() == dt.timedelta(hours=8)
            assert stamp < limit, (name, row)


def test_ids_are_unique_and_references_resolve(rows: Rows) -> None:
    borrowers = {r["borrower_id"] for r in rows("borrowers")}
    assert len(borrowers) == len(rows("borrowers"))
    lenders = {r["institution_id"] for r in rows("institutions") if r["kind"] == "lender"}
    assert {r["institution_id"] for r in rows("borrowers")} == lenders
    for name in ("loans", "complaints", "phone_changes", "call_outcomes", "account_events", "collection_attempts"):
        assert {r["borrower_id"] for r in rows(name)} <= borrowers, name
    attempts = {r["attempt_id"] for r in rows("collection_attempts")}
    assert {r["attempt_id"] for r in rows("truth/violations")} <= attempts
    assert {r["attempt_id"] for r in rows("collection_messages")} <= attempts
    for name, key in (("complaints", "complaint_id"), ("call_outcomes", "call_id"), ("loans", "loan_id")):
        assert len({r[key] for r in rows(name)}) == len(rows(name))


# The input contract of ring detection (issue 6): required leading columns of each file it reads.
RING_DETECTION_INPUT = {
    "borrowers": ["borrower_id", "institution_id", "phone", "email", "registered_at"],
    "complaints": ["complaint_id", "borrower_id", "institution_id", "filed_at", "channel", "contact_phone",
                   "contact_email", "text"],
    "phone_changes": ["borrower_id", "old_phone", "new_phone", "changed_at"],
    "call_outcomes": ["call_id", "borrower_id", "dialed_phone", "called_at", "outcome", "forwarded_to", "answered_by"],
    "account_events": ["borrower_id", "at", "kind", "detail"],
}  # fmt: skip


def test_the_world_is_a_valid_ring_detection_input(world: WorldSummary, rows: Rows) -> None:
    for name, columns in RING_DETECTION_INPUT.items():
        header = (world.out / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert set(columns) <= set(header), name
        assert rows(name), name
        for row in rows(name):
            for column in columns:
                if column.endswith("_at") or column == "at":
                    dt.datetime.fromisoformat(row[column])
    # Required cells are never empty; optional contact fields sometimes are.
    for row in rows("complaints"):
        assert row["complaint_id"] and row["borrower_id"] and row["text"]
    assert any(not r["contact_phone"] for r in rows("complaints"))
    assert any(not r["contact_email"] for r in rows("complaints"))
