"""Field encryption, key wrapping and the keyed lookup index.

- Each subject has a random 256-bit data key; every personal field is sealed with AES-GCM under it,
  with the institution, subject and field name as associated data (a ciphertext cannot be moved to
  another row or field without failing to open).
- The data key is stored only wrapped (AES-GCM) by a key-encryption key stretched from
  ``settings.security.master_key`` with HKDF-SHA256. Each wrapped key records the id of the KEK that
  wrapped it, so ``lendguard keys rotate`` knows which rows still use the old master key.
- Exact-match lookups use HMAC-SHA256 under a key stretched from ``settings.security.index_key`` over
  a normalised value; the index reveals equality only to holders of the index key.
- Destroying a subject's wrapped data key (crypto-shredding) makes its ciphertexts unreadable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext did not open (wrong key, tampered data, or a shredded subject)."""


def stretch(secret: str, purpose: str) -> bytes:
    """A 256-bit key derived from a configured secret for one purpose (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lendguard/v1", info=purpose.encode()).derive(
        secret.encode("utf-8")
    )


class KeyRing:
    """The master key-encryption key (and, during rotation, the previous one) plus the index key."""

    def __init__(self, master_key: str, index_key: str, old_master_key: str | None = None) -> None:
        self._kek = stretch(master_key, "kek")
        self.kek_id = hashlib.sha256(stretch(master_key, "kek-id")).hexdigest()[:16]
        self._old: tuple[str, bytes] | None = None
        if old_master_key is not None:
            self._old = (
                hashlib.sha256(stretch(old_master_key, "kek-id")).hexdigest()[:16],
                stretch(old_master_key, "kek"),
            )
        self._index = stretch(index_key, "index")

    @property
    def old_kek_id(self) -> str | None:
        """Id of the previous master key given for rotation, if any."""
        return self._old[0] if self._old else None

    def new_data_key(self) -> bytes:
        """A fresh random data key for a new subject."""
        return AESGCM.generate_key(bit_length=256)

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[bytes, str]:
        """Seal a data key under the current KEK; return the wrapped bytes and the KEK id."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self._kek).encrypt(nonce, data_key, aad), self.kek_id

    def unwrap(self, wrapped: bytes, kek_id: str, aad: bytes) -> bytes:
        """Open a wrapped data key with the KEK it names (current or, during rotation, the old one)."""
        if kek_id == self.kek_id:
            kek = self._kek
        elif self._old is not None and kek_id == self._old[0]:
            kek = self._old[1]
        else:
            raise DecryptionError(f"data key wrapped by unknown master key {kek_id}; pass the old key to rotate")
        try:
            return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except Exception as exc:  # InvalidTag
            raise DecryptionError("wrapped data key does not open") from exc

    def index(self, field: str, value: str) -> str:
        """Keyed HMAC of a normalised value, for exact-match lookups without decryption."""
        message = f"{field}\x1f{normalise(field, value)}".encode()
        return hmac.new(self._index, message, hashlib.sha256).hexdigest()


def normalise(field: str, value: str) -> str:
    """Canonical form for matching: phones keep digits only (dropping +86), others are trimmed, lower-cased."""
    value = value.strip()
    if field in ("mobile", "phone"):
        digits = re.sub(r"\D", "", value)
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    if field in ("id_number", "bank_card"):
        return re.sub(r"\s", "", value).upper()
    return value.lower()


def seal(data_key: bytes, plaintext: str, aad: bytes) -> bytes:
    """Encrypt one field value (nonce || ciphertext+tag)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), aad)


def open_sealed(data_key: bytes, sealed: bytes, aad: bytes) -> str:
    """Decrypt one field value sealed by :func:`seal`."""
    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad).decode("utf-8")
    except Exception as exc:
        raise DecryptionError("field does not open") from exc


def field_aad(institution_id: int, subject_ref: str, field: str) -> bytes:
    """Associated data binding a ciphertext to its row and field."""
    return f"{institution_id}\x1f{subject_ref}\x1f{field}".encode()


def key_aad(institution_id: int, subject_ref: str) -> bytes:
    """Associated data binding a wrapped data key to its subject."""
    return f"dek\x1f{institution_id}\x1f{subject_ref}".encode()
