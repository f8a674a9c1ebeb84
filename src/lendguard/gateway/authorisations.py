"""Authorisations: a borrower authorises one named client, one purpose, one product, until an expiry,
for a number of uses; the bureau records it and returns an Ed25519-signed token. Revocation is immediate.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from lendguard.gateway import token_model
from lendguard.gateway.accounts import Accounts
from lendguard.gateway.model import Claims, Product, Purpose
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.db import reading
from lendguard.platform.model import Conflict, NotFound, PermissionDenied, Principal, Role


class Authorisations(Accounts):
    """The bureau's authorisation register and token issuer."""

    # -- authorisations -----------------------------------------------------------------------------
    def _may_act_for(self, principal: Principal, borrower_ref: str) -> None:
        if principal.has(Role.ADMIN, Role.COMPLIANCE):
            self._require_bureau(principal, Role.ADMIN, Role.COMPLIANCE)
            return
        if Role.BORROWER in principal.roles and principal.subject_id == borrower_ref:
            self._require_bureau(principal, Role.BORROWER)
            return
        raise PermissionDenied("only the borrower or the bureau's staff may manage this authorisation")

    def issue_authorisation(
        self,
        principal: Principal,
        *,
        client_ref: str,
        borrower_ref: str,
        purpose: Purpose,
        product: Product,
        expires_at: datetime,
        max_uses: int = 1,
    ) -> dict[str, Any]:
        """Record the borrower's authorisation of one client and return the Ed25519-signed token.

        Credit Reporting Regulation art. 18: the authorisation names the user (client), the purpose
        and the term; the token carries exactly those and nothing the bureau does not sign.
        """
        self._may_act_for(principal, borrower_ref)
        if max_uses < 1:
            raise ValueError("max_uses must be at least 1")
        now = self.clock.now()
        if expires_at.tzinfo is None or expires_at <= now:
            raise ValueError("expires_at must be an aware instant in the future")
        expires_at = expires_at.replace(microsecond=0)
        bureau_id = principal.institution_id
        with self.engine.begin() as conn:
            repo = GatewayRepository(conn)
            client = repo.client_by_ref(bureau_id, client_ref)
            if client is None:
                raise NotFound(f"gateway client {client_ref!r} not found")
            ref = uuid.uuid4().hex[:24]
            claims = Claims(
                ref, self.institution_code(bureau_id), client_ref, borrower_ref, purpose, product, expires_at, max_uses
            )
            payload = token_model.payload_bytes(claims)
            token = token_model.assemble(payload, self.signer.sign(bureau_id, payload))
            repo.add_authorisation(
                bureau_id,
                {
                    "ref": ref,
                    "client_id": client["id"],
                    "borrower_ref": borrower_ref,
                    "purpose": purpose.value,
                    "product": product.value,
                    "issued_at": now,
                    "expires_at": expires_at,
                    "max_uses": max_uses,
                },
            )
            self._audit(
                conn,
                principal,
                "gateway.authorisation.issue",
                now,
                subject_ref=borrower_ref,
                object_type="gateway_authorisation",
                object_id=ref,
                purpose=purpose.value,
                detail={
                    "client": client_ref,
                    "product": product.value,
                    "max_uses": max_uses,
                    "expires_at": expires_at.isoformat(),
                },
            )
        return {
            "id": ref,
            "token": token,
            "client_ref": client_ref,
            "borrower_ref": borrower_ref,
            "purpose": purpose.value,
            "product": product.value,
            "expires_at": expires_at,
            "max_uses": max_uses,
        }

    def revoke_authorisation(self, principal: Principal, ref: str) -> None:
        """Revoke at once: the next query presenting the token is refused."""
        self._institution(principal.institution_id)  # warm the cache outside the transaction (SQLite)
        with self.engine.begin() as conn:
            repo = GatewayRepository(conn)
            row = repo.authorisation(principal.institution_id, ref)
            if row is None:
                raise NotFound(f"authorisation {ref!r} not found")
            self._may_act_for(principal, row["borrower_ref"])
            now = self.clock.now()
            if not repo.revoke_authorisation(principal.institution_id, ref, now):
                raise Conflict("authorisation already revoked")
            self._audit(
                conn,
                principal,
                "gateway.authorisation.revoke",
                now,
                subject_ref=row["borrower_ref"],
                object_type="gateway_authorisation",
                object_id=ref,
                purpose=row["purpose"],
            )

    def authorisations(self, principal: Principal, borrower_ref: str) -> list[dict[str, Any]]:
        """A borrower's authorisations (to the borrower or the bureau's staff)."""
        self._may_act_for(principal, borrower_ref)
        with reading(self.engine) as conn:
            rows = GatewayRepository(conn).authorisations_of(principal.institution_id, borrower_ref)
        return [
            {
                k: r[k]
                for k in (
                    "ref",
                    "borrower_ref",
                    "purpose",
                    "product",
                    "issued_at",
                    "expires_at",
                    "max_uses",
                    "uses",
                    "revoked_at",
                )
            }
            for r in rows
        ]
