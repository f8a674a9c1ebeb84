"""Writing personal data: sealing fields, bulk import, correction and erasure (crypto-shredding).

Every write appends an audit event naming the subject by its pseudonymous ref and the fields written
(never their values), in the same transaction as the write.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.erasure import BANK_CARD, EMAIL, ID_NUMBER, PERSON_NAME, PHONE, ErasureSubject
from lendguard.platform.model import Conflict, Principal, Role, require
from lendguard.privacy.crypto import KeyRing, field_aad, key_aad, open_sealed, seal
from lendguard.privacy.model import FIELDS
from lendguard.privacy.store import ConsentRepository, PersonalDataRepository

INDEXED = frozenset({"mobile", "email", "id_number", "bank_card"})
# Fields handed to other capabilities' erasers as the subject's identifiers and name (platform.erasure
# kinds). Designated contacts' phones are not the subject's own (and may be a ring agent's number): not handed.
IDENTIFIER_KINDS = {
    "mobile": PHONE,
    "email": EMAIL,
    "id_number": ID_NUMBER,
    "bank_card": BANK_CARD,
    "name": PERSON_NAME,
}


class PersonalDataWrites:
    """Mixed into :class:`~lendguard.privacy.service.PrivacyService`."""

    engine: Engine
    clock: Clock
    audit: AuditLog
    keys: KeyRing

    def seal_subject(
        self, institution_id: int, subject_ref: str, values: Mapping[str, str], now: datetime
    ) -> tuple[dict[str, Any], list[dict[str, Any]], bytes]:
        """Rows for a new subject: its wrapped data key and one sealed row per non-empty field."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown personal fields {unknown}; known: {sorted(FIELDS)}")
        data_key = self.keys.new_data_key()
        wrapped, kek_id = self.keys.wrap(data_key, key_aad(institution_id, subject_ref))
        subject = {
            "institution_id": institution_id,
            "subject_ref": subject_ref,
            "wrapped_key": wrapped,
            "kek_id": kek_id,
            "created_at": now,
            "erased_at": None,
        }
        rows = [self._field_row(institution_id, subject_ref, data_key, f, v, now) for f, v in values.items() if v]
        return subject, rows, data_key

    def _field_row(self, inst: int, ref: str, data_key: bytes, field: str, value: str, now: datetime) -> dict[str, Any]:
        return {
            "institution_id": inst,
            "subject_ref": ref,
            "field": field,
            "sealed": seal(data_key, value, field_aad(inst, ref, field)),
            "lookup": self.keys.index(field, value) if field in INDEXED else None,
            "updated_at": now,
        }

    def seal_contact(self, inst: int, subject_ref: str, data_key: bytes, contact: Mapping[str, Any]) -> dict[str, Any]:
        """A designated-contact row sealed under the borrower's data key."""
        aad = field_aad(inst, subject_ref, f"contact:{contact['contact_ref']}")
        return {
            "institution_id": inst,
            "subject_ref": subject_ref,
            "contact_ref": contact["contact_ref"],
            "name_sealed": seal(data_key, contact["name"], aad + b"name"),
            "phone_sealed": seal(data_key, contact["phone"], aad + b"phone"),
            "phone_lookup": self.keys.index("mobile", contact["phone"]),
            "relation": contact["relation"],
            "consented_at": contact["consented_at"],
            "withdrawn_at": None,
        }

    def import_batch(
        self,
        conn: Connection,
        institution_id: int,
        subjects: Sequence[tuple[str, Mapping[str, str], Sequence[Mapping[str, Any]]]],
        consents: Sequence[dict[str, Any]],
        actor: str,
        now: datetime,
    ) -> int:
        """Store many subjects (ref, fields, designated contacts) and consent rows in the caller's
        transaction, with one batched audit append; return the number of subjects written."""
        subject_rows, field_rows, contact_rows, events = [], [], [], []
        for ref, values, contacts in subjects:
            subject, rows, key = self.seal_subject(institution_id, ref, values, now)
            subject_rows.append(subject)
            field_rows += rows
            contact_rows += [self.seal_contact(institution_id, ref, key, c) for c in contacts]
            events.append(
                AuditEvent(
                    actor,
                    "personal_data.write",
                    ref,
                    "subject",
                    ref,
                    None,
                    {"fields": sorted(r["field"] for r in rows), "contacts": len(contacts), "source": "import"},
                )
            )
        events += [
            AuditEvent(
                actor,
                "consent.recorded",
                c["subject_ref"],
                "consent",
                c["consent_ref"],
                None,
                {"purposes": c["purposes"], "source": "import"},
            )
            for c in consents
        ]
        repo = PersonalDataRepository(conn)
        repo.add_subjects(subject_rows)
        repo.add_fields(field_rows)
        repo.add_contacts(contact_rows)
        ConsentRepository(conn).add(consents)
        self.audit.append_many(conn, institution_id, events, now)
        return len(subject_rows)

    def register_subject(
        self,
        principal: Principal,
        subject_ref: str,
        values: Mapping[str, str],
        contacts: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Store a new subject's personal fields (onboarding staff or compliance). Audited."""
        require(principal, Role.COMPLIANCE, Role.SUPERVISOR)
        now = self.clock.now()
        with self.engine.begin() as conn:
            if PersonalDataRepository(conn).subject(principal.institution_id, subject_ref) is not None:
                raise Conflict(f"subject {subject_ref} exists")
            self.import_batch(
                conn, principal.institution_id, [(subject_ref, values, contacts)], [], f"user:{principal.username}", now
            )

    def correct_fields(
        self,
        conn: Connection,
        institution_id: int,
        subject_ref: str,
        values: Mapping[str, str],
        actor: str,
        now: datetime,
    ) -> None:
        """Re-seal corrected fields (PIPL art. 46) in the caller's transaction. Audited (names only)."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown personal fields {unknown}")
        repo = PersonalDataRepository(conn)
        subject = repo.require_subject(institution_id, subject_ref)
        if subject["wrapped_key"] is None:
            raise Conflict(f"subject {subject_ref} was erased")
        key = self.keys.unwrap(bytes(subject["wrapped_key"]), subject["kek_id"], key_aad(institution_id, subject_ref))
        for field, value in values.items():
            row = self._field_row(institution_id, subject_ref, key, field, value, now)
            repo.upsert_field(institution_id, subject_ref, field, row["sealed"], row["lookup"], now)
        self.audit.append(
            conn,
            institution_id,
            AuditEvent(
                actor, "personal_data.corrected", subject_ref, "subject", subject_ref, None, {"fields": sorted(values)}
            ),
            now,
        )

    def erase_subjects(
        self, conn: Connection, institution_id: int, subject_refs: Sequence[str], actor: str, now: datetime
    ) -> tuple[list[ErasureSubject], list[AuditEvent]]:
        """Crypto-shred subjects: destroy their data keys, drop ciphertexts and lookups (PIPL art. 47).

        The subjects' rows are locked first, in ref order (the erasure port's lock order). Returns, per
        subject in the order given, the identifiers just shredded (for the erasers, in memory only) and
        the audit entries to append once the erasers ran; the entries name subjects by ref only, and the
        audit log keeps them.
        """
        repo = PersonalDataRepository(conn)
        rows = repo.lock_subjects(institution_id, subject_refs)
        subjects = []
        for ref in subject_refs:
            subjects.append(ErasureSubject(ref, self._identifiers(conn, institution_id, rows[ref])))
            repo.shred(institution_id, ref, now)
        events = [AuditEvent(actor, "personal_data.erased", ref, "subject", ref) for ref in subject_refs]
        return subjects, events

    def _identifiers(self, conn: Connection, inst: int, subject: Mapping[str, Any]) -> dict[str, frozenset[str]]:
        """The subject's registered identifiers by erasure kind (none once erased)."""
        if subject["wrapped_key"] is None:
            return {}
        ref = str(subject["subject_ref"])
        key = self.keys.unwrap(bytes(subject["wrapped_key"]), subject["kek_id"], key_aad(inst, ref))
        sealed = PersonalDataRepository(conn).sealed_fields(inst, ref, IDENTIFIER_KINDS)
        return {
            IDENTIFIER_KINDS[f]: frozenset({open_sealed(key, value, field_aad(inst, ref, f))})
            for f, value in sealed.items()
        }

    def erased(self, conn: Connection, institution_id: int, subject_refs: Collection[str]) -> set[str]:
        """Those of ``subject_refs`` erased in the institution: the platform's erasure ledger, asked by
        capabilities that store new copies of subjects' data (intel's detection runs)."""
        return PersonalDataRepository(conn).erased_among(institution_id, subject_refs)
