"""Master-key rotation without downtime: re-wrap every subject's data key under the new master key.

Procedure (docs/privacy.md): configure every process with the new ``LENDGUARD_SECURITY__MASTER_KEY``
and the old one as ``LENDGUARD_SECURITY__PREVIOUS_MASTER_KEY`` (processes then open keys wrapped by
either, and wrap new ones with the new key); run ``lendguard keys rotate``; when it reports nothing
left under the old key, remove the previous key from the configuration. Field ciphertexts never
change: only the small wrapped data keys are rewritten, in short batches, so readers are never blocked
for long. Each re-wrap is compare-and-set, so a subject erased meanwhile stays erased.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.privacy.crypto import KeyRing, key_aad
from lendguard.privacy.store import PersonalDataRepository


@dataclass(frozen=True)
class RotationResult:
    """How many keys were re-wrapped, and how many are still under some other master key."""

    rewrapped: int
    remaining_old: int
    unknown: dict[str, int]


def rotate(
    engine: Engine,
    keys: KeyRing,
    audit: AuditLog,
    clock: Clock,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> RotationResult:
    """Re-wrap every data key wrapped by the previous master key under the current one."""
    old_id = keys.old_kek_id
    if old_id is None:
        raise ValueError("no previous master key: set LENDGUARD_SECURITY__PREVIOUS_MASTER_KEY or --old-master-key-env")
    done = 0
    while True:
        with engine.begin() as conn:
            repo = PersonalDataRepository(conn)
            rows = repo.keys_wrapped_by(old_id, batch)
            per_institution: dict[int, int] = {}
            for row in rows:
                aad = key_aad(row["institution_id"], row["subject_ref"])
                data_key = keys.unwrap(bytes(row["wrapped_key"]), old_id, aad)
                wrapped, kek_id = keys.wrap(data_key, aad)
                if repo.rewrap(row["id"], bytes(row["wrapped_key"]), wrapped, kek_id):
                    per_institution[row["institution_id"]] = per_institution.get(row["institution_id"], 0) + 1
            now = clock.now()
            for institution_id, count in per_institution.items():
                audit.append(
                    conn,
                    institution_id,
                    AuditEvent("system:keys-rotate", "keys.rewrapped", detail={"count": count, "kek": keys.kek_id}),
                    now,
                )
        done += sum(per_institution.values())
        if progress is not None:
            progress(len(rows))
        if len(rows) < batch:
            break
    with reading(engine) as conn:
        counts = PersonalDataRepository(conn).kek_counts()
    unknown = {k: n for k, n in counts.items() if k not in (keys.kek_id, old_id)}
    return RotationResult(done, counts.get(old_id, 0), unknown)
