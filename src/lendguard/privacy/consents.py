"""The consent ledger: recording consents with signed receipts, withdrawal, listing (PIPL arts. 14-15, 23, 29).

Mixed into :class:`~lendguard.privacy.service.PrivacyService`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from lendguard.platform.audit import AuditLog, public_key_hex
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.platform.model import NotFound, Principal, Role, require
from lendguard.privacy.model import Category, Consent, Purpose
from lendguard.privacy.receipts import sign_receipt
from lendguard.privacy.store import ConsentRepository, PersonalDataRepository, join_list, split_list


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
        given_at=as_aware(row["given_at"]),
        expires_at=as_aware(row["expires_at"]) if row["expires_at"] else None,
        withdrawn_at=as_aware(row["withdrawn_at"]) if row["withdrawn_at"] else None,
        separate=bool(row["separate"]),
    )


def as_aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; make them aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def require_subject_or_staff(principal: Principal, subject_ref: str) -> None:
    """A borrower acts on their own subject; compliance and supervisors on any subject of the tenant."""
    if Role.BORROWER in principal.roles and principal.subject_id == subject_ref:
        return
    require(principal, Role.COMPLIANCE, Role.SUPERVISOR)


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


class ConsentLedger:
    """Consent-ledger use cases; needs ``engine``, ``clock`` and ``audit`` from the service."""

    engine: Engine
    clock: Clock
    audit: AuditLog

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
        require_subject_or_staff(principal, subject_ref)
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
        require_subject_or_staff(principal, subject_ref)
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
        require_subject_or_staff(principal, subject_ref)
        with reading(self.engine) as conn:
            PersonalDataRepository(conn).require_subject(principal.institution_id, subject_ref)
            rows = ConsentRepository(conn).of_subject(principal.institution_id, subject_ref)
        return [{**consent_from_row(r).__dict__, "receipt": json.loads(r["receipt"])} for r in rows]
