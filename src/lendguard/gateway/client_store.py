"""The gateway's repository of clients, their prepaid balance and the ledger: the charges of the query
path (prebuilt, conditional) and the bureau's client administration."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.gateway.tables import clients, ledger, row_dict
from lendguard.platform.driver_statement import DriverStatement
from lendguard.platform.model import NotFound
from lendguard.platform.store import UTC_TS

# Statements of the query path, built once: building a Core expression costs more than running it
# on SQLite, and a prebuilt statement keeps its compiled form and cache key.
_P = sa.bindparam
CLIENT_BY_ID = clients.select().where(clients.c.institution_id == _P("inst"), clients.c.id == _P("cid"))
CLIENT_FOR_UPDATE = CLIENT_BY_ID.with_for_update()
CLIENTS_OF_LENDER = clients.select().where(clients.c.lender_institution_id == _P("lender")).order_by(clients.c.id)
CHARGE = (
    clients.update()
    .where(clients.c.institution_id == _P("inst"), clients.c.id == _P("cid"), clients.c.balance_fen >= _P("price"))
    .values(
        balance_fen=clients.c.balance_fen - _P("price"),
        second_start=_P("w_second_start", type_=UTC_TS),
        second_count=_P("w_second_count"),
        day_start=_P("w_day_start", type_=UTC_TS),
        day_count=_P("w_day_count"),
    )
)
# The fast path's charge (both databases): suspension, balance, tier and both rate windows decided by
# one conditional UPDATE (SET expressions see the old row); no row returned: nothing changed.
FAST_CHARGE_SQL = """
UPDATE gateway_clients SET
    balance_fen = balance_fen - :price,
    second_count = CASE WHEN second_start = :second THEN second_count + 1 ELSE 1 END,
    second_start = :second,
    day_count = CASE WHEN day_start = :day THEN day_count + 1 ELSE 1 END,
    day_start = :day
WHERE institution_id = :inst AND id = :cid AND status = 'active' AND balance_fen >= :price
    AND topup_total_fen = :topup
    AND (second_start IS NULL OR second_start <> :second OR second_count < :per_second)
    AND (day_start IS NULL OR day_start <> :day OR day_count < :per_day)
RETURNING balance_fen
"""
# PostgreSQL: the fast path's whole write for one query in one statement (a batch pipelines its
# statements in one round trip, in the batch's transaction; the audit event is appended by the caller),
# run on the driver cursor (DriverStatement: through Connection.execute SQLAlchemy's per-statement work
# cost more than the round trip). Each step runs only if the one before changed a row (the charge,
# then the use, then the query line, whose idempotency key may be taken), in the lock
# order of the locked path: client row, authorisation, idempotency key. The authorisation is matched
# on its borrower too (the signed token already says so; this is the database's check): that also
# makes both of its indexes led by institution_id selective, so PostgreSQL cannot choose a scan of the
# bureau's every authorisation (which it did on tables without statistics). All or nothing: not charged
# returns NULL having changed nothing; charged but not recorded (the authorisation used up or revoked,
# or the key taken, since they were read) fails the whole statement with CHARGED_NOT_RECORDED, which
# undoes the charge — the caller then takes the locked path, which decides again and logs the reason.
PG_CHARGE_AND_RECORD = DriverStatement(
    sa.text(
        f"""
WITH c AS ({FAST_CHARGE_SQL}), u AS (
    UPDATE gateway_authorisations SET uses = uses + 1
    WHERE institution_id = :inst AND ref = :auth_ref AND borrower_ref = :borrower AND uses < max_uses
        AND revoked_at IS NULL
        AND EXISTS (SELECT 1 FROM c)
    RETURNING 1
), q AS (
    INSERT INTO gateway_queries (institution_id, ref, client_id, idempotency_key, at, borrower_ref,
        authorisation_ref, purpose, channel, product, outcome, reason, price_fen, tier, response)
    SELECT CAST(:inst AS INTEGER), CAST(:ref AS VARCHAR), CAST(:cid AS INTEGER), CAST(:idem AS VARCHAR),
        CAST(:at AS TIMESTAMPTZ), CAST(:borrower AS VARCHAR), CAST(:auth_ref AS VARCHAR),
        CAST(:purpose AS VARCHAR), CAST(:channel AS VARCHAR), CAST(:product AS VARCHAR), 'answered', NULL,
        CAST(:price AS BIGINT), CAST(:tier AS VARCHAR), CAST(:response AS JSONB)
    WHERE EXISTS (SELECT 1 FROM u)
    ON CONFLICT DO NOTHING
    RETURNING 1
), l AS (
    INSERT INTO gateway_ledger (institution_id, client_id, at, kind, amount_fen, balance_after_fen, query_ref, tier)
    SELECT CAST(:inst AS INTEGER), CAST(:cid AS INTEGER), CAST(:at AS TIMESTAMPTZ), 'charge',
        -CAST(:price AS BIGINT), c.balance_fen, CAST(:ref AS VARCHAR), CAST(:tier AS VARCHAR)
    FROM c WHERE EXISTS (SELECT 1 FROM q)
)
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM q) THEN (SELECT balance_fen FROM c)
    WHEN NOT EXISTS (SELECT 1 FROM c) THEN NULL
    ELSE CAST((SELECT CAST(:abort AS VARCHAR) FROM c) AS BIGINT)
END AS balance_fen
"""
    )
)
# The text that fails PG_CHARGE_AND_RECORD's cast when a charge could not be recorded (not a number).
CHARGED_NOT_RECORDED = "gateway: charged but not recorded, statement undone"


class ChargedNotRecorded(Exception):
    """A fast-path write charged but could not record, inside a transaction that must be rolled
    back (PostgreSQL: PG_CHARGE_AND_RECORD failed, undoing itself, and aborted the transaction;
    SQLite: the charge is still there). ``position``: which of a batch's writes, when known."""

    def __init__(self, position: int | None = None) -> None:
        super().__init__(position)
        self.position = position


INSERT_LEDGER = ledger.insert()


class ClientStore:
    """Clients, balances and the ledger of one bureau; every statement filters on institution_id."""

    conn: Connection

    # -- clients ----------------------------------------------------------------------------------
    def add_client(self, institution_id: int, values: Mapping[str, Any]) -> int:
        result = self.conn.execute(clients.insert().values(institution_id=institution_id, **values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def client(self, institution_id: int, client_id: int, *, lock: bool = False) -> dict[str, Any]:
        query = clients.select().where(clients.c.institution_id == institution_id, clients.c.id == client_id)
        if lock and self.conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        if row is None:
            raise NotFound(f"gateway client {client_id} not found")
        return row_dict(row)

    def client_by_ref(self, institution_id: int, ref: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            clients.select().where(clients.c.institution_id == institution_id, clients.c.ref == ref)
        ).first()
        return row_dict(row) if row else None

    def clients(self, institution_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            clients.select().where(clients.c.institution_id == institution_id).order_by(clients.c.ref)
        )
        return [row_dict(r) for r in rows]

    def clients_of_lender(self, lender_institution_id: int) -> list[dict[str, Any]]:
        """The client rows acting for a lender (prebuilt statement of the query path; no lock)."""
        return [row_dict(r) for r in self.conn.execute(CLIENTS_OF_LENDER, {"lender": lender_institution_id})]

    def lock_client(self, institution_id: int, client_id: int) -> dict[str, Any]:
        """The client's current row, locked until commit on PostgreSQL (SQLite's writer lock covers it)."""
        query = CLIENT_FOR_UPDATE if self.conn.dialect.name != "sqlite" else CLIENT_BY_ID
        row = self.conn.execute(query, {"inst": institution_id, "cid": client_id}).first()
        if row is None:
            raise NotFound(f"gateway client {client_id} not found")
        return row_dict(row)

    def charge(self, institution_id: int, client_id: int, price_fen: int, window: Mapping[str, Any]) -> bool:
        """Debit ``price_fen`` and store the rate window, only if the balance covers the price."""
        params = {
            "inst": institution_id,
            "cid": client_id,
            "price": price_fen,
            **{f"w_{k}": v for k, v in window.items()},
        }
        return self.conn.execute(CHARGE, params).rowcount == 1

    def charge_and_record_pg(
        self,
        line: Mapping[str, Any],
        *,
        topup_total_fen: int,
        windows: tuple[datetime, datetime],
        limits: tuple[int, int],
    ) -> int | None:
        """PostgreSQL, in the caller's transaction, one statement that changes all or nothing: charge
        (if the client is active, the balance covers the price, the rate windows starting at
        ``windows`` have room under ``limits`` (per second, per day) and the top-ups still total
        ``topup_total_fen``), count the use, insert the query ``line`` and its ledger line. Returns
        the new balance, or None when nothing was done; a charge that could not be recorded raises
        :class:`ChargedNotRecorded` (the statement failed: the caller's transaction must be rolled back)."""
        terms = {"topup_total_fen": topup_total_fen, "windows": windows, "limits": limits}
        return self.charge_and_record_pg_many([(line, terms)])[0][0]

    def charge_and_record_pg_many(
        self,
        writes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
        then: Sequence[tuple[str, Sequence[Any]]] = (),
    ) -> tuple[list[int | None], list[tuple[Any, ...] | None]]:
        """:meth:`charge_and_record_pg` of each ``(line, terms)`` in order, then each ``then``
        statement (the driver's SQL and parameters; e.g. the batch's audit chain heads, locked after
        the client rows as every writer does), pipelined (one round trip). Returns the balances and
        the first row of each ``then`` statement. The first write that charged but could not record
        raises :class:`ChargedNotRecorded`, which does not say which one (the transaction is aborted:
        the caller rolls back and may retry each write on its own)."""
        params = [_pg_charge_params(line, **terms) for line, terms in writes]
        try:
            balances, rows = PG_CHARGE_AND_RECORD.first_values_then(self.conn, params, then)
        except self.conn.dialect.loaded_dbapi.DataError as exc:
            if CHARGED_NOT_RECORDED not in str(exc):
                raise
            raise ChargedNotRecorded from exc
        return [None if balance is None else int(balance) for balance in balances], rows

    def clients_serving(self, lender_institution_id: int) -> list[dict[str, Any]]:
        """Client records (of any bureau) that act for a lender institution: how a lender finds its client."""
        rows = self.conn.execute(
            clients.select().where(clients.c.lender_institution_id == lender_institution_id).order_by(clients.c.id)
        )
        return [row_dict(r) for r in rows]

    def update_client(self, institution_id: int, client_id: int, **values: Any) -> None:
        self.conn.execute(
            clients.update()
            .where(clients.c.institution_id == institution_id, clients.c.id == client_id)
            .values(**values)
        )

    def credit(self, institution_id: int, client_id: int, amount_fen: int) -> None:
        self.conn.execute(
            clients.update()
            .where(clients.c.institution_id == institution_id, clients.c.id == client_id)
            .values(
                balance_fen=clients.c.balance_fen + amount_fen,
                topup_total_fen=clients.c.topup_total_fen + amount_fen,
            )
        )

    # -- ledger -------------------------------------------------------------------------------------
    def add_ledger(self, institution_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(INSERT_LEDGER, {**values, "institution_id": institution_id})

    def ledger_of(
        self, institution_id: int, client_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        query = ledger.select().where(ledger.c.institution_id == institution_id, ledger.c.client_id == client_id)
        if start is not None:
            query = query.where(ledger.c.at >= start)
        if end is not None:
            query = query.where(ledger.c.at < end)
        return [row_dict(r) for r in self.conn.execute(query.order_by(ledger.c.at, ledger.c.id))]


def _pg_charge_params(
    line: Mapping[str, Any], *, topup_total_fen: int, windows: tuple[datetime, datetime], limits: tuple[int, int]
) -> dict[str, Any]:
    """PG_CHARGE_AND_RECORD's parameters for one answered query ``line`` and its charge's terms."""
    return {
        "inst": line["institution_id"],
        "cid": line["client_id"],
        "price": line["price_fen"],
        "topup": topup_total_fen,
        "second": windows[0],
        "day": windows[1],
        "per_second": limits[0],
        "per_day": limits[1],
        "auth_ref": line["authorisation_ref"],
        "ref": line["ref"],
        "idem": line["idempotency_key"],
        "at": line["at"],
        "borrower": line["borrower_ref"],
        "purpose": line["purpose"],
        "channel": line["channel"],
        "product": line["product"],
        "tier": line["tier"],
        "response": json.dumps(line["response"]),
        "abort": CHARGED_NOT_RECORDED,
    }
