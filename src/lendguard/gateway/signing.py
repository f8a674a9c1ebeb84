"""Ed25519 signing of authorisation tokens with the bureau's institution key.

The key is the institution's key derived from ``settings.security.signing_seed`` by the kernel's audit
log (``AuditLog.signing_key``, the same derivation the privacy capability uses for consent receipts),
so one published public key verifies the bureau's receipts, checkpoints and tokens. Token payloads
carry their own version tag and field names, so a token can never be read as a receipt.
:func:`derived_key` is the stand-alone derivation used when the audit log offers no key.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def derived_key(seed: str, institution_id: int) -> Ed25519PrivateKey:
    """HKDF-SHA256(seed) → Ed25519 key of one institution (deterministic, nothing stored)."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"lendguard/v1", info=f"ed25519:{institution_id}".encode()
    ).derive(seed.encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(raw)


VERIFIED_CACHE_SIZE = 100_000


class TokenSigner:
    """Signs and verifies token payloads with the key of an institution (looked up by id, cached)."""

    def __init__(self, key_for: Callable[[int], Ed25519PrivateKey]) -> None:
        self._key_for = key_for
        self._keys: dict[int, Ed25519PrivateKey] = {}
        self._verified: set[tuple[int, bytes, bytes]] = set()

    def _key(self, institution_id: int) -> Ed25519PrivateKey:
        key = self._keys.get(institution_id)
        if key is None:
            key = self._keys[institution_id] = self._key_for(institution_id)
        return key

    def sign(self, institution_id: int, payload: bytes) -> bytes:
        """Ed25519 signature of ``payload`` by the institution's key."""
        return self._key(institution_id).sign(payload)

    def public_key_hex(self, institution_id: int) -> str:
        """The raw public key (hex) that verifies the institution's tokens."""
        return self._key(institution_id).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def verify(self, institution_id: int, payload: bytes, signature: bytes) -> bool:
        """True when ``signature`` is the institution's signature of ``payload``.

        Good signatures are remembered (a multi-use token comes back with every query; verifying is
        deterministic, so a remembered answer is the answer). Bad ones are checked every time.
        """
        seen = (institution_id, payload, signature)
        if seen in self._verified:
            return True
        try:
            self._key(institution_id).public_key().verify(signature, payload)
        except InvalidSignature:
            return False
        if len(self._verified) >= VERIFIED_CACHE_SIZE:  # bounded: start afresh rather than track use
            self._verified.clear()
        self._verified.add(seen)
        return True
