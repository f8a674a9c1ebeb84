"""Case use cases of collections: cases, assignment, events, consents, promises, plans, policy choice.

Every method takes the acting :class:`Principal`, checks its role and scopes every read and write to
``principal.institution_id``; a case of another institution is :class:`NotFound`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lendguard.collections.checks import InputError, make_pack
from lendguard.collections.policy.packs import Pack
from lendguard.collections.policy.screening import TextScreener
from lendguard.collections.store import CollectionsRepository
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.platform.model import Conflict, Principal, Role, require

DEFAULT_PACK = "cn"
WORKERS = (Role.COLLECTOR, Role.SUPERVISOR)
READERS = (Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE)
EVENT_FLAGS: dict[str, tuple[str, Any]] = {
    "dispute": ("disputed", True),
    "dispute_resolved": ("disputed", False),
    "cease_request": ("cease_requested", True),
    "attorney": ("attorney_represented", True),
    "employer_prohibits": ("employer_prohibits_contact", True),
    "unreachable": ("reachable", False),
    "reachable": ("reachable", True),
    "time_barred": ("time_barred", True),
}
PROMISE_STATUSES = ("pending", "kept", "broken", "rescheduled")


class ContactBlocked(Conflict):
    """The policy blocks the attempt; ``decision`` holds the engine's answer (HTTP 409)."""

    def __init__(self, decision: dict[str, Any]) -> None:
        reasons = "; ".join(f"{v['rule']}: {v['message']}" for v in decision["violations"] if v["severity"] == "block")
        super().__init__(f"contact blocked by policy: {reasons}")
        self.decision = decision


def utc(value: datetime) -> datetime:
    """``value`` in UTC (naive values, as SQLite returns them, are UTC); every stored instant is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


class CaseUseCases:
    """Cases of each institution and what is recorded on them (the contact use cases extend this)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        audit: AuditLog,
        screener: TextScreener | None,
        designated: Callable[[Principal, str, str], list[Any]],
        number_ref: Callable[[str | None], str | None] = lambda n: n,
    ) -> None:
        self.engine, self.clock, self.audit, self.screener = engine, clock, audit, screener
        self._designated = designated
        self.number_ref = number_ref  # numbers are stored and compared only as keyed pseudonyms

    # policy -------------------------------------------------------------------------------------
    def pack_for(self, conn: Connection, institution_id: int) -> Pack:
        """The institution's pack with its tightenings (``cn`` when none was chosen)."""
        row = CollectionsRepository(conn).policy(institution_id)
        return make_pack(DEFAULT_PACK) if row is None else make_pack(row["pack"], row["overrides"])

    def policy(self, principal: Principal) -> dict[str, Any]:
        """The pack in force and its rules."""
        require(principal, *READERS)
        with reading(self.engine) as conn:
            row = CollectionsRepository(conn).policy(principal.institution_id)
            pack = self.pack_for(conn, principal.institution_id)
        return {"pack": pack.name, "overrides": row["overrides"] if row else {}, "rules": pack.describe()}

    def set_policy(
        self, principal: Principal, pack: str, overrides: Mapping[str, Mapping[str, object]]
    ) -> dict[str, Any]:
        """Choose the pack and tighten it; a loosening raises ``InputError`` (HTTP 422)."""
        require(principal, Role.COMPLIANCE)
        make_pack(pack, overrides)
        now = self.clock.now()
        with self.engine.begin() as conn:
            CollectionsRepository(conn).set_policy(principal.institution_id, pack, overrides, now)
            self._audit(
                conn, principal, "collections.policy_set", None, "policy", pack, {"overrides": dict(overrides)}, now
            )
        return self.policy(principal)

    # cases --------------------------------------------------------------------------------------
    def import_cases(self, conn: Connection, institution_id: int, rows: list[dict[str, Any]]) -> int:
        """Bulk insert cases inside the caller's transaction (world loader)."""
        return CollectionsRepository(conn).add_cases(institution_id, rows)

    def import_attempts(self, conn: Connection, institution_id: int, rows: list[dict[str, Any]]) -> int:
        """Bulk insert historical attempts inside the caller's transaction (world loader)."""
        return CollectionsRepository(conn).add_attempts(institution_id, rows)

    def open_case(self, principal: Principal, values: Mapping[str, Any]) -> dict[str, Any]:
        """Open a case for one overdue debt."""
        require(principal, Role.SUPERVISOR)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            if repo.case_by_ref(principal.institution_id, values["ref"]) is not None:
                raise Conflict(f"a case for {values['ref']} exists")
            row = {"flags": {}, "status": "open", "opened_at": now, "updated_at": now, **values}
            try:
                repo.add_cases(principal.institution_id, [row])
            except IntegrityError:  # opened concurrently (PostgreSQL): the unique (institution, ref) decides
                raise Conflict(f"a case for {values['ref']} exists") from None
            case = repo.case_by_ref(principal.institution_id, values["ref"])
            assert case is not None
            self._audit(conn, principal, "collections.case_opened", case["borrower_ref"], "case", case["ref"], {}, now)
        return case

    def cases(
        self, principal: Principal, *, mine: bool = False, limit: int = 200, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Open cases of the institution (``mine``: assigned to the principal)."""
        require(principal, *READERS)
        with reading(self.engine) as conn:
            return CollectionsRepository(conn).list_cases(
                principal.institution_id, collector=principal.username if mine else None, limit=limit, offset=offset
            )

    def case(self, principal: Principal, case_id: int) -> dict[str, Any]:
        """One case with its promises, plans and events."""
        require(principal, *READERS)
        with reading(self.engine) as conn:
            repo = CollectionsRepository(conn)
            case = repo.case(principal.institution_id, case_id)
            inst = principal.institution_id
            case["promises"] = repo.promises_of(inst, case["ref"])
            case["plans"] = repo.plans_of(inst, case["ref"])
            case["events"] = repo.events_of(inst, case["ref"])
            return case

    def assign(
        self, principal: Principal, case_id: int, *, collector: str | None, agency_id: str | None
    ) -> dict[str, Any]:
        """Assign a case to a collector and/or an outsourced agency (whose attempts count against our caps)."""
        require(principal, Role.SUPERVISOR)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            case = repo.case(principal.institution_id, case_id)
            repo.update_case(
                principal.institution_id, case_id, {"collector": collector, "agency_id": agency_id, "updated_at": now}
            )
            detail = {"collector": collector, "agency_id": agency_id}
            self._audit(
                conn, principal, "collections.case_assigned", case["borrower_ref"], "case", case["ref"], detail, now
            )
        return self.case(principal, case_id)

    def record_event(self, principal: Principal, case_id: int, kind: str, detail: Mapping[str, Any]) -> dict[str, Any]:
        """Record a dispute, cease request, attorney, reachability, opt-out or inconvenient time on a case."""
        require(principal, *WORKERS)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            borrower_ref = repo.case(principal.institution_id, case_id)["borrower_ref"]
            # Read-modify-write of the flags under the debtor's lock: two events at once cannot lose one
            # (a cease request overwritten by an opt-out), and attempts on the debtor are decided either
            # before the event or after it, never on half of it.
            locked = repo.lock_borrower(principal.institution_id, borrower_ref)
            case = next(c for c in locked if c["id"] == case_id)
            flags = dict(case["flags"])
            if kind in EVENT_FLAGS:
                name, value = EVENT_FLAGS[kind]
                flags[name] = value
            elif kind == "opt_out":
                flags["opted_out_channels"] = sorted({*flags.get("opted_out_channels", []), str(detail["channel"])})
            elif kind == "inconvenient_time":
                flags["inconvenient_windows"] = [*flags.get("inconvenient_windows", []), dict(detail)]
            else:
                raise InputError(f"unknown event kind {kind!r}")
            repo.update_case(principal.institution_id, case_id, {"flags": flags, "updated_at": now})
            repo.add_event(
                principal.institution_id,
                {"case_ref": case["ref"], "kind": kind, "detail": dict(detail), "actor": _actor(principal), "at": now},
            )
            self._audit(
                conn, principal, f"collections.{kind}", case["borrower_ref"], "case", case["ref"], dict(detail), now
            )
        return self.case(principal, case_id)

    def add_consent(
        self,
        principal: Principal,
        case_id: int,
        person_id: str,
        channel: str,
        starts_at: datetime,
        ends_at: datetime | None,
    ) -> None:
        """Record a person's direct consent to be contacted through a channel (an agreed time)."""
        require(principal, *WORKERS)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            case = repo.case(principal.institution_id, case_id)
            row = {
                "borrower_ref": case["borrower_ref"],
                "person_id": person_id,
                "channel": channel,
                "starts_at": utc(starts_at),
                "ends_at": None if ends_at is None else utc(ends_at),
            }
            repo.add_consent(principal.institution_id, row)
            self._audit(
                conn,
                principal,
                "collections.contact_consent",
                case["borrower_ref"],
                "case",
                case["ref"],
                {"person_id": person_id, "channel": channel},
                now,
            )

    # promises and plans ---------------------------------------------------------------------------
    def add_promise(self, principal: Principal, case_id: int, amount: Decimal, due_date: date) -> dict[str, Any]:
        """A promise to pay on a case."""
        require(principal, *WORKERS)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            case = repo.case(principal.institution_id, case_id)
            pid = repo.add_promise(
                principal.institution_id,
                {
                    "case_ref": case["ref"],
                    "amount": amount,
                    "due_date": due_date,
                    "status": "pending",
                    "created_at": now,
                },
            )
            self._audit(
                conn,
                principal,
                "collections.promise",
                case["borrower_ref"],
                "promise",
                str(pid),
                {"amount": str(amount), "due": str(due_date)},
                now,
            )
            return repo.promise(principal.institution_id, pid)

    def settle_promise(
        self, principal: Principal, promise_id: int, status: str, new_due_date: date | None = None
    ) -> dict[str, Any]:
        """Mark a promise kept or broken, or reschedule it (a new pending promise replaces it)."""
        require(principal, *WORKERS)
        if status not in PROMISE_STATUSES[1:]:
            raise InputError(f"status must be one of {', '.join(PROMISE_STATUSES[1:])}")
        if status == "rescheduled" and new_due_date is None:
            raise InputError("a rescheduled promise needs new_due_date")
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            old = repo.promise(principal.institution_id, promise_id)
            repo.set_promise_status(principal.institution_id, promise_id, status)
            result = repo.promise(principal.institution_id, promise_id)
            if status == "rescheduled":
                row = {
                    "case_ref": old["case_ref"],
                    "amount": old["amount"],
                    "due_date": new_due_date,
                    "status": "pending",
                    "replaces_id": promise_id,
                    "created_at": now,
                }
                result = repo.promise(principal.institution_id, repo.add_promise(principal.institution_id, row))
            self._audit(conn, principal, f"collections.promise_{status}", None, "promise", str(promise_id), {}, now)
            return result

    def add_plan(self, principal: Principal, case_id: int, instalments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A payment plan (a list of ``{due_date, amount}``) on a case."""
        require(principal, *WORKERS)
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = CollectionsRepository(conn)
            case = repo.case(principal.institution_id, case_id)
            rows = [{"due_date": str(i["due_date"]), "amount": str(i["amount"])} for i in instalments]
            repo.add_plan(principal.institution_id, {"case_ref": case["ref"], "instalments": rows, "created_at": now})
            self._audit(
                conn,
                principal,
                "collections.plan",
                case["borrower_ref"],
                "case",
                case["ref"],
                {"instalments": len(rows)},
                now,
            )
            return repo.plans_of(principal.institution_id, case["ref"])

    def designated_contacts(self, principal: Principal, case_id: int) -> list[Any]:
        """People the borrower named with consent, through the privacy capability (never an address book)."""
        require(principal, *WORKERS)
        with reading(self.engine) as conn:
            case = CollectionsRepository(conn).case(principal.institution_id, case_id)
        return self._designated(principal, case["borrower_ref"], "collection")

    def _audit(
        self,
        conn: Connection,
        principal: Principal,
        action: str,
        subject: str | None,
        otype: str,
        oid: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> None:
        self.audit.append(
            conn,
            principal.institution_id,
            AuditEvent(_actor(principal), action, subject, otype, oid, "collection", detail),
            now,
        )

    # the policy in front of contacts ------------------------------------------------------------------
