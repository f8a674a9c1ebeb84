"""Erasure of derived copies: the port through which a subject's erasure reaches other capabilities.

Privacy erases a subject by crypto-shredding its data key, but other capabilities may hold copies of
the subject's personal data that they derived and stored themselves (intel's ring evidence cites
complaint contacts and texts). Privacy may not import those capabilities (the kernel and the import
contracts forbid it), so each one that keeps such copies registers a :class:`SubjectEraser` here
from its wiring; privacy calls every registered eraser when it honours a deletion.

Capabilities that store new copies later (intel stores each detection run) must not store an erased
subject's data again, so they ask the registry which subjects were erased: the capability that erases
subjects (privacy) registers an :class:`ErasureLedger` that answers by pseudonymous ref.

The registry is built by the composition root (``platform.bootstrap``) and filled by capability
wirings: nothing is registered at import time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class ErasureHold:
    """A derived copy that was *not* erased because a law requires keeping it, and why."""

    capability: str
    object_type: str
    object_id: str
    reason: str
    held_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``held_at`` as ISO 8601) for responses and request records."""
        return {**asdict(self), "held_at": self.held_at.isoformat()}


@dataclass(frozen=True)
class ErasureOutcome:
    """What one capability did with one subject's derived copies."""

    capability: str
    redacted: int = 0  # copies (rows, evidence items) redacted now
    held: tuple[ErasureHold, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for responses and request records."""
        return {"capability": self.capability, "redacted": self.redacted, "held": [h.as_dict() for h in self.held]}


class SubjectEraser(Protocol):
    """A capability's handler for a subject's erasure, run inside privacy's transaction."""

    name: str

    def erase(
        self, conn: Connection, institution_id: int, subject_ref: str, actor: str, now: datetime
    ) -> ErasureOutcome:
        """Redact the subject's derived copies in ``institution_id`` (or hold them with the legal reason).

        Must touch only that institution's data, audit each redaction or hold under the pseudonymous
        ``subject_ref`` and be idempotent (a second call redacts nothing new).
        """
        ...

    def holds(self, conn: Connection, institution_id: int, subject_ref: str) -> list[ErasureHold]:
        """The subject's derived copies still held (for the access report)."""
        ...


class ErasureLedger(Protocol):
    """Which subjects were erased, answered by the capability that erases them."""

    def erased(self, conn: Connection, institution_id: int, subject_refs: Collection[str]) -> set[str]:
        """Those of ``subject_refs`` (pseudonymous refs) whose data was erased in ``institution_id``.

        The answer must hold until the caller's transaction ends (an erasure of one of them waits for
        it), so that copies stored with it are seen by the erasure that follows.
        """
        ...


class ErasureRegistry:
    """The erasers registered by capability wirings, called in registration order, and the ledger."""

    def __init__(self, erasers: Iterable[SubjectEraser] = (), ledger: ErasureLedger | None = None) -> None:
        self._erasers: list[SubjectEraser] = list(erasers)
        self._ledger = ledger

    def set_ledger(self, ledger: ErasureLedger) -> None:
        """Register the ledger of erased subjects (privacy's wiring); there is exactly one."""
        if self._ledger is not None:
            raise ValueError("an erasure ledger is already registered")
        self._ledger = ledger

    def erased(self, conn: Connection, institution_id: int, subject_refs: Collection[str]) -> set[str]:
        """Those of ``subject_refs`` erased in ``institution_id``, in the caller's transaction.

        Fails without a ledger rather than answering "none": a capability storing copies would then
        store erased subjects' data again.
        """
        if self._ledger is None:
            raise RuntimeError("no erasure ledger is registered (the privacy capability's wiring registers it)")
        return self._ledger.erased(conn, institution_id, subject_refs) if subject_refs else set()

    def register(self, eraser: SubjectEraser) -> None:
        """Add a capability's eraser (from its wiring's ``build``); one per capability name."""
        if any(e.name == eraser.name for e in self._erasers):
            raise ValueError(f"an eraser named {eraser.name!r} is already registered")
        self._erasers.append(eraser)

    @property
    def names(self) -> list[str]:
        """Names of the registered erasers, in call order."""
        return [e.name for e in self._erasers]

    def erase(
        self, conn: Connection, institution_id: int, subject_ref: str, actor: str, now: datetime
    ) -> list[ErasureOutcome]:
        """Run every eraser in the caller's transaction (a failure rolls the whole erasure back)."""
        return [e.erase(conn, institution_id, subject_ref, actor, now) for e in self._erasers]

    def holds(self, conn: Connection, institution_id: int, subject_ref: str) -> list[ErasureHold]:
        """Every derived copy of the subject still held under a legal reason, across capabilities."""
        return [h for e in self._erasers for h in e.holds(conn, institution_id, subject_ref)]
