"""The input contract of ``lendguard intel detect`` as data: files, columns, value sets (pure).

Also the value normalisers (phones, e-mails, timestamps) shared by ingestion and the baseline. The
contract is documented in ``docs/data-formats.md`` ("Ring-detection input").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# Timestamps without an offset are China Standard Time (the input contract says so).
DEFAULT_OFFSET = timezone(timedelta(hours=8))

COMPLAINT_CHANNELS = frozenset({"hotline", "regulator", "letter", "app", "email", "platform"})
CALL_OUTCOMES = frozenset({"connected", "no_answer", "busy", "voicemail", "invalid"})
ANSWERED_BY = frozenset({"debtor", "third_party", "unknown"})
EVENT_KINDS = frozenset({"contact_change", "repayment_plan_request", "cease_request", "power_of_attorney", "dispute"})


@dataclass(frozen=True)
class Column:
    """One column the detector reads; ``kind`` says how a cell is parsed."""

    name: str
    kind: str = "text"  # text | id | phone | email | timestamp | enum
    required: bool = False  # the cell may not be empty
    values: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FileSpec:
    """One input file; ``id_column`` names the column used as evidence ``row_id`` (else the line number);
    ``unique_id``: each value of it names one row (evidence cites it), so a repeated one is an error."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    id_column: str | None
    unique_id: bool = False


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "borrowers.csv",
        True,
        (
            Column("borrower_id", "id", True),
            Column("institution_id", "id", True),
            Column("phone", "phone"),
            Column("email", "email"),
            Column("registered_at", "timestamp"),
        ),
        "borrower_id",
    ),
    FileSpec(
        "complaints.csv",
        True,
        (
            Column("complaint_id", "id", True),
            Column("borrower_id", "id", True),
            Column("institution_id", "id", True),
            Column("filed_at", "timestamp", True),
            Column("channel", "enum", True, COMPLAINT_CHANNELS),
            Column("contact_phone", "phone"),
            Column("contact_email", "email"),
            Column("text", "text"),
        ),
        "complaint_id",
        unique_id=True,
    ),
    FileSpec(
        "phone_changes.csv",
        False,
        (
            Column("borrower_id", "id", True),
            Column("old_phone", "phone"),
            Column("new_phone", "phone", True),
            Column("changed_at", "timestamp", True),
        ),
        None,
    ),
    FileSpec(
        "call_outcomes.csv",
        False,
        (
            Column("call_id", "id", True),
            Column("borrower_id", "id", True),
            Column("dialed_phone", "phone"),
            Column("called_at", "timestamp", True),
            Column("outcome", "enum", True, CALL_OUTCOMES),
            Column("forwarded_to", "phone"),
            Column("answered_by", "enum", False, ANSWERED_BY),
        ),
        "call_id",
        unique_id=True,
    ),
    FileSpec(
        "account_events.csv",
        False,
        (
            Column("borrower_id", "id", True),
            Column("at", "timestamp", True),
            Column("kind", "enum", True, EVENT_KINDS),
            Column("detail", "text"),
        ),
        None,
    ),
)

_PHONE_CHARS = re.compile(r"^\+?[0-9 \-().]+$")
_NOT_DIGIT = re.compile(r"[^0-9]")


def normalise_phone(raw: str) -> str | None:
    """Digits only, without the +86 / 0086 country prefix; None when ``raw`` is not a phone number.

    ``+86 138-0013-8000``, ``0086 13800138000`` and ``138 0013 8000`` all become ``13800138000``;
    landlines keep their trunk 0 (``010-6552 1234`` becomes ``01065521234``).
    """
    if not _PHONE_CHARS.match(raw):
        return None
    digits = _NOT_DIGIT.sub("", raw)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not 5 <= len(digits) <= 15:
        return None
    return digits


def normalise_email(raw: str) -> str | None:
    """Lower-cased, trimmed e-mail address; None when there is no ``local@domain``."""
    value = raw.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        return None
    return value


def parse_timestamp(raw: str) -> int | None:
    """Epoch seconds of an ISO 8601 timestamp (no offset means UTC+8); None when unparseable."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=DEFAULT_OFFSET)
    return int(moment.timestamp())
