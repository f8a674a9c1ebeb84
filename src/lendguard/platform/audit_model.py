"""Pure part of the audit log: the event record and its canonical, hash-chained encoding."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# Built once: ``json.dumps`` with options constructs a new encoder per call, which dominated bulk appends.
_DETAIL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_escape = json.encoder.encode_basestring  # the C escaper json.dumps(..., ensure_ascii=False) uses for str


@dataclass(frozen=True)
class AuditEvent:
    """One thing that happened: who did what to whose data, for which purpose.

    ``subject_ref`` is always a pseudonymous subject id, never a name or number, so that erasing a
    subject's data never has to touch (and break) the chain.
    """

    actor: str
    action: str
    subject_ref: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    purpose: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def canonical_detail(detail: dict[str, Any]) -> str:
    """Deterministic JSON text of ``detail`` (sorted keys, no spaces, UTF-8 kept)."""
    return _DETAIL_ENCODER.encode(detail)


def canonical_timestamp(at: datetime) -> str:
    """The instant as ISO 8601 in UTC with microseconds; both databases round-trip it exactly."""
    if at.tzinfo is None:
        raise ValueError("audit timestamps must carry a time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    institution_id: int,
    seq: int,
    at: datetime,
    event: AuditEvent,
    detail_text: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical encoding of one entry and the hash of the entry before it."""
    return chain_hash_text(
        [
            str(institution_id),
            str(seq),
            canonical_timestamp(at),
            event.actor,
            event.action,
            event.subject_ref or "",
            event.object_type or "",
            event.object_id or "",
            event.purpose or "",
            detail_text,
            prev_hash,
        ]
    )


def chain_hash_text(fields: list[str]) -> str:
    """SHA-256 of the canonical JSON array of an entry's fields (shared by append and verify).

    The text equals ``json.dumps(fields, ensure_ascii=False, separators=(",", ":"))`` for a list of
    strings, built with the C string escaper directly: the generic encoder's per-call set-up was most
    of the cost of verifying a million entries.
    """
    return hashlib.sha256(("[" + ",".join(map(_escape, fields)) + "]").encode("utf-8")).hexdigest()


def checkpoint_message(*, institution_id: int, seq: int, entry_hash: str, at: datetime) -> bytes:
    """The bytes an institution signs for a checkpoint: its chain's position and head hash at ``seq``."""
    body = {
        "institution_id": institution_id,
        "seq": seq,
        "entry_hash": entry_hash,
        "at": canonical_timestamp(at),
        "kind": "lendguard.audit.checkpoint/v1",
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def checkpoint_due(
    *, seq: int, at: datetime, last_seq: int, last_at: datetime | None, every: int, minutes: int
) -> bool:
    """A checkpoint is due after ``every`` entries or ``minutes`` since the last one, whichever first."""
    if seq <= last_seq:
        return False
    if seq - last_seq >= every:
        return True
    if last_at is None:
        return False
    return (at - last_at).total_seconds() >= minutes * 60
