"""Pure detectors of personal data put into a message (category ``privacy_exposure``).

Spreading the debtor's private information is one of the "8 red lines" (CN-CBA26-04) and is barred
by CN-NFRA-SLC25-01 (4) and PIPL art. 25 (CN-PIPL-25): a collection message must never carry an
identity-card number, a full bank-card number or a home address. Numbers are validated (ID check
digit and birth date, Luhn for cards) so that contract numbers and amounts do not trip the rule;
masked numbers ("尾号1234", "ending 1234") are lawful and pass.
"""

from __future__ import annotations

import re
from datetime import date

from lendguard.collections.screening.model import Category, Finding

# Full-width digits and X fold to ASCII one for one, so offsets stay those of the original text.
# A list indexed by code point, not a dict: with a dict ``str.translate`` raises and clears a
# KeyError for every character it leaves alone, which made this one call cost more than the rest of
# a clean message's screening. Code points past the list are left alone too (rarely: an IndexError).
_DIGIT_FOLD_MAP = {0xFF10 + i: str(i) for i in range(10)} | {0xFF38: "X", 0xFF58: "x", 0x3000: " "}
_DIGIT_FOLD = [_DIGIT_FOLD_MAP.get(code, chr(code)) for code in range(0x10000)]
_FOLDABLE = re.compile("[\uff10-\uff19\uff38\uff58\u3000]")  # text without these folds to itself
_ID_CANDIDATE = re.compile(r"(?<![0-9])[1-9](?:[ -]?[0-9]){16}[ -]?[0-9Xx](?![0-9A-Za-z])")
_CARD_CANDIDATE = re.compile(r"(?<![0-9])[3-6](?:[ -]?[0-9]){14,18}(?![0-9])")
_SSN = re.compile(r"(?<![0-9])[0-8][0-9]{2}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![0-9])")
_ZH_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|弄|胡同|小区|花园|村)[0-9一二三四五六七八九十]{1,5}(?:号|栋|幢)"
    r"(?:[0-9一二三四五六七八九十]{1,4}(?:号楼|栋|幢|单元|层|楼|室|号))*"
)
# The part of an address every match holds: scanned first, because the full pattern backtracks over
# up to 12 characters at every Chinese character ("账号", "身份证号" are common and end in 号).
_ZH_ADDRESS_CORE = re.compile(r"(?:路|街|大道|巷|弄|胡同|小区|花园|村)[0-9一二三四五六七八九十]{1,5}(?:号|栋|幢)")
_ZH_UNIT = re.compile(r"(?:单元|室|号楼|栋|幢)")
_EN_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z])[0-9]{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way)\b"
    r"(?:,?\s*(?:Apt|Apartment|Unit|#)\s*[0-9A-Za-z]+)?",
)
_HOME_CUES = (
    "你家",
    "您家",
    "家住",
    "住在",
    "住址",
    "地址是",
    "家庭地址",
    "your home",
    "you live",
    "your address",
    "lives at",
)
_WIDE_DIGIT = re.compile("[0-9\uff10-\uff19]")  # ASCII and full-width digits
# What the English address pattern needs (a digit, white space, a capital) read before folding.
_EN_ADDRESS_HINT = re.compile(r"[0-9\uff10-\uff19]\s+[A-Z\uff38]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def cn_id_valid(digits: str) -> bool:
    """True for an 18-character PRC resident ID with a valid ISO 7064 MOD 11-2 check and birth date."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != digits[17].upper():
        return False
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2030


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by payment-card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _finding(text: str, start: int, end: int, rule: str) -> Finding:
    return Finding(Category.PRIVACY_EXPOSURE.value, start, end, text[start:end], rule)


def may_find(text: str, digit_count: int, *, en_address: bool, marks: bool) -> bool:
    """Whether any detector can fire on ``text``: it needs 15 digits (ID, card), 9 digits and a dash
    (SSN), an address end mark 号/栋/幢 (``marks``, Chinese address) or a digit, white space and a
    capital (``en_address``, English address)."""
    return digit_count >= 15 or (digit_count >= 9 and "-" in text) or marks or en_address


def detect(
    text: str,
    view: str | None = None,
    origin: list[int] | None = None,
    *,
    digit_count: int | None = None,
    en_address: bool | None = None,
) -> list[Finding]:
    """Identity numbers, card numbers, SSNs and home addresses in ``text`` (original offsets).

    ``view``/``origin`` are the compact view and its offset map (see ``normalise``): numbers and
    Chinese addresses are looked for there, so digits split by spaces, dots or emoji are still read
    as one number. Without a view the original text is used. ``digit_count`` (ASCII and full-width
    digits in ``text``) and ``en_address`` (``text`` holds a digit, white space and a capital, the
    start of an English address) may be passed by a caller that knows them already (the batch
    normaliser counts them for many messages at once); otherwise they are computed here.
    """
    found: list[Finding] = []
    if digit_count is None:
        digit_count = len(_WIDE_DIGIT.findall(text))  # the digits of the folded text
    # Most messages carry an amount or a date and nothing else: without 15 digits (ID, card), 9 and a
    # dash (SSN), an address end mark (Chinese address) or a digit, space and capital (English
    # address) no detector below can fire, so skip the folding.
    if en_address is None:
        en_address = _EN_ADDRESS_HINT.search(text) is not None
    marks = any(c in (text if view is None else view) for c in "号栋幢")
    if not may_find(text, digit_count, en_address=en_address, marks=marks):
        return found
    ssn = digit_count >= 9 and "-" in text
    folded = text.translate(_DIGIT_FOLD) if _FOLDABLE.search(text) else text
    if view is None or origin is None:
        view, origin = folded, list(range(len(text)))

    def back(start: int, end: int, rule: str) -> Finding:
        first, last = origin[start], origin[end - 1] + 1
        return _finding(text, first, last, rule)

    taken: list[tuple[int, int]] = []
    if digit_count >= 15:
        for m in _ID_CANDIDATE.finditer(view):
            if cn_id_valid(re.sub(r"[ -]", "", m.group())):
                found.append(back(m.start(), m.end(), "privacy.cn_id_number"))
                taken.append((m.start(), m.end()))
        for m in _CARD_CANDIDATE.finditer(view):
            if any(s <= m.start() < e for s, e in taken):
                continue
            if luhn_valid(re.sub(r"[ -]", "", m.group())):
                found.append(back(m.start(), m.end(), "privacy.bank_card_number"))
    if ssn:
        found.extend(_finding(text, m.start(), m.end(), "privacy.us_ssn") for m in _SSN.finditer(folded))
    if digit_count or any(c in view for c in "一二三四五六七八九十"):
        # The address pattern ends in 号/栋/幢 and backtracks at every Chinese character: only run it
        # when one of those is there (most messages hold digits, amounts and dates, not addresses).
        zh_address = marks and _ZH_ADDRESS_CORE.search(view) is not None
        for m in _ZH_ADDRESS.finditer(view) if zh_address else ():
            lead = view[max(0, m.start() - 12) : m.start()].lower()
            if _ZH_UNIT.search(m.group()) or any(cue in lead for cue in _HOME_CUES):
                found.append(back(m.start(), m.end(), "privacy.zh_home_address"))
        for m in _EN_ADDRESS.finditer(folded) if en_address else ():
            lead = folded[max(0, m.start() - 20) : m.start()].lower()
            if any(cue in lead for cue in _HOME_CUES) or re.search(r"(?:Apt|Apartment|Unit|#)", m.group()):
                found.append(_finding(text, m.start(), m.end(), "privacy.en_home_address"))
    return found
