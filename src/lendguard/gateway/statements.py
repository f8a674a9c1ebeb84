"""Statements of a client: usage, charges by tier, balance history and refused queries by reason.

Both the bureau's staff and the lender the client serves may read them; anyone else gets not found.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from lendguard.gateway.accounts import aware, fen_to_yuan
from lendguard.gateway.authorisations import Authorisations
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.db import reading
from lendguard.platform.model import Principal

CSV_COLUMNS = (
    "kind",
    "at",
    "query_id",
    "borrower_ref",
    "product",
    "purpose",
    "channel",
    "tier",
    "outcome",
    "reason",
    "amount",
    "balance_after",
)


class Statements(Authorisations):
    """Read side of the client ledger."""

    def statement(
        self, principal: Principal, client_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, Any]:
        """Totals for ``[start, end)``: usage per product, charges per tier, refusals per reason, balances."""
        staff = self.bureau_staff(principal)
        with reading(self.engine) as conn:
            client = self.visible_client(conn, principal, client_id, staff)
            repo = GatewayRepository(conn)
            bureau = int(client["institution_id"])
            log = repo.query_log(bureau, client_id, start, end)
            entries = repo.ledger_of(bureau, client_id, start, end)
        usage: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        tiers: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount_fen": 0})
        for q in log:
            if q["outcome"] == "answered":
                usage[q["product"]] += 1
                tiers[q["tier"]]["count"] += 1
                tiers[q["tier"]]["amount_fen"] += int(q["price_fen"])
            elif q["outcome"] == "refused":
                refused[q["reason"]] += 1
        return {
            "client": {"id": client["id"], "ref": client["ref"], "name": client["name"]},
            "start": start,
            "end": end,
            "answered": sum(usage.values()),
            "refused": sum(refused.values()),
            "usage_by_product": dict(sorted(usage.items())),
            "charges_by_tier": [
                {
                    "tier": t,
                    "count": v["count"],
                    "amount": fen_to_yuan(v["amount_fen"]),
                    "unit_price": fen_to_yuan(v["amount_fen"] // v["count"]),
                }
                for t, v in sorted(tiers.items())
            ],
            "total_charged": fen_to_yuan(sum(v["amount_fen"] for v in tiers.values())),
            "refused_by_reason": dict(sorted(refused.items())),
            "balance_history": [
                {
                    "at": aware(e["at"]),
                    "kind": e["kind"],
                    "amount": fen_to_yuan(int(e["amount_fen"])),
                    "balance_after": fen_to_yuan(int(e["balance_after_fen"])),
                    "query_id": e["query_ref"],
                }
                for e in entries
            ],
            "balance": fen_to_yuan(int(client["balance_fen"])),
        }

    def statement_csv(
        self, principal: Principal, client_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> str:
        """Every query (answered or refused) and top-up of the period, one CSV line each, in time order."""
        staff = self.bureau_staff(principal)
        with reading(self.engine) as conn:
            client = self.visible_client(conn, principal, client_id, staff)
            repo = GatewayRepository(conn)
            bureau = int(client["institution_id"])
            log = repo.query_log(bureau, client_id, start, end)
            entries = repo.ledger_of(bureau, client_id, start, end)
        balance_after = {e["query_ref"]: int(e["balance_after_fen"]) for e in entries if e["query_ref"]}
        lines: list[tuple[datetime, dict[str, Any]]] = []
        for q in log:
            at = aware(q["at"])
            assert at is not None
            after = balance_after.get(q["ref"])
            lines.append(
                (
                    at,
                    {
                        "kind": "query",
                        "at": at.isoformat(),
                        "query_id": q["ref"],
                        "borrower_ref": q["borrower_ref"],
                        "product": q["product"],
                        "purpose": q["purpose"],
                        "channel": q["channel"],
                        "tier": q["tier"] or "",
                        "outcome": q["outcome"],
                        "reason": q["reason"] or "",
                        "amount": fen_to_yuan(-int(q["price_fen"])) if q["outcome"] == "answered" else "0.00",
                        "balance_after": fen_to_yuan(after) if after is not None else "",
                    },
                )
            )
        for e in entries:
            if e["kind"] == "topup":
                at = aware(e["at"])
                assert at is not None
                lines.append(
                    (
                        at,
                        {
                            "kind": "topup",
                            "at": at.isoformat(),
                            "amount": fen_to_yuan(int(e["amount_fen"])),
                            "balance_after": fen_to_yuan(int(e["balance_after_fen"])),
                        },
                    )
                )
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        for _, line in sorted(lines, key=lambda item: (item[0], item[1]["kind"] != "topup")):
            writer.writerow(line)
        return out.getvalue()
