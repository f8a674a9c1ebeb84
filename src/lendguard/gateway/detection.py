"""Running the abuse and resale detection job over a bureau's own query log and storing its alerts."""

from __future__ import annotations

from typing import Any

from lendguard.gateway import abuse
from lendguard.gateway.abuse_model import Alert, Thresholds, evaluate, flagged
from lendguard.gateway.accounts import aware
from lendguard.gateway.statements import Statements
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.db import reading
from lendguard.platform.model import Principal, Role


class Detection(Statements):
    """Abuse detection for the bureau's compliance officers and analysts."""

    timezone: str = "Asia/Shanghai"

    def run_detection(self, principal: Principal, thresholds: Thresholds | None = None) -> list[dict[str, Any]]:
        """Measure every client of the principal's bureau, replace its alerts and return them.

        Each alert names its rule, a score and the evidence (counts and shares) that triggered it;
        ``flagged`` marks clients whose alerts together reach the flag score.
        """
        self._require_bureau(principal, Role.COMPLIANCE, Role.ANALYST)
        bureau = principal.institution_id
        with reading(self.engine) as conn:
            repo = GatewayRepository(conn)
            clients = repo.clients(bureau)
            ref_of = {int(c["id"]): str(c["ref"]) for c in clients}
            log = repo.query_log(bureau)
            apps = repo.applications_of(bureau)
        queries = [
            {
                "query_id": q["ref"],
                "client_ref": ref_of[int(q["client_id"])],
                "borrower_ref": q["borrower_ref"],
                "at": aware(q["at"]),
                "purpose": q["purpose"],
                "channel": q["channel"],
                "authorisation_ref": q["authorisation_ref"],
            }
            for q in log
        ]
        applications = [
            {"client_ref": ref_of[int(a["client_id"])], "borrower_ref": a["borrower_ref"], "at": aware(a["at"])}
            for a in apps
        ]
        contracts = {str(c["ref"]): (c["purposes"].split(";"), c["channels"].split(";")) for c in clients}
        stats = abuse.run(
            abuse.query_table(queries, self.timezone),
            abuse.application_table(applications),
            abuse.contract_table(contracts),
        )
        alerts = evaluate(stats, thresholds)
        suspects = flagged(alerts, thresholds)
        id_of = {ref: cid for cid, ref in ref_of.items()}
        now = self.clock.now()
        with self.engine.begin() as conn:
            GatewayRepository(conn).replace_alerts(
                bureau,
                [
                    {
                        "client_id": id_of[a.client_ref],
                        "rule": a.rule,
                        "score": a.score,
                        "evidence": {**a.evidence, "flagged": a.client_ref in suspects},
                        "created_at": now,
                    }
                    for a in alerts
                ],
            )
            self._audit(
                conn,
                principal,
                "gateway.detection.run",
                now,
                object_type="gateway_alerts",
                detail={"alerts": len(alerts), "flagged": sorted(suspects)},
            )
        return [_out(a, id_of[a.client_ref], a.client_ref in suspects) for a in alerts]

    def alerts(self, principal: Principal) -> list[dict[str, Any]]:
        """The alerts of the last detection run of the principal's bureau."""
        self._require_bureau(principal, Role.COMPLIANCE, Role.ANALYST)
        with reading(self.engine) as conn:
            repo = GatewayRepository(conn)
            ref_of = {int(c["id"]): str(c["ref"]) for c in repo.clients(principal.institution_id)}
            rows = repo.alerts(principal.institution_id)
        return [
            {
                "client_id": r["client_id"],
                "client_ref": ref_of[int(r["client_id"])],
                "rule": r["rule"],
                "score": r["score"],
                "flagged": bool(r["evidence"].get("flagged")),
                "evidence": {k: v for k, v in r["evidence"].items() if k != "flagged"},
                "created_at": aware(r["created_at"]),
            }
            for r in rows
        ]


def _out(alert: Alert, client_id: int, is_flagged: bool) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_ref": alert.client_ref,
        "rule": alert.rule,
        "score": alert.score,
        "flagged": is_flagged,
        "evidence": alert.evidence,
    }
