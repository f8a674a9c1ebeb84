"""Password hashing and API keys (standard library only; pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

API_KEY_PREFIX = "lg_"
_SCRYPT_R, _SCRYPT_P = 8, 1
DEFAULT_COST = 14  # log2 of scrypt's N


def hash_password(password: str, cost: int = DEFAULT_COST, salt: bytes | None = None) -> str:
    """scrypt hash in the form ``scrypt$cost$salt$hash`` (base64); ``cost`` is log2 of N."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**cost, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${cost}$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` string."""
    try:
        scheme, cost_text, salt_b64, digest_b64 = stored.split("$")
        cost = int(cost_text)
    except ValueError:
        return False
    if scheme != "scrypt" or not 1 <= cost <= 20:
        return False
    salt = base64.b64decode(salt_b64)
    expected = base64.b64decode(digest_b64)
    actual = hashlib.scrypt(password.encode(), salt=salt, n=2**cost, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return hmac.compare_digest(actual, expected)


def new_api_key() -> tuple[str, str, str]:
    """Return ``(full_key, prefix, sha256_hex)``; only the prefix and the hash are ever stored.

    The key has 256 random bits, so a plain SHA-256 is enough (no stretching needed).
    """
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    full = f"{API_KEY_PREFIX}{prefix}_{secret}"
    return full, prefix, hash_api_key(full)


def hash_api_key(full_key: str) -> str:
    """SHA-256 hex of an API key."""
    return hashlib.sha256(full_key.encode()).hexdigest()


def split_api_key(full_key: str) -> str | None:
    """The lookup prefix of a well-formed key, else None."""
    if not full_key.startswith(API_KEY_PREFIX):
        return None
    body = full_key[len(API_KEY_PREFIX) :]
    prefix, sep, _ = body.partition("_")
    return prefix if sep and len(prefix) == 12 else None
