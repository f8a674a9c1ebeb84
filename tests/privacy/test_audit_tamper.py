"""`lendguard audit verify` catches every kind of tampering and names the first broken entry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lendguard.platform.audit_model import AuditEvent, canonical_detail, entry_hash
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import InstitutionKind
from lendguard.platform.store import event_log
from tests.privacy.audit_helpers import execute, fill, run_verify


@pytest.fixture
def chain(container: Container) -> int:
    institution_id = container.tenancy.create_institution("audited", "Audited Ltd", InstitutionKind.LENDER)
    fill(container, institution_id, 24)  # entries 2..25 (entry 1 records the institution's creation)
    return institution_id


def test_intact_log_verifies(container: Container, chain: int, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run_verify(container, monkeypatch)
    assert code == 0, out
    assert "intact" in out and "25 entries" in out and "5 checkpoints" in out


def test_modified_entry_is_named(container: Container, chain: int, monkeypatch: pytest.MonkeyPatch) -> None:
    execute(container, "UPDATE event_log SET actor = 'user:mallory' WHERE institution_id = :i AND seq = 7", i=chain)
    code, out = run_verify(container, monkeypatch)
    assert code == 1
    assert f"first broken entry: institution {chain}, entry 7: content does not match" in out


def test_modified_detail_is_named(container: Container, chain: int, monkeypatch: pytest.MonkeyPatch) -> None:
    execute(container, "UPDATE event_log SET detail = '{}' WHERE institution_id = :i AND seq = 12", i=chain)
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"institution {chain}, entry 12" in out


def test_deleted_entry_is_named(container: Container, chain: int, monkeypatch: pytest.MonkeyPatch) -> None:
    execute(container, "DELETE FROM event_log WHERE institution_id = :i AND seq = 9", i=chain)
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"institution {chain}, entry 9: entry missing" in out


def test_deleted_last_entry_is_caught_by_the_chain_head(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(container, "DELETE FROM event_log WHERE institution_id = :i AND seq = 25", i=chain)
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"institution {chain}, entry 25: chain head says seq 25" in out


def _forge(container: Container, chain: int, seq: int, prev_hash: str) -> dict[str, object]:
    at = container.clock.now()
    event = AuditEvent("user:mallory", "personal_data.read", "B9999", purpose="collection")
    text = canonical_detail(event.detail)
    digest = entry_hash(institution_id=chain, seq=seq, at=at, event=event, detail_text=text, prev_hash=prev_hash)
    return {"i": chain, "seq": seq, "at": at, "d": text, "p": prev_hash, "h": digest}


INSERT = (
    "INSERT INTO event_log (institution_id, seq, at, actor, action, subject_ref, purpose, detail, prev_hash, "
    "entry_hash) VALUES (:i, :seq, :at, 'user:mallory', 'personal_data.read', 'B9999', 'collection', :d, :p, :h)"
)


def head_hash(container: Container, chain: int, seq: int) -> str:
    with container.engine.connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT entry_hash FROM event_log WHERE institution_id = :i AND seq = :s"),
                {"i": chain, "s": seq},
            ).scalar_one()
        )


def test_entry_appended_behind_the_logs_back_is_caught(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(container, INSERT, **_forge(container, chain, 26, head_hash(container, chain, 25)))
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"institution {chain}, entry 26" in out


def test_entry_inserted_in_the_middle_is_named(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Make room at seq 12 by shifting the tail (via a detour to keep (institution_id, seq) unique) and
    # forge a well-formed entry chained to entry 11: the old entry 12, now 13, no longer links.
    execute(container, "UPDATE event_log SET seq = seq + 1000 WHERE institution_id = :i AND seq >= 12", i=chain)
    execute(container, "UPDATE event_log SET seq = seq - 999 WHERE institution_id = :i AND seq >= 1000", i=chain)
    execute(container, INSERT, **_forge(container, chain, 12, head_hash(container, chain, 11)))
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"first broken entry: institution {chain}, entry 13: prev_hash does not match" in out


def test_reordered_entries_are_named(container: Container, chain: int, monkeypatch: pytest.MonkeyPatch) -> None:
    execute(container, "UPDATE event_log SET seq = -8 WHERE institution_id = :i AND seq = 8", i=chain)
    execute(container, "UPDATE event_log SET seq = 8 WHERE institution_id = :i AND seq = 9", i=chain)
    execute(container, "UPDATE event_log SET seq = 9 WHERE institution_id = :i AND seq = -8", i=chain)
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"first broken entry: institution {chain}, entry 8" in out


def test_rewritten_and_rehashed_history_is_caught_by_a_signed_checkpoint(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attacker changes entry 3 and recomputes every hash after it and the chain head: the chain
    # itself is consistent again, but the checkpoint at 5 signed the old hash.
    with container.engine.begin() as conn:
        rows = conn.execute(
            sa.select(event_log).where(event_log.c.institution_id == chain).order_by(event_log.c.seq)
        ).mappings()
        prev = None
        for row in list(rows):
            if row["seq"] < 3:
                prev = row["entry_hash"]
                continue
            actor = "user:mallory" if row["seq"] == 3 else row["actor"]
            event = AuditEvent(
                actor, row["action"], row["subject_ref"], row["object_type"], row["object_id"], row["purpose"]
            )
            at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=container.clock.now().tzinfo)
            digest = entry_hash(
                institution_id=chain, seq=row["seq"], at=at, event=event, detail_text=row["detail"], prev_hash=prev
            )
            conn.execute(
                sa.text("UPDATE event_log SET actor = :a, prev_hash = :p, entry_hash = :h WHERE id = :id"),
                {"a": actor, "p": prev, "h": digest, "id": row["id"]},
            )
            prev = digest
        conn.execute(
            sa.text("UPDATE event_chain_heads SET head_hash = :h WHERE institution_id = :i"), {"h": prev, "i": chain}
        )
    code, out = run_verify(container, monkeypatch)
    assert code == 1
    assert f"first broken entry: institution {chain}, entry 5: entry differs from the signed checkpoint" in out


def test_forged_checkpoint_signature_is_caught(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(
        container,
        "UPDATE audit_checkpoints SET signature = :s WHERE institution_id = :i AND seq = 15",
        s="00" * 64,
        i=chain,
    )
    code, out = run_verify(container, monkeypatch)
    assert code == 1 and f"institution {chain}, entry 15: checkpoint signature does not verify" in out


@pytest.mark.parametrize("tamper", ["modify", "delete", "none"])
def test_parallel_walk_finds_the_same_first_break(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch, tamper: str
) -> None:
    import lendguard.platform.audit_verify as audit_verify

    if tamper == "modify":
        execute(container, "UPDATE event_log SET purpose = 'marketing' WHERE institution_id = :i AND seq = 19", i=chain)
    elif tamper == "delete":
        execute(container, "DELETE FROM event_log WHERE institution_id = :i AND seq = 13", i=chain)
    seed = container.settings.security.signing_seed.reveal()
    with container.engine.connect() as conn:
        serial = audit_verify.verify(conn, seed, chain)
    monkeypatch.setattr(audit_verify, "PARALLEL_MIN", 5)  # force 3 ranges of the 25-entry chain
    with container.engine.connect().execution_options(read_only=True) as conn:
        parallel = audit_verify.verify(conn, seed, chain, workers=3)
    assert parallel.entries == serial.entries
    assert parallel.breaks == serial.breaks
    assert parallel.ok is (tamper == "none")
