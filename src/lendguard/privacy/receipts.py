"""Consent receipts: a signed JSON document the borrower keeps (ISO/IEC TS 27560-style fields).

The receipt is ``{"payload": {...}, "alg": "Ed25519", "public_key": hex, "signature": hex}``; the
signature covers the canonical JSON of ``payload`` (sorted keys, no spaces, UTF-8). Anyone can check
it with the institution's public key from ``GET /v1/privacy/public-key`` and :func:`verify_receipt`.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lendguard.platform.audit import public_key_hex


def canonical(payload: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of a receipt payload."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_receipt(key: Ed25519PrivateKey, payload: dict[str, Any]) -> dict[str, Any]:
    """Wrap ``payload`` in a signed receipt."""
    return {
        "payload": payload,
        "alg": "Ed25519",
        "public_key": public_key_hex(key),
        "signature": key.sign(canonical(payload)).hex(),
    }


def verify_receipt(receipt: dict[str, Any], public_key: str) -> bool:
    """True when ``receipt`` was signed by the holder of ``public_key`` (hex) and is unaltered.

    The key named inside the receipt is ignored: trust comes from the key the verifier obtained
    independently (the institution's published key).
    """
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(str(receipt["signature"])), canonical(receipt["payload"]))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True
