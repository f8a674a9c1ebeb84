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

**What an eraser is given.** Privacy hands each eraser an :class:`ErasureSubject` per subject: the
pseudonymous ref and the identifiers privacy is about to shred (registered phone, e-mail, id and card
numbers, and the name), so that copies which quote them (an analyst's note) can be found. A name is no
identifier: many people share one, so an eraser should only look for it in copies it already knows to
be about the subject (by ref or the other identifiers), never use it to find them. They exist only in memory,
inside the deletion's transaction: never store them, log them or put them in an audit entry (which names
the subject by ref only).

**Lock order.** A deletion locks the subjects' privacy rows (ref order), then each eraser locks the rows it
will change for all the subjects at once (in a fixed order, e.g. ring id), and only then is anything
appended to the audit log, whose per-institution chain head every writer locks last. Erasers therefore
do not append audit entries themselves: they return them in :attr:`ErasureOutcome.events` and privacy
appends them after every eraser ran. A writer that takes the same rows in another order (audit first,
or subjects after rings) can deadlock with a deletion on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from lendguard.platform.audit_model import AuditEvent

# Kinds of identifiers an ErasureSubject may carry (values as registered, not normalised)
PHONE = "phone"
EMAIL = "email"
ID_NUMBER = "id_number"
BANK_CARD = "bank_card"
PERSON_NAME = "person_name"  # the registered name: to redact, never to find copies by (see above)


@dataclass(frozen=True)
class ErasureSubject:
    """A subject being erased: its pseudonymous ref and the identifiers about to be shredded, by kind.

    In memory only, for the deletion's transaction (see the module's docstring); left out of ``repr`` so
    a traceback or log line cannot show them.
    """

    ref: str
    identifiers: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def values(self, kind: str) -> frozenset[str]:
        """The subject's identifiers of one kind (:data:`PHONE`, :data:`EMAIL`, ...); empty when none."""
        return self.identifiers.get(kind, frozenset())


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
    # audit entries of the redactions and holds, appended by privacy once every eraser ran (lock order)
    events: tuple[AuditEvent, ...] = field(default_factory=tuple, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for responses and request records."""
        return {"capability": self.capability, "redacted": self.redacted, "held": [h.as_dict() for h in self.held]}


class SubjectEraser(Protocol):
    """A capability's handler for subjects' erasure, run inside privacy's transaction."""

    name: str

    def erase(
        self, conn: Connection, institution_id: int, subjects: Sequence[ErasureSubject], actor: str, now: datetime
    ) -> list[ErasureOutcome]:
        """Redact the subjects' derived copies in ``institution_id`` (or hold them with the legal reason);
        one outcome per subject, in the order given.

        Must touch only that institution's data, lock what it changes for all the subjects at once in a
        fixed order, return (not append) an audit entry for each redaction or hold naming the subject by
        its ref, never record the subjects' identifiers, and be idempotent (a second call redacts nothing
        new).
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
        self, conn: Connection, institution_id: int, subjects: Sequence[ErasureSubject], actor: str, now: datetime
    ) -> list[list[ErasureOutcome]]:
        """Run every eraser in the caller's transaction (a failure rolls the whole erasure back); per
        subject, in the order given, each eraser's outcome. The caller appends the outcomes' events."""
        per_eraser = [e.erase(conn, institution_id, subjects, actor, now) for e in self._erasers]
        for eraser, outcomes in zip(self._erasers, per_eraser, strict=True):
            if len(outcomes) != len(subjects):
                raise ValueError(f"eraser {eraser.name!r} returned {len(outcomes)} outcomes for {len(subjects)}")
        return [[outcomes[i] for outcomes in per_eraser] for i in range(len(subjects))]

    def holds(self, conn: Connection, institution_id: int, subject_ref: str) -> list[ErasureHold]:
        """Every derived copy of the subject still held under a legal reason, across capabilities."""
        return [h for e in self._erasers for h in e.holds(conn, institution_id, subject_ref)]
