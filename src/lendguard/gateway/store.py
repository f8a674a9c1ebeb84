"""The gateway's repository: one object over a connection for every gateway table of one bureau.

Clients, balances and the ledger are in ``client_store``, authorisations, the query log and the audit
outbox in ``query_store``; the bureau's data (credit records, applications, alerts) here. The tables
are in ``tables``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.gateway.client_store import ClientStore
from lendguard.gateway.query_store import QueryStore
from lendguard.gateway.tables import alerts, applications, credit_records, row_dict
from lendguard.platform.driver_statement import DriverStatement

_P = sa.bindparam
# Read on every answered query (the score's input): compiled once, run on the driver connection.
CREDIT_HISTORY = DriverStatement(
    credit_records.select().where(
        credit_records.c.institution_id == _P("inst"), credit_records.c.borrower_ref == _P("borrower")
    )
)


class GatewayRepository(ClientStore, QueryStore):
    """Reads and writes of one bureau's gateway tables; every statement filters on institution_id."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- bureau data, applications, alerts ----------------------------------------------------------
    def add_credit_records(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(credit_records.insert(), batch)
        return len(batch)

    def credit_history(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        return CREDIT_HISTORY.rows(self.conn, {"inst": institution_id, "borrower": borrower_ref})

    def add_applications(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(applications.insert(), batch)
        return len(batch)

    def applications_of(self, institution_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(applications.select().where(applications.c.institution_id == institution_id))
        return [row_dict(r) for r in rows]

    def replace_alerts(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        self.conn.execute(alerts.delete().where(alerts.c.institution_id == institution_id))
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(alerts.insert(), batch)
        return len(batch)

    def alerts(self, institution_id: int, client_id: int | None = None) -> list[dict[str, Any]]:
        query = alerts.select().where(alerts.c.institution_id == institution_id)
        if client_id is not None:
            query = query.where(alerts.c.client_id == client_id)
        return [row_dict(r) for r in self.conn.execute(query.order_by(alerts.c.score.desc(), alerts.c.id))]
