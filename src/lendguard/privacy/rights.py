"""Borrower rights (PIPL arts. 44-47): access report, export, correction, withdrawal, deletion with holds.

The borrower acts on their own data (``principal.subject_id``); compliance and supervisors may act on
any subject of their institution, and staff may file a request on the borrower's behalf (phone,
letter), which is recorded with the channel and the staff member who filed it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from lendguard.lending.service import LendingService
from lendguard.platform.db import reading
from lendguard.platform.erasure import ErasureRegistry
from lendguard.platform.model import Principal, Role, require
from lendguard.privacy.consents import consent_from_row, require_subject_or_staff
from lendguard.privacy.model import CATEGORIES, FIELDS
from lendguard.privacy.service import PrivacyService
from lendguard.privacy.store import ConsentRepository, PersonalDataRepository, RequestRepository

CHANNELS = ("self", "app", "phone", "letter", "email", "counter")
HOLD_RULE = (
    "PIPL art. 47: deletion held while loan(s) {loans} are outstanding; the data is still needed to perform "
    "the loan contract (PIPL art. 13(2)) and processing is limited to storage and security until they end"
)


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


class RightsService:
    """Data-subject requests, on top of the privacy service and the loan book."""

    def __init__(
        self, privacy: PrivacyService, lending: LendingService, erasers: ErasureRegistry | None = None
    ) -> None:
        self.privacy = privacy
        self.lending = lending
        # other capabilities' copies of a subject's data (ring evidence), erased along with the subject
        self.erasers = erasers if erasers is not None else ErasureRegistry()

    def access_report(self, principal: Principal, subject_ref: str) -> dict[str, Any]:
        """What is held (fields by category), under which consent, and who read it when (PIPL art. 45)."""
        require_subject_or_staff(principal, subject_ref)
        inst = principal.institution_id
        with self.privacy.engine.begin() as conn:
            repo = PersonalDataRepository(conn)
            subject = repo.require_subject(inst, subject_ref)
            held = sorted(repo.sealed_fields(inst, subject_ref))
            contacts = len(repo.contacts_of(inst, subject_ref))
            ledger = [consent_from_row(r) for r in ConsentRepository(conn).of_subject(inst, subject_ref)]
            log = self.privacy.audit.entries_for_subject(conn, inst, subject_ref)
            held_copies = [h.as_dict() for h in self.erasers.holds(conn, inst, subject_ref)]
            self.privacy.audit.append(
                conn, inst, _event(principal, "rights.access_report", subject_ref), self.privacy.clock.now()
            )
        now = self.privacy.clock.now()
        return {
            "subject": subject_ref,
            "erased_at": subject["erased_at"],
            "held": [
                {
                    "field": f,
                    "category_zh": CATEGORIES[FIELDS[f]].zh,
                    "category_en": CATEGORIES[FIELDS[f]].en,
                    "sensitive": CATEGORIES[FIELDS[f]].sensitive,
                    "consents": [c.consent_id for c in ledger if FIELDS[f].value in c.categories and c.active_at(now)],
                }
                for f in held
            ],
            "designated_contacts": contacts,
            # copies other capabilities derived and keep under a legal hold despite an erasure (PIPL art. 47)
            "held_copies": held_copies,
            "consents": [{**c.__dict__, "active": c.active_at(now)} for c in ledger],
            "reads": [
                {
                    "at": e["at"],
                    "actor": e["actor"],
                    "action": e["action"],
                    "purpose": e["purpose"],
                    "fields": json.loads(e["detail"]).get("fields"),
                    "seq": e["seq"],
                }
                for e in log
                if e["action"].startswith(
                    ("personal_data.", "designated_contacts.", "rights.export", "gateway.query.", "intel.evidence.")
                )
            ],
        }

    def export(self, principal: Principal, subject_ref: str) -> dict[str, Any]:
        """Machine-readable copy of everything held about the subject (PIPL art. 45). Audited."""
        require_subject_or_staff(principal, subject_ref)
        inst = principal.institution_id
        now = self.privacy.clock.now()
        with self.privacy.engine.begin() as conn:
            repo = PersonalDataRepository(conn)
            subject = repo.require_subject(inst, subject_ref)
            values: dict[str, str] = {}
            if subject["wrapped_key"] is not None:
                values = self.privacy._open(conn, inst, subject, list(FIELDS))
            contacts = []
            if subject["wrapped_key"] is not None:
                contacts = [
                    {"contact_ref": c.contact_ref, "name": c.name, "phone": c.phone, "relation": c.relation}
                    for c in self.privacy.open_contacts(conn, inst, subject)
                ]
            consents = ConsentRepository(conn).of_subject(inst, subject_ref)
            self.privacy.audit.append(
                conn, inst, _event(principal, "rights.export", subject_ref, {"fields": sorted(values)}), now
            )
        return {
            "format": "lendguard.subject-export/v1",
            "subject": subject_ref,
            "exported_at": now.isoformat(),
            "personal_data": values,
            "designated_contacts": contacts,
            "consents": [json.loads(c["receipt"]) | {"withdrawn_at": c["withdrawn_at"]} for c in consents],
        }

    def correct(self, principal: Principal, subject_ref: str, values: Mapping[str, str], channel: str = "self") -> int:
        """Correct personal fields (PIPL art. 46); recorded as an honoured request."""
        require_subject_or_staff(principal, subject_ref)
        now = self.privacy.clock.now()
        with self.privacy.engine.begin() as conn:
            self.privacy.correct_fields(conn, principal.institution_id, subject_ref, values, _actor(principal), now)
            return self._record(
                conn, principal, subject_ref, "correction", "honoured", channel, {"fields": sorted(values)}, None, now
            )

    def withdraw(self, principal: Principal, subject_ref: str, consent_ref: str, channel: str = "self") -> int:
        """Withdraw a consent (PIPL art. 15); effective on the next read. Recorded as a request."""
        self.privacy.withdraw_consent(principal, subject_ref, consent_ref)
        now = self.privacy.clock.now()
        with self.privacy.engine.begin() as conn:
            return self._record(
                conn, principal, subject_ref, "withdrawal", "honoured", channel, {"consent": consent_ref}, None, now
            )

    def request_deletion(self, principal: Principal, subject_ref: str, channel: str = "self") -> dict[str, Any]:
        """Delete (crypto-shred) the subject's data, or hold the request while a loan is outstanding."""
        require_subject_or_staff(principal, subject_ref)
        now = self.privacy.clock.now()
        inst = principal.institution_id
        with self.privacy.engine.begin() as conn:
            PersonalDataRepository(conn).require_subject(inst, subject_ref)
            loans = self.lending.outstanding_loans(conn, inst, subject_ref)
            derived: list[dict[str, Any]] = []
            if loans:
                reason = HOLD_RULE.format(loans=", ".join(sorted(r["ref"] for r in loans)))
                request_id = self._record(conn, principal, subject_ref, "deletion", "held", channel, {}, reason, None)
            else:
                [derived] = self._erase(conn, inst, [subject_ref], _actor(principal), now)
                request_id = self._record(
                    conn,
                    principal,
                    subject_ref,
                    "deletion",
                    "honoured",
                    channel,
                    {"derived_copies": derived},
                    None,
                    now,
                )
            request = RequestRepository(conn).get(inst, request_id)
            # the response names every derived copy kept under a legal hold, with its reason
            return {**request, "held_copies": [h for d in derived for h in d["held"]]}

    def _erase(
        self, conn: Connection, inst: int, subject_refs: Sequence[str], actor: str, now: datetime
    ) -> list[list[dict[str, Any]]]:
        """Crypto-shred the subjects, let each capability erase (or hold) its derived copies, then audit.

        The lock order of the erasure port: the subjects' rows (privacy, ref order), the erasers' rows,
        and the audit chain head last, so a detection run being stored (subjects share-locked, audit
        last) or an analyst's decision (ring, then audit) queues behind a deletion instead of deadlocking
        with it. Per subject, each eraser's outcome (JSON form).
        """
        subjects, events = self.privacy.erase_subjects(conn, inst, subject_refs, actor, now)
        outcomes = self.erasers.erase(conn, inst, subjects, actor, now)
        events += [e for per_subject in outcomes for o in per_subject for e in o.events]
        self.privacy.audit.append_many(conn, inst, events, now)
        return [[o.as_dict() for o in per_subject] for per_subject in outcomes]

    def release_holds(self, principal: Principal) -> list[int]:
        """Honour held deletion requests whose loans have ended (compliance, or a scheduled job).

        All of them in one erasure, so the subjects are locked together in ref order before anything is
        changed or audited (see :meth:`_erase`).
        """
        require(principal, Role.COMPLIANCE)
        inst = principal.institution_id
        now = self.privacy.clock.now()
        with self.privacy.engine.begin() as conn:
            repo = RequestRepository(conn)
            due = [
                r
                for r in repo.list(inst, status="held")
                if r["kind"] == "deletion" and not self.lending.outstanding_loans(conn, inst, r["subject_ref"])
            ]
            refs = list(dict.fromkeys(str(r["subject_ref"]) for r in due))  # one subject may have two requests
            derived = dict(zip(refs, self._erase(conn, inst, refs, _actor(principal), now), strict=True))
            for request in due:
                repo.resolve(inst, request["id"], "honoured", request["hold_reason"], now)
            self.privacy.audit.append_many(
                conn,
                inst,
                [
                    _event(
                        principal,
                        "rights.hold_released",
                        r["subject_ref"],
                        {"request": r["id"], "derived_copies": derived[str(r["subject_ref"])]},
                    )
                    for r in due
                ],
                now,
            )
        return [int(r["id"]) for r in due]

    def requests(
        self, principal: Principal, subject_ref: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Requests of the institution (compliance) or the borrower's own."""
        if Role.BORROWER in principal.roles and not principal.has(Role.COMPLIANCE):
            subject_ref = principal.subject_id or "-"
        else:
            require(principal, Role.COMPLIANCE, Role.SUPERVISOR)
        with reading(self.privacy.engine) as conn:
            return RequestRepository(conn).list(principal.institution_id, subject_ref, status)

    def _record(
        self,
        conn: Any,
        principal: Principal,
        subject_ref: str,
        kind: str,
        status: str,
        channel: str,
        detail: dict[str, Any],
        hold_reason: str | None,
        resolved_at: Any,
    ) -> int:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; one of {CHANNELS}")
        now = self.privacy.clock.now()
        on_behalf = principal.subject_id != subject_ref
        request_id = RequestRepository(conn).add(
            {
                "institution_id": principal.institution_id,
                "subject_ref": subject_ref,
                "kind": kind,
                "status": status,
                "channel": channel,
                "filed_by": principal.username,
                "filed_at": now,
                "detail": json.dumps(detail | {"on_behalf": on_behalf}),
                "hold_reason": hold_reason,
                "resolved_at": resolved_at,
            }
        )
        self.privacy.audit.append(
            conn,
            principal.institution_id,
            _event(
                principal, f"rights.{kind}", subject_ref, {"request": request_id, "status": status, "channel": channel}
            ),
            now,
        )
        return request_id


def _event(principal: Principal, action: str, subject_ref: str, detail: dict[str, Any] | None = None) -> Any:
    from lendguard.platform.audit_model import AuditEvent

    return AuditEvent(_actor(principal), action, subject_ref, "subject", subject_ref, "subject_rights", detail or {})
