"""Pure encoding of authorisation tokens: ``base64url(payload) "." base64url(signature)``.

The payload is canonical JSON of the :class:`Claims`, so the bytes the bureau signed are exactly the
bytes the gateway verifies. Signing itself (Ed25519) lives in ``gateway.signing``; this module only
turns claims into bytes and back and never reads the clock.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from lendguard.gateway.model import Claims, Product, Purpose

TOKEN_VERSION = 1


class MalformedToken(ValueError):
    """The token is not ``payload.signature`` with a well-formed payload."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken("token is not base64url") from exc


def payload_bytes(claims: Claims) -> bytes:
    """Canonical JSON bytes of the claims (sorted keys, UTC epoch seconds for the expiry)."""
    body = {
        "v": TOKEN_VERSION,
        "jti": claims.authorisation_id,
        "iss": claims.bureau,
        "cli": claims.client_ref,
        "sub": claims.borrower_ref,
        "pur": claims.purpose.value,
        "prd": claims.product.value,
        "exp": int(claims.expires_at.timestamp()),
        "max": claims.max_uses,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def assemble(payload: bytes, signature: bytes) -> str:
    """The token text from signed payload bytes and their signature."""
    return f"{_b64(payload)}.{_b64(signature)}"


def split(token: str) -> tuple[bytes, bytes]:
    """``(payload, signature)`` of a token; raises :class:`MalformedToken`."""
    parts = token.strip().split(".")
    if len(parts) != 2 or not all(parts):
        raise MalformedToken("token must be payload.signature")
    return _unb64(parts[0]), _unb64(parts[1])


def parse_claims(payload: bytes) -> Claims:
    """Claims from payload bytes; raises :class:`MalformedToken` on any missing or bad field."""
    try:
        body = json.loads(payload.decode("utf-8"))
        if body.get("v") != TOKEN_VERSION:
            raise MalformedToken(f"unsupported token version {body.get('v')!r}")
        max_uses = int(body["max"])
        if max_uses < 1:
            raise MalformedToken("max uses must be at least 1")
        return Claims(
            authorisation_id=str(body["jti"]),
            bureau=str(body["iss"]),
            client_ref=str(body["cli"]),
            borrower_ref=str(body["sub"]),
            purpose=Purpose(body["pur"]),
            product=Product(body["prd"]),
            expires_at=datetime.fromtimestamp(int(body["exp"]), UTC),
            max_uses=max_uses,
        )
    except MalformedToken:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedToken(f"bad token payload: {exc}") from exc
