"""Phone numbers and addresses are stored in collections only as keyed pseudonyms (HMAC-SHA256).

The policy needs equality of numbers (attempts to the same number), never the number itself, which the
privacy capability holds. The key is derived from ``settings.security.index_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import re


class NumberPseudonymiser:
    """Maps a number or address to a stable, keyed reference such as ``n:3f2a...``."""

    def __init__(self, index_key: str) -> None:
        self._key = hashlib.sha256(b"lendguard.collections.numbers\x00" + index_key.encode()).digest()

    def __call__(self, value: str | None) -> str | None:
        """The reference of ``value`` (digits only for phone numbers); ``None`` stays ``None``."""
        if value is None or value == "":
            return None
        if value.startswith("n:"):
            return value  # already a reference
        digits = re.sub(r"\D", "", value)
        canonical = digits if len(digits) >= 5 else value.strip().lower()
        return "n:" + hmac.new(self._key, canonical.encode(), hashlib.sha256).hexdigest()[:24]
