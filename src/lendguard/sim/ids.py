"""Resident ID numbers (GB 11643-1999) and bank card numbers (Luhn), vectorised, with validators.

An ID number is ``RRRRRR YYYYMMDD SSS C``: the six-digit division code of the place of issue, the
date of birth, a sequence number whose last digit is odd for men and even for women, and a check
character over the first 17 digits (ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, ``10`` written ``X``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import writer

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"

# Issuer identification numbers of large Chinese banks' debit cards (UnionPay 62 range), with lengths.
CARD_BINS: tuple[tuple[int, int], ...] = (
    (622202, 19),  # ICBC
    (621700, 19),  # CCB
    (622848, 19),  # ABC
    (621661, 19),  # BOC
    (622588, 16),  # CMB
    (622262, 19),  # BOCOM
    (621799, 19),  # PSBC
)


def id_numbers(region: np.ndarray, birth_days: np.ndarray, sequence: np.ndarray) -> pa.Array:
    """18-character ID numbers from division codes, birth dates (days since 1970) and sequence numbers."""
    year, month, day = writer.civil_parts(birth_days)
    n = len(region)
    body = np.empty((n, 17), dtype=np.int64)
    for k, (values, width) in enumerate(((region, 6), (year, 4), (month, 2), (day, 2), (sequence, 3))):
        start = (0, 6, 10, 12, 14)[k]
        rest = np.asarray(values, dtype=np.int64)
        for j in range(width - 1, -1, -1):
            rest, body[:, start + j] = np.divmod(rest, 10)
    check = (body * ID_WEIGHTS).sum(axis=1) % 11
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = body.astype(np.uint8) + 48
    out[:, 17] = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[check]
    return writer.matrix_strings(out)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(d) * int(w) for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def valid_id_number(value: str) -> bool:
    """True when ``value`` has 17 digits, a valid check character and a real calendar birth date."""
    import datetime as _dt

    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return False
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_char(value[:17]) == value[17]


def card_numbers(rng: np.random.Generator, n: int) -> pa.Array:
    """Luhn-valid debit card numbers under real bank BINs (16 or 19 digits)."""
    bank = rng.integers(0, len(CARD_BINS), n)
    width = 19
    body = np.zeros((n, width), dtype=np.int64)
    bins = np.array([b for b, _ in CARD_BINS], dtype=np.int64)[bank]
    lengths = np.array([length for _, length in CARD_BINS], dtype=np.int64)[bank]
    rest = bins.copy()
    for j in range(5, -1, -1):
        rest, body[:, j] = np.divmod(rest, 10)
    body[:, 6:] = rng.integers(0, 10, (n, width - 6))
    # The check digit sits at position length-1; digits at and after it are computed or dropped.
    pos = np.arange(width)[None, :]
    body[pos >= lengths[:, None] - 1] = 0
    # Luhn: from the check digit leftwards, double every second digit.
    dist = (lengths[:, None] - 1) - pos
    doubled = np.where((dist > 0) & (dist % 2 == 1), body * 2, body)
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = np.where(pos < lengths[:, None] - 1, doubled, 0).sum(axis=1)
    check = (10 - total % 10) % 10
    body[np.arange(n), lengths - 1] = check
    out = (body + 48).astype(np.uint8)
    full = writer.matrix_strings(out)
    short = writer.matrix_strings(np.ascontiguousarray(out[:, :16]))
    return writer.where(lengths == 16, short, full)


def luhn_valid(value: str) -> bool:
    """True when ``value`` is all digits and passes the Luhn check."""
    if not value.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(value)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
