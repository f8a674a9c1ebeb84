"""Governance of ring evidence (pure): who reads values in full, how others see them, whose data it is.

Ring evidence cites input cells: contact phones and e-mails, changed and forwarded numbers, complaint
texts. Those are personal data, so the intelligence capability applies the same rules as governed
access in ``lendguard.privacy``:

- only the roles that investigate fraud (:data:`INVESTIGATORS`) read values in full; every other
  reader gets them masked with privacy's own masking (:func:`lendguard.privacy.model.mask`), so a
  phone reads ``170****5678`` and an e-mail ``a***@example.cn`` wherever lendguard shows one;
- masking is default-deny: only fields known to hold no personal data (:data:`PLAIN_FIELDS`) pass
  unmasked; any other value is masked by its shape (e-mail, number, free text);
- each evidence item names the pseudonymous borrower whose row it is, so every read can be audited
  against that borrower (:func:`fields_by_subject`) and shows up in the borrower's access report.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Any

from lendguard.intel.scoring_model import Ring
from lendguard.platform.model import Role
from lendguard.privacy.model import mask

PURPOSE = "fraud_investigation"
INVESTIGATORS: tuple[Role, ...] = (Role.ANALYST, Role.COMPLIANCE)

# Evidence fields that hold no personal data (categories, codes, timestamps): shown to every reader.
PLAIN_FIELDS = frozenset({"answered_by", "channel", "kind", "outcome", "filed_at", "changed_at", "called_at", "at"})

_DIGITS = re.compile(r"^\+?[\d\s-]{5,}$")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER_IN_TEXT = re.compile(r"\+?\d[\d\s-]{5,}\d")


def mask_text(value: str) -> str:
    """A free text (complaint, template) withheld: its first character and its length only."""
    return f"{value[:1]}… ({len(value)} characters withheld)" if value else value


def mask_value(field: str, value: str) -> str:
    """An evidence value as a reader without investigation rights sees it (default-deny)."""
    if field in PLAIN_FIELDS or not value:
        return value
    if "@" in value:
        return mask("email", value)
    if _DIGITS.match(value):
        return mask("mobile", value)
    return mask_text(value)


def mask_note(text: str) -> str:
    """An analyst's note with the phone numbers and e-mail addresses written into it masked.

    Notes are the analyst's own words, shown in full to investigators; other readers see them with
    contact values masked, since analysts often quote the number that ties a ring together.
    """
    text = _EMAIL_IN_TEXT.sub(lambda m: mask("email", m.group(0)), text)
    return _NUMBER_IN_TEXT.sub(_mask_number, text)


def _mask_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) < 7:  # dates, amounts, counts: not a contact number
        return match.group(0)
    return mask("mobile", digits[-11:])  # a mainland mobile without its +86 / 0086 prefix


def note_digest(note: str) -> str:
    """SHA-256 of a decision note: the audit log records it instead of the text, so the hash-chained,
    never-erased log holds no personal data an analyst may have quoted, yet proves the stored note."""
    return hashlib.sha256(note.encode("utf-8")).hexdigest()


def mask_indicator(kind: str, value: str) -> str:
    """An indicator masked by its kind: phones and e-mails as privacy masks them, segments after the
    operator prefix (a 9-digit segment would otherwise reveal most of a number), templates withheld."""
    if kind == "phone":
        return mask("mobile", value)
    if kind == "email":
        return mask("email", value)
    if kind == "segment":
        return value[:3] + "*" * max(0, len(value) - 3)
    return mask_text(value)


def masked_carryover(carryover: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ring's carried-over decision with contacts quoted in its note masked."""
    return {**carryover, "note": mask_note(str(carryover.get("note", "")))} if carryover else None


def masked_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """A copy of a ring's detail with every evidence value and indicator masked (borrower ids are kept:
    they are pseudonymous)."""
    return {
        **detail,
        "indicators": [{**i, "value": mask_indicator(i["kind"], i["value"])} for i in detail.get("indicators", [])],
        "signals": [
            {**s, "evidence": [{**e, "value": mask_value(e["field"], e["value"])} for e in s["evidence"]]}
            for s in detail.get("signals", [])
        ],
        "decisions": [{**d, "note": mask_note(d["note"])} for d in detail.get("decisions", [])],
        "carryover": masked_carryover(detail.get("carryover")),
        "masked": True,
    }


def annotate_borrowers(view: dict[str, Any], ring: Ring) -> dict[str, Any]:
    """The stored view of ``ring`` with each evidence item naming the borrower whose row it is.

    ``ring_view`` (scoring) drops the borrower from the evidence items; the detection output keeps
    that contract, but the stored copy needs it to audit a read against each borrower.
    """
    owners: dict[tuple[str, str, str, str, str], str] = {}
    for signal in ring.signals:
        for e in signal.evidence:
            owners.setdefault((signal.name, e.file, e.row_id, e.field, e.value), e.borrower_id)
    signals = [
        {
            **s,
            "evidence": [
                {**e, "borrower_id": owners.get((s["name"], e["file"], e["row_id"], e["field"], e["value"]), "")}
                for e in s["evidence"]
            ],
        }
        for s in view.get("signals", [])
    ]
    return {**view, "signals": signals}


def fields_by_subject(detail: dict[str, Any]) -> dict[str, list[str]]:
    """For each of the ring's borrowers, the evidence fields (``file:field``) read about them.

    Every borrower of the ring is named, even one whose rows carry no evidence item (older stored rings
    have no borrower on their items): the ring page shows all members, so all were read about.
    """
    fields: dict[str, set[str]] = defaultdict(set)
    for borrower in detail.get("borrowers", []):
        fields.setdefault(str(borrower), set())
    for signal in detail.get("signals", []):
        for e in signal["evidence"]:
            borrower = e.get("borrower_id")
            if borrower:
                fields[str(borrower)].add(f"{e['file']}:{e['field']}")
    return {b: sorted(f) for b, f in sorted(fields.items())}
