"""The privacy capability's service: the ONE path to personal fields, and the consent ledger.

Stable interface for other capabilities (see docs/privacy.md):

- ``read(actor, subject_ref, fields, purpose)`` -> ``dict[field, value]`` or :class:`AccessDenied`
- ``lookup_subject(principal_or_institution, field, value)`` -> subject refs
- ``consent_allows(conn, institution_id, subject_ref, purpose, recipient, at)`` -> ``ConsentDecision``
- ``designated_contacts(principal, subject_ref, purpose)`` -> contacts the borrower named with consent
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.model import PermissionDenied, Principal, Role, require
from lendguard.platform.settings import Settings
from lendguard.privacy.consents import ConsentLedger, as_aware, consent_from_row
from lendguard.privacy.crypto import KeyRing, field_aad, key_aad, open_sealed
from lendguard.privacy.model import (
    MASKED_FOR_ROLES,
    Category,
    ConsentDecision,
    Purpose,
    decide_access,
    decide_consent,
    mask,
)
from lendguard.privacy.store import ConsentRepository, PersonalDataRepository
from lendguard.privacy.writes import PersonalDataWrites

INDEXED_FIELDS = frozenset({"mobile", "email", "id_number", "bank_card"})
CONTACT_PURPOSES = frozenset({Purpose.COLLECTION.value, Purpose.LOAN_SERVICING.value})


class AccessDenied(PermissionDenied):
    """A governed read was refused; ``reason`` names the missing consent or rule (HTTP 403)."""

    def __init__(self, reason: str, rule: str | None) -> None:
        super().__init__(f"{reason} [{rule}]" if rule else reason)
        self.reason = reason
        self.rule = rule


@dataclass(frozen=True)
class DesignatedContact:
    """A person the borrower named, with consent, as a contact (never an address-book entry)."""

    contact_ref: str
    name: str
    phone: str
    relation: str
    consented_at: datetime
    withdrawn_at: datetime | None = None


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


class PrivacyService(PersonalDataWrites, ConsentLedger):
    """Consent ledger, encrypted personal data and governed access, scoped to the principal's tenant."""

    def __init__(self, engine: Engine, clock: Clock, audit: AuditLog, settings: Settings) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit
        previous = settings.security.previous_master_key
        self.keys = KeyRing(
            settings.security.master_key.reveal(),
            settings.security.index_key.reveal(),
            previous.reveal() if previous is not None else None,
        )

    # -- governed access ---------------------------------------------------------------------------
    def read(
        self,
        actor: Principal,
        subject_ref: str,
        fields: Sequence[str],
        purpose: str,
        *,
        recipient: str | None = None,
    ) -> dict[str, str]:
        """Read personal fields: role, necessity, consent+purpose checks, masking, then an audit entry.

        Raises :class:`AccessDenied` (audited too) naming the missing consent or rule, and
        :class:`NotFound` for a subject unknown in the actor's institution.
        """
        now = self.clock.now()
        inst = actor.institution_id
        with self.engine.begin() as conn:
            repo = PersonalDataRepository(conn)
            subject = repo.require_subject(inst, subject_ref)
            ledger = [consent_from_row(r) for r in ConsentRepository(conn).of_subject(inst, subject_ref)]
            decision = decide_access(
                roles=[r.value for r in actor.roles],
                purpose=purpose,
                fields=fields,
                consents=ledger,
                at=now,
                recipient=recipient,
            )
            if subject["wrapped_key"] is None and decision.allowed:
                decision = type(decision)(False, "subject was erased (crypto-shredded)", rule="PIPL art. 47")
            event = AuditEvent(
                actor=_actor(actor),
                action="personal_data.read" if decision.allowed else "personal_data.read_denied",
                subject_ref=subject_ref,
                object_type="subject",
                object_id=subject_ref,
                purpose=purpose,
                detail={
                    "fields": list(fields),
                    "masked": sorted(decision.masked),
                    "consent": decision.consent_id,
                    "reason": None if decision.allowed else decision.reason,
                    "rule": decision.rule,
                    "recipient": recipient,
                },
            )
            self.audit.append(conn, inst, event, now)
            if not decision.allowed:
                denied = AccessDenied(decision.reason, decision.rule)
            else:
                values = self._open(conn, inst, subject, fields)
                return {f: mask(f, v) if f in decision.masked else v for f, v in values.items()}
        raise denied  # raised after commit so the denial stays in the audit log

    def _open(self, conn: Connection, inst: int, subject: dict[str, Any], names: Iterable[str]) -> dict[str, str]:
        ref = subject["subject_ref"]
        data_key = self.keys.unwrap(bytes(subject["wrapped_key"]), subject["kek_id"], key_aad(inst, ref))
        sealed = PersonalDataRepository(conn).sealed_fields(inst, ref, names)
        return {f: open_sealed(data_key, sealed[f], field_aad(inst, ref, f)) for f in names if f in sealed}

    def open_contacts(self, conn: Connection, inst: int, subject: dict[str, Any]) -> list[DesignatedContact]:
        """Decrypt a subject's designated contacts (internal: callers check and audit)."""
        ref = subject["subject_ref"]
        key = self.keys.unwrap(bytes(subject["wrapped_key"]), subject["kek_id"], key_aad(inst, ref))
        out = []
        for row in PersonalDataRepository(conn).contacts_of(inst, ref):
            aad = field_aad(inst, ref, f"contact:{row['contact_ref']}")
            out.append(
                DesignatedContact(
                    contact_ref=row["contact_ref"],
                    name=open_sealed(key, bytes(row["name_sealed"]), aad + b"name"),
                    phone=open_sealed(key, bytes(row["phone_sealed"]), aad + b"phone"),
                    relation=row["relation"],
                    consented_at=as_aware(row["consented_at"]),
                    withdrawn_at=as_aware(row["withdrawn_at"]) if row["withdrawn_at"] else None,
                )
            )
        return out

    def lookup_subject(self, principal_or_institution: Principal | int, field: str, value: str) -> list[str]:
        """Subjects whose ``field`` equals ``value`` exactly (keyed HMAC index; no decryption).

        ``field`` is one of mobile, email, id_number, bank_card or ``contact_phone`` (a designated
        contact's phone). Pass a staff principal, or an institution id for system jobs. Audited.
        """
        if field not in INDEXED_FIELDS and field != "contact_phone":
            raise ValueError(f"field {field!r} has no lookup index; use one of {sorted(INDEXED_FIELDS)}")
        if isinstance(principal_or_institution, Principal):
            require(principal_or_institution, Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE, Role.ANALYST)
            inst, actor = principal_or_institution.institution_id, _actor(principal_or_institution)
        else:
            inst, actor = int(principal_or_institution), "system"
        digest = self.keys.index("mobile" if field == "contact_phone" else field, value)
        now = self.clock.now()
        with self.engine.begin() as conn:
            found = PersonalDataRepository(conn).subjects_by_lookup(inst, field, digest)
            event = AuditEvent(
                actor=actor,
                action="personal_data.lookup",
                object_type="index",
                object_id=field,
                detail={"field": field, "matches": found},
            )
            self.audit.append(conn, inst, event, now)
        return found

    def consent_allows(
        self,
        conn: Connection,
        institution_id: int,
        subject_ref: str,
        purpose: str,
        recipient: str | None,
        at: datetime,
        categories: Sequence[str] = (),
    ) -> ConsentDecision:
        """Does the ledger hold an active consent of the subject for ``purpose`` naming ``recipient``?

        Runs inside the caller's transaction and writes nothing (the caller audits its own use).
        ``categories`` optionally narrows the check to some data categories.
        """
        ledger = [consent_from_row(r) for r in ConsentRepository(conn).of_subject(institution_id, subject_ref)]
        return decide_consent(ledger, purpose=purpose, categories=categories, at=at, recipient=recipient)

    def designated_contacts(self, principal: Principal, subject_ref: str, purpose: str) -> list[DesignatedContact]:
        """Contacts the borrower named with consent (never address-book entries), for collection.

        Needs a collection role, a contact purpose and an active consent covering designated contacts
        (CN-TC260-19: contacts are entered by the borrower, the address book is never read). A
        collector sees the phone masked. Audited.
        """
        now = self.clock.now()
        inst = principal.institution_id
        with self.engine.begin() as conn:
            repo = PersonalDataRepository(conn)
            subject = repo.require_subject(inst, subject_ref)
            decision = self.consent_allows(conn, inst, subject_ref, purpose, None, now, [Category.DESIGNATED_CONTACTS])
            # Every refusal is audited and names its rule, like those of ``read``.
            if not principal.has(Role.COLLECTOR, Role.SUPERVISOR):
                decision = ConsentDecision(False, "role may not read designated contacts", rule="PIPL art. 51")
            elif purpose not in CONTACT_PURPOSES:
                decision = ConsentDecision(
                    False, f"designated contacts are not used for {purpose!r}", rule="PIPL art. 6"
                )
            elif subject["wrapped_key"] is None:
                decision = ConsentDecision(False, "subject was erased (crypto-shredded)", rule="PIPL art. 47")
            if not decision.allowed:
                reason = decision.reason
                self.audit.append(
                    conn,
                    inst,
                    AuditEvent(
                        _actor(principal),
                        "designated_contacts.read_denied",
                        subject_ref,
                        "subject",
                        subject_ref,
                        purpose,
                        {"reason": reason},
                    ),
                    now,
                )
                denied = AccessDenied(reason, decision.rule)
            else:
                masked = not principal.has(Role.SUPERVISOR) and "mobile" in MASKED_FOR_ROLES["collector"]
                out = [
                    replace(c, phone=mask("mobile", c.phone)) if masked else c
                    for c in self.open_contacts(conn, inst, subject)
                    if c.withdrawn_at is None
                ]
                self.audit.append(
                    conn,
                    inst,
                    AuditEvent(
                        _actor(principal),
                        "designated_contacts.read",
                        subject_ref,
                        "subject",
                        subject_ref,
                        purpose,
                        {"contacts": [c.contact_ref for c in out], "consent": decision.consent_id},
                    ),
                    now,
                )
                return out
        raise denied
