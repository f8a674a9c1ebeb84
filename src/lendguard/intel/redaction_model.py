"""Redaction of an erased borrower from a ring (pure): their evidence values and analysts' notes.

One place for what erasing a borrower does to a stored ring, used by the eraser (privacy honours a
deletion), by dismissing a ring that held an erasure, and by storing a detection run whose input
still holds an erased borrower's rows (``intel.erasure``).

- :func:`redact_subject`: the borrower's evidence values become :data:`REDACTED`; indicators only
  they carried are dropped; the graph ``links`` lose their own values.
- :func:`note_pattern` / :func:`redact_note`: occurrences in an analyst's free-text note of the
  borrower's id and of the phones and e-mails of their evidence that no other member carries, in any
  common form (``+86 170-1234-5601``, ``0086 17012345601``, ``170 1234 5601``; e-mails in any case).
  A value other members carry too (the agent's number) is the ring's, not the borrower's: it stays,
  as its indicator does. :func:`registered` adds the identifiers privacy registered for the borrower
  (phone, e-mail, id and card numbers), handed over only while the erasure runs; where a held ring's
  notes quote them is recorded as offsets (:func:`note_spans`) and redacted on release
  (:func:`redact_spans`); a note edited meanwhile by another member's redaction takes the offsets
  along (:func:`move_spans`). The registered name is redacted too (``names``), but only in the notes of
  rings already found to concern the borrower: many people share a name.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lendguard.intel.contract_model import normalise_email, normalise_phone

REDACTED = "[redacted: borrower erased, PIPL art. 47]"
NOTE_REDACTED = "[redacted: erased borrower]"
# Evidence fields whose values are contacts (see the LINKS query of ``intel.job``)
PHONE_FIELDS = frozenset({"contact_phone", "new_phone", "old_phone", "forwarded_to", "dialed_phone", "phone"})
EMAIL_FIELDS = frozenset({"contact_email", "email"})
# Word boundaries in ASCII only: Chinese text sits right next to ids and numbers ("B002的新号码").
_ID_EDGE_BEFORE = r"(?<![A-Za-z0-9_-])"
_ID_EDGE_AFTER = r"(?![A-Za-z0-9_-])"
_SEPARATOR = r"[\s.\-]*"
_COUNTRY = r"(?:\(?(?:\+|00)?\s*86\)?" + _SEPARATOR + r")?"


def redact_subject(document: dict[str, Any], subject_ref: str, at: datetime) -> tuple[dict[str, Any], int]:
    """A copy of a ring document with ``subject_ref``'s evidence values redacted, and how many items were.

    An indicator is dropped when only the subject's evidence carried it (no other member's value equals
    it or, for a segment, starts with it); a template shown by the subject's own complaint text is shown
    by another member's text when there is one. Redacted items are not redacted twice.
    """
    doc = copy.deepcopy(document)
    mine: set[str] = set()
    others: set[str] = set()
    other_texts: list[str] = []
    count = 0
    for signal in doc.get("signals", []):
        for e in signal.get("evidence", []):
            if e.get("borrower_id") == subject_ref:
                if not e.get("redacted"):
                    mine.add(str(e["value"]))
                    e["value"] = REDACTED
                    e["redacted"] = {"reason": "borrower erased (PIPL art. 47)", "at": at.isoformat()}
                    count += 1
            elif not e.get("redacted"):
                others.add(str(e["value"]))
                if signal.get("name") == "template":
                    other_texts.append(str(e["value"]))
    if not count:
        return doc, 0
    indicators = []
    renamed: dict[str, str] = {}  # a template shown by the subject's text -> another member's text
    for ind in doc.get("indicators", []):
        kind, value = str(ind["kind"]), str(ind["value"])
        if kind == "segment":
            keep = any(v.startswith(value) for v in others) or not any(v.startswith(value) for v in mine)
        else:
            keep = value in others or value not in mine
        if keep:
            indicators.append(ind)
        elif kind == "template" and other_texts:
            renamed[value] = min(other_texts)  # as ring_view picks the text that shows a template
            indicators.append({**ind, "value": renamed[value]})
    doc["indicators"] = indicators
    # The graph's links name values per member; ring_view also lists the template's text under every
    # member who used the template, so the subject's text can sit under other members too.
    only_theirs = mine - others
    links = doc.get("links")
    if isinstance(links, dict):
        for borrower, values in links.items():
            kept = {renamed.get(v, v) for v in values if v in renamed or v not in only_theirs}
            links[borrower] = sorted(v for v in kept if borrower != subject_ref or v in others)
    return doc, count


def contacts(document: dict[str, Any], subject_ref: str, *, others: bool = False) -> set[str]:
    """Normalised phones and e-mails in the unredacted evidence of ``subject_ref`` (or, with ``others``,
    of every other member) of a ring document."""
    found: set[str] = set()
    for signal in document.get("signals", []):
        for e in signal.get("evidence", []):
            if e.get("redacted") or (e.get("borrower_id") == subject_ref) == others:
                continue
            value, field = str(e.get("value", "")), str(e.get("field", ""))
            normalised = (
                normalise_phone(value)
                if field in PHONE_FIELDS
                else normalise_email(value)
                if field in EMAIL_FIELDS
                else None
            )
            if normalised:
                found.add(normalised)
    return found


def registered(phones: Iterable[str], emails: Iterable[str], numbers: Iterable[str] = ()) -> set[str]:
    """The subject's registered identifiers (handed over by privacy at erasure) in the form
    :func:`note_pattern` takes: phones and e-mails normalised as evidence is, id and card numbers
    without spaces, upper case."""
    found = {normalise_phone(p) for p in phones} | {normalise_email(e) for e in emails}
    found |= {"".join(n.split()).upper() for n in numbers}
    return {v for v in found if v}


def note_pattern(subject_ref: str, subject_contacts: Iterable[str], names: Iterable[str] = ()) -> re.Pattern[str]:
    """A pattern matching the subject's id and contacts (normalised phones, e-mails; id and card numbers)
    as notes write them, and any of ``names`` (for notes already known to concern the subject only)."""
    parts = [_ID_EDGE_BEFORE + re.escape(subject_ref) + _ID_EDGE_AFTER]
    parts += [_name_pattern(name) for name in sorted(set(names), key=lambda n: (-len(n), n)) if _is_name(name)]
    for value in sorted(set(subject_contacts), key=lambda v: (-len(v), v)):  # longest first
        if "@" in value:
            parts.append(r"(?<![A-Za-z0-9._%+-])" + re.escape(value) + r"(?![A-Za-z0-9-]|\.[A-Za-z0-9])")
        elif value.isdigit():  # digits with any separators between them, with or without +86 / 0086 / (86)
            parts.append(r"(?<!\d)" + _COUNTRY + _SEPARATOR.join(value) + r"(?!\d)")
        else:  # an id number ending in X: its characters with any separators between them
            parts.append(r"(?<![A-Za-z0-9])" + _SEPARATOR.join(map(re.escape, value)) + r"(?![A-Za-z0-9])")
    return re.compile("|".join(parts), re.IGNORECASE)


def _is_name(name: str) -> bool:
    # One character (a surname alone) would match far too much text.
    return len("".join(name.split())) >= 2


def _name_pattern(name: str) -> str:
    """A name as notes write it: any spacing between its words or characters, any case; a Latin name
    as whole words. A Chinese name has no word edges and is matched wherever it occurs, inside a longer
    name too: redacting a little too much is the safe side of an erasure."""
    chars = "".join(name.split())
    body = r"\s*".join(map(re.escape, chars))
    before = r"(?<![A-Za-z])" if chars[0].isascii() and chars[0].isalpha() else ""
    after = r"(?![A-Za-z])" if chars[-1].isascii() and chars[-1].isalpha() else ""
    return before + body + after


def redact_note(note: str, pattern: re.Pattern[str]) -> tuple[str, int]:
    """``note`` with every match of ``pattern`` replaced by :data:`NOTE_REDACTED`, and how many were."""
    return pattern.subn(NOTE_REDACTED, note)


def note_spans(note: str, pattern: re.Pattern[str]) -> list[list[int]]:
    """Where ``pattern`` matches in ``note``, as [start, end] offsets: recorded with a hold so that the
    identifiers only known while the erasure ran can be redacted when the hold is released."""
    return [[m.start(), m.end()] for m in pattern.finditer(note)]


def redact_spans(note: str, spans: Iterable[Iterable[int]]) -> tuple[str, int]:
    """``note`` with the given [start, end] spans (overlapping ones merged) replaced by
    :data:`NOTE_REDACTED`, and how many replacements were made."""
    merged: list[list[int]] = []
    for start, end in sorted(tuple(s) for s in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        note = note[:start] + NOTE_REDACTED + note[end:]
    return note, len(merged)


def move_spans(spans: Iterable[Iterable[int]], edits: Iterable[Iterable[int]]) -> list[list[int]]:
    """``spans`` recorded on a note, moved onto the note after ``edits`` — the [start, end] regions of
    it that :func:`redact_note` replaced by :data:`NOTE_REDACTED` (as :func:`note_spans` gives them
    for the same pattern), so that a hold's offsets survive another member's redaction of the note.

    A span after an edit shifts by the change in length; a span that overlaps an edit grows to cover
    the marker that replaced it (the safe side: released, it is redacted with the marker); a span
    within an edit was redacted by it already and is dropped.
    """
    regions = sorted((int(a), int(b)) for a, b in edits)
    grow = len(NOTE_REDACTED)

    def moved(offset: int, is_end: bool) -> int:
        shift = 0
        for start, end in regions:
            if end <= offset:  # wholly before it
                shift += grow - (end - start)
            elif start < offset < end:  # inside an edit: to the marker's edge on the span's side
                return start + shift + (grow if is_end else 0)
            else:
                break
        return offset + shift

    out = []
    for a, b in (tuple(int(x) for x in span) for span in spans):
        if any(start <= a and b <= end for start, end in regions):
            continue
        out.append([moved(a, False), moved(b, True)])
    return out
