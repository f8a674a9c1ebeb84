"""The collections service: case use cases plus the contact policy in front of every attempt, the queue.

Every method takes the acting :class:`Principal`, checks its role and scopes every read and write to
``principal.institution_id``; a case of another institution is :class:`NotFound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.collections.cases import READERS, WORKERS, CaseUseCases, ContactBlocked, _actor, utc
from lendguard.collections.checks import InputError, check_all, make_pack
from lendguard.collections.policy.engine import decide
from lendguard.collections.policy.packs import Pack
from lendguard.collections.policy.parse import ScenarioError
from lendguard.collections.scenarios import contact_json, parse, scenario_json
from lendguard.collections.store import BorrowerFacts, CollectionsRepository
from lendguard.platform.db import reading
from lendguard.platform.model import Principal, Role, require

__all__ = ["CollectionsService", "ContactBlocked"]

QUEUE_CHANNELS = ("call", "sms")


class CollectionsService(CaseUseCases):
    """Collections of each institution, with the contact policy in front of every attempt."""

    def decide_on_case(
        self,
        conn: Connection,
        institution_id: int,
        case: Mapping[str, Any],
        spec: Mapping[str, Any],
        at: datetime,
        pack: Pack | None = None,
        facts: BorrowerFacts | None = None,
    ) -> dict[str, Any]:
        """The engine's decision for a planned contact on ``case`` against everything stored about the borrower.

        ``facts`` are the borrower's stored cases, attempts and consents when the caller has read them
        already (under the borrower's lock, or for a whole queue page at once); otherwise they are read here.
        """
        if facts is None:
            facts = CollectionsRepository(conn).facts_of_borrower(institution_id, case["borrower_ref"])
        return self._decide(case, spec, at, pack or self.pack_for(conn, institution_id), facts)

    def _decide(
        self, case: Mapping[str, Any], spec: Mapping[str, Any], at: datetime, pack: Pack, facts: BorrowerFacts
    ) -> dict[str, Any]:
        raw = scenario_json(
            scenario_id=str(case["ref"]),
            at=at,
            contact=contact_json(spec, case),
            case=case,
            borrower_cases=facts.cases,
            history=facts.attempts,
            consents=facts.consents,
        )
        try:
            scenario = parse(raw)
        except ScenarioError as exc:
            raise InputError(f"field {exc.field}: {exc.message}") from None
        return decide(scenario, pack, self.screener).as_dict()

    def check(
        self, principal: Principal, case_id: int, spec: Mapping[str, Any], at: datetime | None = None
    ) -> dict[str, Any]:
        """Decide a planned contact on a case now (or at ``at``) without recording anything."""
        require(principal, *READERS)
        spec = {**spec, "number": self.number_ref(spec.get("number"))}
        with reading(self.engine) as conn:
            case = CollectionsRepository(conn).case(principal.institution_id, case_id)
            return self.decide_on_case(conn, principal.institution_id, case, spec, at or self.clock.now())

    def check_scenarios(self, principal: Principal, data: Any, pack: str | None = None) -> list[dict[str, object]]:
        """The ``policy check`` contract over HTTP: decide raw scenarios with a pack (default: the institution's)."""
        require(principal, *READERS)
        with reading(self.engine) as conn:
            chosen = make_pack(pack) if pack else self.pack_for(conn, principal.institution_id)
        return check_all(data, chosen, self.screener, "body")

    def record_attempt(self, principal: Principal, case_id: int, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Record a contact attempt; one the policy blocks is refused (:class:`ContactBlocked`) and audited.

        The decision is taken at the attempt's time (``spec["at"]``, default now) against the stored history,
        in the transaction that writes the attempt or the refusal and its audit entry, under a lock on the
        borrower's cases (:meth:`CollectionsRepository.lock_borrower`): concurrent attempts on one debtor are
        decided one after another, so together they never exceed a cap; other debtors do not wait.
        """
        require(principal, *WORKERS)
        spec = {**spec, "number": self.number_ref(spec.get("number"))}
        blocked_decision: dict[str, Any] | None = None
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            inst = principal.institution_id
            borrower_ref = repo.case(inst, case_id)["borrower_ref"]
            # Serialise per debtor: a concurrent attempt on any of the borrower's cases waits here until we
            # commit, then reads a history with ours in it. The rows are re-read under the lock (fresh flags).
            borrower_cases = repo.lock_borrower(inst, borrower_ref)
            case = next(c for c in borrower_cases if c["id"] == case_id)
            facts = BorrowerFacts(
                borrower_cases, repo.attempts_of_borrower(inst, borrower_ref), repo.consents_of(inst, borrower_ref)
            )
            # "Now" is read under the lock, so attempts recorded one after another get non-decreasing times.
            now = self.clock.now()
            given = spec.get("at") or now
            at = utc(given)
            when = given if given.tzinfo is not None else at  # decide in the caller's offset, store UTC
            decision = self._decide(case, spec, when, self.pack_for(conn, inst), facts)
            contact = contact_json(spec, case)
            if decision["decision"] == "block":
                nxt = decision["next_allowed_at"]
                repo.add_blocked(
                    inst,
                    {
                        "case_ref": case["ref"],
                        "borrower_ref": case["borrower_ref"],
                        "actor": _actor(principal),
                        "channel": contact["channel"],
                        "person_id": contact["person_id"],
                        "role": contact["role"],
                        "at": at,
                        "violations": decision["violations"],
                        "next_allowed_at": None if nxt is None else utc(datetime.fromisoformat(nxt)),
                        "recorded_at": now,
                    },
                )
                detail = {"rules": [v["rule"] for v in decision["violations"]], "channel": contact["channel"]}
                self._audit(
                    conn,
                    principal,
                    "collections.attempt_blocked",
                    case["borrower_ref"],
                    "case",
                    case["ref"],
                    detail,
                    now,
                )
                blocked_decision = decision
            else:
                row = {
                    "ref": spec.get("ref"),
                    "borrower_ref": case["borrower_ref"],
                    "debt_refs": ";".join(contact["debt_ids"]),
                    "agency_id": spec.get("agency_id") or case["agency_id"],
                    "collector": principal.username,
                    "channel": contact["channel"],
                    "person_id": contact["person_id"],
                    "role": contact["role"],
                    "number": contact["number"],
                    "at": at,
                    "outcome": spec["outcome"],
                    "initiated_by": spec.get("initiated_by") or "collector",
                    "purpose": contact["purpose"],
                    "duration_s": spec.get("duration_s"),
                    "recording_ref": spec.get("recording_ref"),
                    "decision": decision["decision"],
                }
                repo.add_attempts(inst, [row])
                detail = {"channel": contact["channel"], "outcome": spec["outcome"], "decision": decision["decision"]}
                self._audit(
                    conn, principal, "collections.attempt", case["borrower_ref"], "case", case["ref"], detail, now
                )
        if blocked_decision is not None:
            raise ContactBlocked(blocked_decision)
        return decision

    def work_queue(self, principal: Principal, limit: int = 100) -> list[dict[str, Any]]:
        """Open cases (a collector's own; a supervisor's whole team), each with the next allowed call and SMS.

        A case is *due* when a call to the debtor is allowed now; due cases come first, then by days past due.
        The page's cases, the borrowers' cases, attempts and consents are read in a fixed number of queries
        (not one per case); the decisions are then taken in memory.
        """
        require(principal, *WORKERS)
        now = self.clock.now()
        mine = not principal.has(Role.SUPERVISOR)
        out = []
        # A plain read transaction: on SQLite it must not take the write lock while the queue is decided.
        with reading(self.engine) as conn:
            repo = CollectionsRepository(conn)
            pack = self.pack_for(conn, principal.institution_id)
            rows = repo.list_cases(
                principal.institution_id, collector=principal.username if mine else None, limit=limit
            )
            facts = repo.facts_of_borrowers(principal.institution_id, (c["borrower_ref"] for c in rows))
        for case in rows:
            nxt = {
                ch: self._decide(
                    case, {"channel": ch, "includes_opt_out": True}, now, pack, facts[case["borrower_ref"]]
                )
                for ch in QUEUE_CHANNELS
            }
            due = nxt["call"]["decision"] != "block"
            out.append({**case, "due": due, "next": nxt})
        out.sort(key=lambda c: (not c["due"], -int(c["days_past_due"])))
        return out

    def blocked_attempts(self, principal: Principal, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
        """Attempts the policy refused, newest first, with their reasons (supervisors and compliance)."""
        require(principal, Role.SUPERVISOR, Role.COMPLIANCE)
        with reading(self.engine) as conn:
            return CollectionsRepository(conn).list_blocked(principal.institution_id, limit=limit, offset=offset)
