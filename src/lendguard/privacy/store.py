"""Tables and repositories of personal information. Only ``lendguard.privacy`` may import this module.

Personal identifiers exist only here, sealed field by field; the loan book knows borrowers by their
pseudonymous ``ref``. Every query filters by ``institution_id``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.platform.db import BigIntId, metadata
from lendguard.platform.driver_statement import DriverStatement
from lendguard.platform.model import NotFound
from lendguard.platform.store import UTC_TS

subjects = sa.Table(
    "privacy_subjects",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("subject_ref", sa.String(40), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=True, comment="NULL once crypto-shredded"),
    sa.Column("kek_id", sa.String(16), nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column("erased_at", UTC_TS, nullable=True),
    sa.UniqueConstraint("institution_id", "subject_ref", name="uq_privacy_subjects_ref"),
    sa.Index("ix_privacy_subjects_kek", "kek_id"),
)

fields = sa.Table(
    "privacy_fields",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("subject_ref", sa.String(40), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("sealed", sa.LargeBinary, nullable=False),
    sa.Column("lookup", sa.String(64), nullable=True, comment="keyed HMAC of the normalised value"),
    sa.Column("updated_at", UTC_TS, nullable=False),
    sa.UniqueConstraint("institution_id", "subject_ref", "field", name="uq_privacy_fields_subject_field"),
    sa.Index("ix_privacy_fields_lookup", "institution_id", "field", "lookup"),
)

contacts = sa.Table(
    "privacy_contacts",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("subject_ref", sa.String(40), nullable=False),
    sa.Column("contact_ref", sa.String(40), nullable=False),
    sa.Column("name_sealed", sa.LargeBinary, nullable=False),
    sa.Column("phone_sealed", sa.LargeBinary, nullable=False),
    sa.Column("phone_lookup", sa.String(64), nullable=False),
    sa.Column("relation", sa.String(40), nullable=False),
    sa.Column("consented_at", UTC_TS, nullable=False),
    sa.Column("withdrawn_at", UTC_TS, nullable=True),
    sa.UniqueConstraint("institution_id", "contact_ref", name="uq_privacy_contacts_ref"),
    sa.Index("ix_privacy_contacts_subject", "institution_id", "subject_ref"),
)

consents = sa.Table(
    "privacy_consents",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("consent_ref", sa.String(40), nullable=False),
    sa.Column("subject_ref", sa.String(40), nullable=False),
    sa.Column("purposes", sa.Text, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("method", sa.String(40), nullable=False),
    sa.Column("notice_version", sa.String(40), nullable=False),
    sa.Column("given_at", UTC_TS, nullable=False),
    sa.Column("expires_at", UTC_TS, nullable=True),
    sa.Column("withdrawn_at", UTC_TS, nullable=True),
    sa.Column("separate", sa.Boolean, nullable=False),
    sa.Column("receipt", sa.Text, nullable=False, comment="signed JSON receipt given to the borrower"),
    sa.UniqueConstraint("institution_id", "consent_ref", name="uq_privacy_consents_ref"),
    sa.Index("ix_privacy_consents_subject", "institution_id", "subject_ref"),
)

requests = sa.Table(
    "privacy_requests",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("subject_ref", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("filed_by", sa.String(120), nullable=False),
    sa.Column("filed_at", UTC_TS, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("hold_reason", sa.Text, nullable=True),
    sa.Column("resolved_at", UTC_TS, nullable=True),
    sa.Index("ix_privacy_requests_status", "institution_id", "status"),
)

TABLES = ("privacy_subjects", "privacy_fields", "privacy_contacts", "privacy_consents", "privacy_requests")


def bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows with one DBAPI ``executemany`` (world import of 100k subjects).

    Values go through each column type's own bind processing, done here once per value: SQLAlchemy's
    generic per-row parameter handling cost more than the encryption.
    """
    if not rows:
        return
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    procs = [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns]
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    params = [tuple(p(row[c]) if p else row[c] for c, p in zip(columns, procs, strict=True)) for row in rows]
    conn.exec_driver_sql(sql, params)


def split_list(text: str) -> frozenset[str]:
    """Stored ``;``-lists back to a set."""
    return frozenset(p for p in text.split(";") if p)


def join_list(values: Iterable[str]) -> str:
    return ";".join(sorted(set(values)))


class PersonalDataRepository:
    """Sealed fields, subjects' wrapped keys and designated contacts of one institution at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def subject(self, institution_id: int, subject_ref: str) -> dict[str, Any] | None:
        row = (
            self.conn.execute(
                sa.select(subjects).where(
                    subjects.c.institution_id == institution_id, subjects.c.subject_ref == subject_ref
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def require_subject(self, institution_id: int, subject_ref: str) -> dict[str, Any]:
        found = self.subject(institution_id, subject_ref)
        if found is None:
            raise NotFound(f"subject {subject_ref}")
        return found

    def add_subjects(self, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(self.conn, subjects, rows)

    def add_fields(self, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(self.conn, fields, rows)

    def add_contacts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(self.conn, contacts, rows)

    def sealed_fields(
        self, institution_id: int, subject_ref: str, names: Iterable[str] | None = None
    ) -> dict[str, bytes]:
        query = sa.select(fields.c.field, fields.c.sealed).where(
            fields.c.institution_id == institution_id, fields.c.subject_ref == subject_ref
        )
        if names is not None:
            query = query.where(fields.c.field.in_(list(names)))
        return {str(r.field): bytes(r.sealed) for r in self.conn.execute(query)}

    def upsert_field(
        self, institution_id: int, subject_ref: str, field: str, sealed: bytes, lookup: str | None, now: datetime
    ) -> None:
        updated = self.conn.execute(
            fields.update()
            .where(
                fields.c.institution_id == institution_id, fields.c.subject_ref == subject_ref, fields.c.field == field
            )
            .values(sealed=sealed, lookup=lookup, updated_at=now)
        )
        if updated.rowcount == 0:
            self.conn.execute(
                fields.insert().values(
                    institution_id=institution_id,
                    subject_ref=subject_ref,
                    field=field,
                    sealed=sealed,
                    lookup=lookup,
                    updated_at=now,
                )
            )

    def subjects_by_lookup(self, institution_id: int, field: str, lookup: str) -> list[str]:
        """Subjects whose ``field`` has this index value; ``contact_phone`` searches designated contacts."""
        if field == "contact_phone":
            query = sa.select(contacts.c.subject_ref).where(
                contacts.c.institution_id == institution_id, contacts.c.phone_lookup == lookup
            )
        else:
            query = sa.select(fields.c.subject_ref).where(
                fields.c.institution_id == institution_id, fields.c.field == field, fields.c.lookup == lookup
            )
        return sorted({str(r[0]) for r in self.conn.execute(query)})

    def contacts_of(self, institution_id: int, subject_ref: str) -> list[dict[str, Any]]:
        query = (
            sa.select(contacts)
            .where(contacts.c.institution_id == institution_id, contacts.c.subject_ref == subject_ref)
            .order_by(contacts.c.contact_ref)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def shred(self, institution_id: int, subject_ref: str, now: datetime) -> None:
        """Destroy the subject's data key and drop its ciphertexts and lookups (PIPL art. 47)."""
        self.conn.execute(
            subjects.update()
            .where(subjects.c.institution_id == institution_id, subjects.c.subject_ref == subject_ref)
            .values(wrapped_key=None, erased_at=now)
        )
        for table in (fields, contacts):
            self.conn.execute(
                table.delete().where(table.c.institution_id == institution_id, table.c.subject_ref == subject_ref)
            )

    def lock_subjects(self, institution_id: int, subject_refs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The subjects' rows by ref, locked ``FOR UPDATE`` in ref order (a deletion's first locks, so two
        erasures, or an erasure and a detection run's share locks, queue rather than deadlock)."""
        refs = sorted(set(subject_refs))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(refs), 1000):
            query = (
                sa.select(subjects)
                .where(
                    subjects.c.institution_id == institution_id, subjects.c.subject_ref.in_(refs[start : start + 1000])
                )
                .order_by(subjects.c.subject_ref)
                .with_for_update()
            )
            found.update((str(r["subject_ref"]), dict(r)) for r in self.conn.execute(query).mappings())
        missing = sorted(set(refs) - set(found))
        if missing:
            raise NotFound(f"subject {missing[0]}")
        return found

    def erased_among(self, institution_id: int, subject_refs: Collection[str]) -> set[str]:
        """Those of ``subject_refs`` whose data was erased (crypto-shredded) in the institution.

        The subjects' rows are share-locked (``FOR SHARE``; SQLite serialises writers anyway), so the
        answer holds until the caller commits: an erasure of one of them waits, then sees what the
        caller stored with that answer.
        """
        refs = sorted(set(subject_refs))
        found: set[str] = set()
        for start in range(0, len(refs), 1000):  # bounded IN lists (a detection run names many borrowers)
            query = (
                sa.select(subjects.c.subject_ref, subjects.c.erased_at)
                .where(
                    subjects.c.institution_id == institution_id, subjects.c.subject_ref.in_(refs[start : start + 1000])
                )
                .order_by(subjects.c.subject_ref)
                .with_for_update(read=True)
            )
            found.update(str(ref) for ref, erased_at in self.conn.execute(query) if erased_at is not None)
        return found

    def keys_wrapped_by(self, kek_id: str, limit: int) -> list[dict[str, Any]]:
        """Subjects (any institution: rotation is an operator job) whose key the given KEK wraps."""
        query = (
            sa.select(subjects.c.id, subjects.c.institution_id, subjects.c.subject_ref, subjects.c.wrapped_key)
            .where(subjects.c.kek_id == kek_id, subjects.c.wrapped_key.is_not(None))
            .order_by(subjects.c.id)
            .limit(limit)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def kek_counts(self) -> dict[str, int]:
        query = (
            sa.select(subjects.c.kek_id, sa.func.count())
            .where(subjects.c.wrapped_key.is_not(None))
            .group_by(subjects.c.kek_id)
        )
        return {str(k): int(n) for k, n in self.conn.execute(query)}

    def rewrap(self, row_id: int, old_wrapped: bytes, wrapped: bytes, kek_id: str) -> bool:
        """Compare-and-set a re-wrapped key, so a concurrent erase is never undone."""
        result = self.conn.execute(
            subjects.update()
            .where(subjects.c.id == row_id, subjects.c.wrapped_key == old_wrapped)
            .values(wrapped_key=wrapped, kek_id=kek_id)
        )
        return result.rowcount == 1


# The consent ledger of one subject, oldest first: the gateway's consent check runs it on every query,
# so it is compiled once and run on the driver connection (see DriverStatement), where through
# Connection.execute it cost about four times as much CPU.
_CONSENTS_OF_SUBJECT = DriverStatement(
    sa.select(consents)
    .where(consents.c.institution_id == sa.bindparam("inst"), consents.c.subject_ref == sa.bindparam("subject"))
    .order_by(consents.c.given_at, consents.c.id)
)


class ConsentRepository:
    """The consent ledger of one institution at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(self.conn, consents, rows)

    def of_subject(self, institution_id: int, subject_ref: str) -> list[dict[str, Any]]:
        return _CONSENTS_OF_SUBJECT.rows(self.conn, {"inst": institution_id, "subject": subject_ref})

    def get(self, institution_id: int, consent_ref: str) -> dict[str, Any]:
        row = (
            self.conn.execute(
                sa.select(consents).where(
                    consents.c.institution_id == institution_id, consents.c.consent_ref == consent_ref
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"consent {consent_ref}")
        return dict(row)

    def withdraw(self, institution_id: int, consent_ref: str, now: datetime) -> None:
        self.conn.execute(
            consents.update()
            .where(
                consents.c.institution_id == institution_id,
                consents.c.consent_ref == consent_ref,
                consents.c.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=now)
        )

    def count(self, institution_id: int) -> int:
        query = sa.select(sa.func.count()).select_from(consents).where(consents.c.institution_id == institution_id)
        return int(self.conn.execute(query).scalar_one())


class RequestRepository:
    """Data-subject requests (PIPL arts. 44-47) of one institution at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: Mapping[str, Any]) -> int:
        result = self.conn.execute(requests.insert().values(**row))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def get(self, institution_id: int, request_id: int) -> dict[str, Any]:
        row = (
            self.conn.execute(
                sa.select(requests).where(requests.c.institution_id == institution_id, requests.c.id == request_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"request {request_id}")
        return dict(row)

    def list(
        self, institution_id: int, subject_ref: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        query = sa.select(requests).where(requests.c.institution_id == institution_id).order_by(requests.c.id)
        if subject_ref is not None:
            query = query.where(requests.c.subject_ref == subject_ref)
        if status is not None:
            query = query.where(requests.c.status == status)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def resolve(
        self, institution_id: int, request_id: int, status: str, hold_reason: str | None, now: datetime | None
    ) -> None:
        self.conn.execute(
            requests.update()
            .where(requests.c.institution_id == institution_id, requests.c.id == request_id)
            .values(status=status, hold_reason=hold_reason, resolved_at=now)
        )
