"""The database-side fast path of `audit verify` (issue 5): it proves intact entries, never a tampered one.

Each tamper case is verified twice, with the fast path and with it switched off (the exact Python walk
alone); both must name the same first broken entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from json.encoder import encode_basestring

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import lendguard.platform.audit_verify as audit_verify
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import GENESIS_HASH, AuditEvent, canonical_detail, entry_hash
from lendguard.platform.audit_verify_fast import Proven, prove_range
from lendguard.platform.bootstrap import Container
from lendguard.platform.db import make_engine
from lendguard.platform.model import InstitutionKind
from tests.conftest import EPOCH
from tests.privacy.audit_helpers import execute

SEED = "fast-path"
# Every kind of character the JSON escapers treat specially, and some they must leave alone.
AWKWARD = ['say "hi"', "back\\slash", "tab\there", "line\nbreak\r", "\x01\x08\x0c\x1f\x7f", "张三 ✓ 😀 \u2028"]


def _event(i: int, nul: bool) -> AuditEvent:
    odd = AWKWARD[i % len(AWKWARD)] + ("\x00" if nul and i % 5 == 0 else "")
    return AuditEvent(
        f"user:{odd}",
        "personal_data.read",
        odd if i % 2 else None,
        "subject" if i % 3 else None,
        f"B{i}{odd}",
        odd if i % 4 else None,
        {"note": odd, "i": i, "fields": ["name", odd]},
    )


@pytest.fixture
def chain(container: Container) -> int:
    """An institution whose chain holds 60 entries full of awkward text, a checkpoint every 7."""
    institution_id = container.tenancy.create_institution("fast", "Fast Ltd", InstitutionKind.LENDER)
    log = AuditLog(signing_seed=SEED, checkpoint_every=7)
    nul = container.engine.dialect.name == "sqlite"  # PostgreSQL text cannot hold NUL
    for b in range(0, 59, 10):
        with container.engine.begin() as conn:
            events = [_event(i, nul) for i in range(b, min(59, b + 10))]
            log.append_many(conn, institution_id, events, container.clock.now() + timedelta(microseconds=b))
    return institution_id


def _head(container: Container, institution_id: int) -> tuple[int, str]:
    with container.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT seq, head_hash FROM event_chain_heads WHERE institution_id = :i"), {"i": institution_id}
        ).one()
    return int(row[0]), str(row[1])


def _hash_at(container: Container, institution_id: int, seq: int) -> str:
    with container.engine.connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT entry_hash FROM event_log WHERE institution_id = :i AND seq = :s"),
                {"i": institution_id, "s": seq},
            ).scalar_one()
        )


def test_fast_path_proves_an_intact_chain_of_awkward_text(container: Container, chain: int) -> None:
    seq, head = _head(container, chain)
    assert seq == 60  # entry 1 records the institution's creation
    with container.engine.connect() as conn:
        whole = prove_range(conn, chain, None, None, GENESIS_HASH, frozenset({7, 14, 60}))
        tail = prove_range(conn, chain, 30, None, _hash_at(container, chain, 30), frozenset({35, 42}))
        middle = prove_range(conn, chain, 10, 20, _hash_at(container, chain, 10), frozenset())
    assert whole.complete and (whole.count, whole.last_seq, whole.last_hash) == (60, 60, head)
    assert whole.at_checkpoints == {s: _hash_at(container, chain, s) for s in (7, 14, 60)}
    assert tail.complete and (tail.count, tail.last_seq, tail.last_hash) == (30, 60, head)
    assert set(tail.at_checkpoints) == {35, 42}
    assert middle.complete and (middle.count, middle.last_seq) == (10, 20)


def test_fast_path_stops_before_the_first_tampered_entry(container: Container, chain: int) -> None:
    execute(container, "UPDATE event_log SET detail = '{}' WHERE institution_id = :i AND seq = 23", i=chain)
    with container.engine.connect() as conn:
        proven = prove_range(conn, chain, None, None, GENESIS_HASH, frozenset({7, 21, 28}))
    assert not proven.complete
    assert (proven.count, proven.last_seq, proven.last_hash) == (22, 22, _hash_at(container, chain, 22))
    assert set(proven.at_checkpoints) == {7, 21}


def test_fast_path_does_not_start_without_the_link_before_the_range(container: Container, chain: int) -> None:
    with container.engine.connect() as conn:
        proven = prove_range(conn, chain, 10, None, "", frozenset())
    assert not proven.complete and proven.count == 0


def _forge_row(container: Container, chain: int, seq: int, prev_hash: str) -> None:
    at = container.clock.now()
    event = AuditEvent("user:mallory", "personal_data.read", "B9999", purpose="collection")
    text = canonical_detail(event.detail)
    digest = entry_hash(institution_id=chain, seq=seq, at=at, event=event, detail_text=text, prev_hash=prev_hash)
    execute(
        container,
        "INSERT INTO event_log (institution_id, seq, at, actor, action, subject_ref, purpose, detail, prev_hash, "
        "entry_hash) VALUES (:i, :seq, :at, 'user:mallory', 'personal_data.read', 'B9999', 'collection', :d, :p, :h)",
        i=chain,
        seq=seq,
        at=at,
        d=text,
        p=prev_hash,
        h=digest,
    )


def _swap_5_and_6(container: Container, chain: int) -> None:
    for to, frm in ((-5, 5), (5, 6), (6, -5)):
        execute(container, f"UPDATE event_log SET seq = {to} WHERE institution_id = :i AND seq = {frm}", i=chain)


def _tamper_cases() -> dict[str, Callable[[Container, int], None]]:
    def sql(statement: str) -> Callable[[Container, int], None]:
        return lambda container, chain: execute(container, statement, i=chain)

    return {
        "modified actor": sql("UPDATE event_log SET actor = 'user:mallory' WHERE institution_id = :i AND seq = 33"),
        # The same text with one escape written differently: not the appended content.
        "modified quote": sql(
            "UPDATE event_log SET actor = replace(actor, '\"', '''') WHERE institution_id = :i AND seq = 8"
        ),
        "modified purpose to null": sql("UPDATE event_log SET purpose = NULL WHERE institution_id = :i AND seq = 41"),
        "modified prev_hash": sql(
            "UPDATE event_log SET prev_hash = upper(prev_hash) WHERE institution_id = :i AND seq = 17"
        ),
        "deleted": sql("DELETE FROM event_log WHERE institution_id = :i AND seq = 12"),
        "deleted first": sql("DELETE FROM event_log WHERE institution_id = :i AND seq = 1"),
        "reordered": _swap_5_and_6,
        "forged entry 0": lambda container, chain: _forge_row(container, chain, 0, GENESIS_HASH),
        "forged entry -3": lambda container, chain: _forge_row(container, chain, -3, GENESIS_HASH),
        "forged entry past the head": lambda container, chain: _forge_row(
            container, chain, 61, _hash_at(container, chain, 60)
        ),
    }


@pytest.mark.parametrize("case", sorted(_tamper_cases()))
@pytest.mark.parametrize("workers", [1, 3])
def test_fast_and_exact_walks_name_the_same_first_break(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch, case: str, workers: int
) -> None:
    _tamper_cases()[case](container, chain)
    monkeypatch.setattr(audit_verify, "PARALLEL_MIN", 5)  # workers=3: three ranges of the 60-entry chain
    with container.engine.connect().execution_options(read_only=True) as conn:
        fast = audit_verify.verify(conn, SEED, chain, workers=workers)
    monkeypatch.setattr(audit_verify, "prove_range", _prove_nothing)
    with container.engine.connect().execution_options(read_only=True) as conn:
        exact = audit_verify.verify(conn, SEED, chain, workers=1)
    assert not fast.ok
    assert fast.breaks == exact.breaks
    assert fast.entries == exact.entries


def _prove_nothing(
    conn: object, institution_id: int, after: int | None, hi: int | None, prev: str, _: object
) -> Proven:
    base = after if after is not None else 0
    return Proven(base=base, last_seq=base, last_hash=prev)


def test_an_entry_stored_below_seq_1_is_named(container: Container, chain: int) -> None:
    _forge_row(container, chain, 0, GENESIS_HASH)
    with container.engine.connect() as conn:
        report = audit_verify.verify(conn, SEED, chain)
    assert report.first_break == audit_verify.Break(chain, 1, "unexpected entry (stored with seq 0)")


def test_a_blob_in_a_text_column_is_a_break_not_a_crash(container: Container, chain: int) -> None:
    if container.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite stores any type in any column")
    execute(container, "UPDATE event_log SET actor = x'00ff' WHERE institution_id = :i AND seq = 9", i=chain)
    with container.engine.connect() as conn:
        report = audit_verify.verify(conn, SEED, chain)
    assert report.first_break == audit_verify.Break(chain, 9, "content does not match its hash (modified or moved)")


def test_the_databases_escape_text_like_python_for_every_character(engine: Engine) -> None:
    # The fast path relies on json_array (SQLite) and array_to_json (PostgreSQL) escaping text exactly
    # as the canonical encoding does; otherwise intact entries would fall through to the slow walk (a
    # tampered one could still never pass). PostgreSQL text cannot hold NUL.
    first = 0 if engine.dialect.name == "sqlite" else 1
    chars = [chr(c) for c in range(first, 0x110000) if not 0xD800 <= c < 0xE000]
    texts = ["a" + "".join(chars[i : i + 64]) + "b" for i in range(0, len(chars), 64)]
    quote = "json_array(s)" if engine.dialect.name == "sqlite" else "array_to_json(ARRAY[s])::text"
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE escaping (n INTEGER, s TEXT)")
        conn.execute(sa.text("INSERT INTO escaping VALUES (:n, :s)"), [{"n": n, "s": t} for n, t in enumerate(texts)])
        quoted = conn.exec_driver_sql(f"SELECT s, {quote} FROM escaping ORDER BY n").all()
    assert len(quoted) == len(texts)
    for text, json_text in quoted:
        assert json_text == f"[{encode_basestring(text)}]"


_walk_in_worker = audit_verify._walk_in_worker


def _append_then_walk(
    url: str, institution_id: int, lo: int, hi: int | None, wanted: frozenset[int], snapshot: str | None = None
) -> object:
    """A worker that sees an entry appended after the parent's snapshot was taken (a concurrent writer)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            event = AuditEvent("user:late", "personal_data.read", "B0001")
            AuditLog(signing_seed=SEED).append(conn, institution_id, event, EPOCH + timedelta(days=1))
    finally:
        engine.dispose()
    return _walk_in_worker(url, institution_id, lo, hi, wanted, snapshot)


def test_entries_appended_while_workers_walk_are_no_break(
    container: Container, chain: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_verify, "PARALLEL_MIN", 5)
    monkeypatch.setattr(audit_verify, "_walk_in_worker", _append_then_walk)
    with container.engine.connect().execution_options(read_only=True) as conn:
        report = audit_verify.verify(conn, SEED, chain, workers=3)
    assert report.ok, report.breaks
    assert report.entries == 60
    with container.engine.connect() as conn:
        assert audit_verify.verify(conn, SEED, chain).entries == 62  # both workers appended one
