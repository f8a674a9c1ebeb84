"""The privacy capability's service: the ONE path to personal fields, and the consent ledger.

Stable interface for other capabilities (see docs/privacy.md):

- ``read(actor, subject_ref, fields, purpose)`` -> ``dict[field, value]`` or :class:`AccessDenied`
- ``lookup_subject(principal_or_institution, field, value)`` -> subject refs
- ``consent_allows(conn, institution_id, subject_ref, purpose, recipient, at)`` -> ``ConsentDecision``
- ``designated_contacts(principal, subject_ref, purpose)`` -> contacts the borrower named with consent
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.platform.audit import AuditLog, public_key_hex
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.model import NotFound, PermissionDenied, Principal, Role, require
from lendguard.platform.settings import Settings
from lendguard.privacy.crypto import KeyRing, field_aad, key_aad, open_sealed
from lendguard.privacy.model import (
    MASKED_FOR_ROLES,
    Category,
    Consent,
    ConsentDecision,
    Purpose,
    decide_access,
    decide_consent,
    mask,
)
from lendguard.privacy.receipts import sign_receipt
from lendguard.privacy.store import ConsentRepository, PersonalDataRepository, join_list, split_list
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


def consent_from_row(row: dict[str, Any]) -> Consent:
    """A ledger row as the pure :class:`Consent`."""
    return Consent(
        consent_id=row["consent_ref"],
        subject_ref=row["subject_ref"],
        purposes=split_list(row["purposes"]),
        categories=split_list(row["categories"]),
        recipients=split_list(row["recipients"]),
        method=row["method"],
        notice_version=row["notice_version"],
        given_at=_aware(row["given_at"]),
        expires_at=_aware(row["expires_at"]) if row["expires_at"] else None,
        withdrawn_at=_aware(row["withdrawn_at"]) if row["withdrawn_at"] else None,
        separate=bool(row["separate"]),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


class PrivacyService(PersonalDataWrites):
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
                    consented_at=_aware(row["consented_at"]),
                    withdrawn_at=_aware(row["withdrawn_at"]) if row["withdrawn_at"] else None,
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

    # -- the consent ledger -----------------------------------------------------------------------
    def public_key(self, institution_id: int) -> str:
        """The institution's Ed25519 public key (hex) that verifies its receipts and checkpoints."""
        return public_key_hex(self.audit.signing_key(institution_id))

    def consent_row(
        self,
        institution_id: int,
        subject_ref: str,
        *,
        purposes: Iterable[str],
        categories: Iterable[str],
        recipients: Iterable[str] = (),
        method: str,
        notice_version: str,
        given_at: datetime,
        expires_at: datetime | None = None,
        withdrawn_at: datetime | None = None,
        separate: bool = False,
        consent_ref: str | None = None,
    ) -> dict[str, Any]:
        """Validate a consent and build its ledger row with a signed receipt (no I/O)."""
        purposes, categories, recipients = sorted(set(purposes)), sorted(set(categories)), sorted(set(recipients))
        for p in purposes:
            Purpose(p)  # ValueError names the unknown purpose
        for c in categories:
            Category(c)
        if not purposes or not categories:
            raise ValueError("a consent names at least one purpose and one category")
        ref = consent_ref or f"C{uuid.uuid4().hex[:16]}"
        payload = {
            "consent_id": ref,
            "controller": institution_id,
            "subject": subject_ref,
            "purposes": purposes,
            "categories": categories,
            "recipients": recipients,
            "method": method,
            "notice_version": notice_version,
            "given_at": given_at.isoformat(),
            "expires_at": expires_at.isoformat() if expires_at else None,
            "separate": separate,
            "schema": "lendguard.consent-receipt/v1 (ISO/IEC TS 27560 fields)",
        }
        receipt = sign_receipt(self.audit.signing_key(institution_id), payload)
        return {
            "institution_id": institution_id,
            "consent_ref": ref,
            "subject_ref": subject_ref,
            "purposes": join_list(purposes),
            "categories": join_list(categories),
            "recipients": join_list(recipients),
            "method": method,
            "notice_version": notice_version,
            "given_at": given_at,
            "expires_at": expires_at,
            "withdrawn_at": withdrawn_at,
            "separate": separate,
            "receipt": json.dumps(receipt, sort_keys=True, ensure_ascii=False),
        }

    def give_consent(self, principal: Principal, subject_ref: str, **fields: Any) -> dict[str, Any]:
        """Record a consent (the borrower themself, or staff on their behalf); return the signed receipt."""
        _require_subject_or_staff(principal, subject_ref)
        now = self.clock.now()
        inst = principal.institution_id
        with self.engine.begin() as conn:
            PersonalDataRepository(conn).require_subject(inst, subject_ref)
            row = self.consent_row(inst, subject_ref, given_at=now, **fields)
            ConsentRepository(conn).add([row])
            self.audit.append(
                conn,
                inst,
                AuditEvent(
                    _actor(principal),
                    "consent.given",
                    subject_ref,
                    "consent",
                    row["consent_ref"],
                    None,
                    {"purposes": row["purposes"], "categories": row["categories"], "recipients": row["recipients"]},
                ),
                now,
            )
        receipt: dict[str, Any] = json.loads(row["receipt"])
        return receipt

    def withdraw_consent(self, principal: Principal, subject_ref: str, consent_ref: str) -> None:
        """Withdraw a consent (PIPL art. 15); the next read no longer finds it."""
        _require_subject_or_staff(principal, subject_ref)
        now = self.clock.now()
        inst = principal.institution_id
        with self.engine.begin() as conn:
            repo = ConsentRepository(conn)
            row = repo.get(inst, consent_ref)
            if row["subject_ref"] != subject_ref:
                raise NotFound(f"consent {consent_ref}")
            repo.withdraw(inst, consent_ref, now)
            self.audit.append(
                conn, inst, AuditEvent(_actor(principal), "consent.withdrawn", subject_ref, "consent", consent_ref), now
            )

    def consents(self, principal: Principal, subject_ref: str) -> list[dict[str, Any]]:
        """The subject's ledger (the borrower sees their own; compliance and staff see any)."""
        _require_subject_or_staff(principal, subject_ref)
        with self.engine.connect() as conn:
            PersonalDataRepository(conn).require_subject(principal.institution_id, subject_ref)
            rows = ConsentRepository(conn).of_subject(principal.institution_id, subject_ref)
        return [{**consent_from_row(r).__dict__, "receipt": json.loads(r["receipt"])} for r in rows]


def _require_subject_or_staff(principal: Principal, subject_ref: str) -> None:
    if Role.BORROWER in principal.roles and principal.subject_id == subject_ref:
        return
    require(principal, Role.COMPLIANCE, Role.SUPERVISOR)
