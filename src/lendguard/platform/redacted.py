"""A wrapper for secrets and personal data that never prints its content."""

from __future__ import annotations

from typing import TypeVar

from pydantic import Secret

T = TypeVar("T")

REDACTED_TEXT = "<redacted>"


class Redacted(Secret[T]):
    """Holds a value that must not leak into logs, reprs, tracebacks or JSON by accident.

    ``str()``, ``repr()``, ``format()`` and pydantic's JSON dumps all give ``<redacted>``; call
    :meth:`reveal` where the value is really needed (hashing a key, writing a ciphertext). Built on
    pydantic's ``Secret`` so settings and API models validate it from plain values.
    """

    def reveal(self) -> T:
        """Return the wrapped value. Every call site is a place where the secret is used on purpose."""
        return self.get_secret_value()

    def _display(self) -> str:
        return REDACTED_TEXT

    def __repr__(self) -> str:
        return REDACTED_TEXT

    def __format__(self, spec: str) -> str:
        return REDACTED_TEXT
