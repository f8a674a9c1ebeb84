"""Client accounts and authorisations of the gateway (the bureau's side): contracts, top-ups,
suspension, and the signed authorisation tokens borrowers give to one named client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.gateway.model import (
    DEFAULT_TIERS,
    Channel,
    ClientStatus,
    Contract,
    PriceTier,
    Purpose,
    parse_tiers,
    tiers_to_json,
)
from lendguard.gateway.signing import TokenSigner
from lendguard.gateway.store import GatewayRepository
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.platform.model import Conflict, InstitutionKind, NotFound, PermissionDenied, Principal, Role, require
from lendguard.platform.service import TenancyService

BUREAU_STAFF = (Role.ADMIN, Role.COMPLIANCE, Role.ANALYST)


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; make them aware so comparisons with ``now`` work."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


def to_fen(amount: Decimal) -> int:
    """Yuan to integer fen; refuses fractions of a fen."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """Integer fen as a two-place decimal string of yuan."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def client_contract(row: dict[str, Any], defaults: tuple[int, int]) -> Contract:
    """The pure contract of a stored client row."""
    return Contract(
        client_ref=row["ref"],
        purposes=frozenset(Purpose(p) for p in row["purposes"].split(";") if p),
        channels=frozenset(Channel(c) for c in row["channels"].split(";") if c),
        tiers=parse_tiers(list(row["tiers"])),
        rate_per_second=int(row["rate_per_second"] or defaults[0]),
        rate_per_day=int(row["rate_per_day"] or defaults[1]),
        status=ClientStatus(row["status"]),
        suspend_reason=row["suspend_reason"],
    )


def public_client(row: dict[str, Any]) -> dict[str, Any]:
    """A client row as shown to users: money in yuan, no rate-window internals."""
    return {
        "id": row["id"],
        "ref": row["ref"],
        "name": row["name"],
        "lender_institution_id": row["lender_institution_id"],
        "purposes": [p for p in row["purposes"].split(";") if p],
        "channels": [c for c in row["channels"].split(";") if c],
        "tiers": list(row["tiers"]),
        "balance": fen_to_yuan(int(row["balance_fen"])),
        "topup_total": fen_to_yuan(int(row["topup_total_fen"])),
        "rate_per_second": row["rate_per_second"],
        "rate_per_day": row["rate_per_day"],
        "status": row["status"],
        "suspend_reason": row["suspend_reason"],
    }


class Accounts:
    """Clients and authorisations; the query path lives in :class:`~lendguard.gateway.service.GatewayService`."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        audit: AuditLog,
        tenancy: TenancyService,
        signer: TokenSigner,
        defaults: tuple[int, int] = (50, 100_000),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit
        self.tenancy = tenancy
        self.signer = signer
        self.defaults = defaults
        self._institutions: dict[int, dict[str, Any]] = {}
        # Lender institution -> (expiry, its client rows with their contracts): the query fast path's
        # cache, dropped on any change made through this process (others age out; the charge
        # re-checks what matters).
        self._serving: dict[int, tuple[float, list[tuple[dict[str, Any], Contract]]]] = {}

    # -- helpers ------------------------------------------------------------------------------------
    def _institution(self, institution_id: int) -> dict[str, Any]:
        if institution_id not in self._institutions:  # codes and kinds never change: cache them
            self._institutions = {int(i["id"]): i for i in self.tenancy.institutions()}
        return self._institutions[institution_id]

    def institution_id_of(self, code: str) -> int | None:
        """The id of the institution ``code`` (cached; refreshed once on a miss), or None."""
        for attempt in range(2):
            for inst_id, row in self._institutions.items():
                if row["code"] == code:
                    return inst_id
            if attempt == 0:
                self._institutions = {int(i["id"]): i for i in self.tenancy.institutions()}
        return None

    def institution_code(self, institution_id: int) -> str:
        return str(self._institution(institution_id)["code"])

    def public_key_of(self, bureau_code: str) -> str:
        """The Ed25519 public key (hex) that verifies the tokens of the bureau ``bureau_code``."""
        found = self.tenancy.institution_by_code(bureau_code)
        if found is None or found["kind"] != InstitutionKind.CREDIT_BUREAU.value:
            raise NotFound(f"bureau {bureau_code!r} not found")
        return self.signer.public_key_hex(int(found["id"]))

    def _require_bureau(self, principal: Principal, *roles: Role) -> None:
        require(principal, *roles)
        if self._institution(principal.institution_id)["kind"] != InstitutionKind.CREDIT_BUREAU.value:
            raise PermissionDenied("only a credit bureau operates the gateway")

    def _audit(self, conn: Connection, principal: Principal, action: str, now: datetime, **kw: Any) -> None:
        self.audit.append(
            conn, principal.institution_id, AuditEvent(actor=principal.username, action=action, **kw), now
        )

    def bureau_staff(self, principal: Principal) -> bool:
        """Is the principal staff of a credit bureau? Call it before opening a connection: on SQLite a
        cache miss inside a transaction would open a second connection that waits on the first."""
        kind = self._institution(principal.institution_id)["kind"]
        return principal.has(*BUREAU_STAFF) and kind == InstitutionKind.CREDIT_BUREAU.value

    def visible_client(self, conn: Connection, principal: Principal, client_id: int, staff: bool) -> dict[str, Any]:
        """A client row the principal may see: its bureau's staff, or the lender it serves (its gateway
        client user, or its compliance officer reviewing usage and charges); else NotFound."""
        repo = GatewayRepository(conn)
        if staff:
            return repo.client(principal.institution_id, client_id)
        if principal.has(Role.GATEWAY_CLIENT, Role.COMPLIANCE):
            for row in repo.clients_serving(principal.institution_id):
                if int(row["id"]) == client_id:
                    return row
            raise NotFound(f"gateway client {client_id} not found")
        raise PermissionDenied("requires a bureau staff role, or gateway_client or compliance at the lender")

    # -- clients ------------------------------------------------------------------------------------
    def create_client(
        self,
        principal: Principal,
        *,
        ref: str,
        name: str,
        lender_code: str | None,
        purposes: list[Purpose],
        channels: list[Channel],
        tiers: tuple[PriceTier, ...] = DEFAULT_TIERS,
        prepaid: Decimal = Decimal(0),
        rate_per_second: int | None = None,
        rate_per_day: int | None = None,
    ) -> dict[str, Any]:
        """Register a lender as a client of the principal's bureau, with its contract and opening balance."""
        self._require_bureau(principal, Role.ADMIN)
        lender_id = None
        if lender_code:
            lender = self.tenancy.institution_by_code(lender_code)
            if lender is None:
                raise NotFound(f"institution {lender_code!r} not found")
            lender_id = int(lender["id"])
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = GatewayRepository(conn)
            if repo.client_by_ref(principal.institution_id, ref) is not None:
                raise Conflict(f"client {ref!r} exists")
            fen = to_fen(prepaid)
            client_id = repo.add_client(
                principal.institution_id,
                {
                    "ref": ref,
                    "name": name,
                    "lender_institution_id": lender_id,
                    "purposes": ";".join(sorted(p.value for p in purposes)),
                    "channels": ";".join(sorted(c.value for c in channels)),
                    "tiers": tiers_to_json(tiers),
                    "balance_fen": fen,
                    "topup_total_fen": fen,
                    "rate_per_second": rate_per_second or self.defaults[0],
                    "rate_per_day": rate_per_day or self.defaults[1],
                    "status": ClientStatus.ACTIVE.value,
                    "created_at": now,
                },
            )
            if fen:
                repo.add_ledger(
                    principal.institution_id,
                    {"client_id": client_id, "at": now, "kind": "topup", "amount_fen": fen, "balance_after_fen": fen},
                )
            self._audit(
                conn,
                principal,
                "gateway.client.create",
                now,
                object_type="gateway_client",
                object_id=str(client_id),
                detail={"ref": ref, "lender": lender_code},
            )
            row = repo.client(principal.institution_id, client_id)
        self._serving.clear()
        return public_client(row)

    def clients(self, principal: Principal) -> list[dict[str, Any]]:
        """The bureau's clients (bureau staff) or the client records serving the lender (its gateway_client
        or compliance users)."""
        staff = self.bureau_staff(principal)
        with reading(self.engine) as conn:
            repo = GatewayRepository(conn)
            if staff:
                return [public_client(r) for r in repo.clients(principal.institution_id)]
            require(principal, Role.GATEWAY_CLIENT, Role.COMPLIANCE)
            return [public_client(r) for r in repo.clients_serving(principal.institution_id)]

    def client(self, principal: Principal, client_id: int) -> dict[str, Any]:
        staff = self.bureau_staff(principal)
        with reading(self.engine) as conn:
            return public_client(self.visible_client(conn, principal, client_id, staff))

    def topup(self, principal: Principal, client_id: int, amount: Decimal) -> dict[str, Any]:
        """Add prepaid money; cumulative top-ups select the price tier."""
        self._require_bureau(principal, Role.ADMIN)
        fen = to_fen(amount)
        if fen <= 0:
            raise ValueError("a top-up must be positive")
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = GatewayRepository(conn)
            repo.client(principal.institution_id, client_id, lock=True)
            repo.credit(principal.institution_id, client_id, fen)
            row = repo.client(principal.institution_id, client_id)
            repo.add_ledger(
                principal.institution_id,
                {
                    "client_id": client_id,
                    "at": now,
                    "kind": "topup",
                    "amount_fen": fen,
                    "balance_after_fen": int(row["balance_fen"]),
                },
            )
            self._audit(
                conn,
                principal,
                "gateway.client.topup",
                now,
                object_type="gateway_client",
                object_id=str(client_id),
                detail={"amount": fen_to_yuan(fen)},
            )
        self._serving.clear()
        return public_client(row)

    def set_suspended(self, principal: Principal, client_id: int, suspended: bool, reason: str = "") -> dict[str, Any]:
        """Suspend a client (its queries are refused with the reason) or reinstate it. Compliance only."""
        self._require_bureau(principal, Role.COMPLIANCE)
        if suspended and not reason.strip():
            raise ValueError("a suspension needs a reason")
        now = self.clock.now()
        with self.engine.begin() as conn:
            repo = GatewayRepository(conn)
            repo.client(principal.institution_id, client_id, lock=True)
            status = ClientStatus.SUSPENDED if suspended else ClientStatus.ACTIVE
            repo.update_client(
                principal.institution_id,
                client_id,
                status=status.value,
                suspend_reason=reason.strip() if suspended else None,
            )
            self._audit(
                conn,
                principal,
                "gateway.client.suspend" if suspended else "gateway.client.reinstate",
                now,
                object_type="gateway_client",
                object_id=str(client_id),
                detail={"reason": reason},
            )
            row = repo.client(principal.institution_id, client_id)
        self._serving.clear()
        return public_client(row)
