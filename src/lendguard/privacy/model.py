"""Pure domain of personal-information governance: taxonomy, consent records and the access rules.

Nothing here does I/O or reads the clock; the time of a decision is always an argument. The rules
carry the article they come from (PIPL = 个人信息保护法, CAC21 = the 2021 necessary-information
catalogue for online-lending apps, see docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Category(StrEnum):
    """Categories of personal information held or collected about a borrower."""

    NAME = "name"
    ID_TYPE = "id_type"
    ID_NUMBER = "id_number"
    ID_VALIDITY = "id_validity"
    ID_PHOTO = "id_photo"
    MOBILE = "mobile"
    EMAIL = "email"
    ADDRESS = "address"
    BANK_CARD = "bank_card"
    DESIGNATED_CONTACTS = "designated_contacts"
    CREDIT_REPORT = "credit_report"
    DEVICE = "device"
    LOCATION = "location"
    CALL_RECORDS = "call_records"
    ADDRESS_BOOK = "address_book"


class Purpose(StrEnum):
    """Purposes of processing; a consent names some, a read names exactly one."""

    IDENTITY_VERIFICATION = "identity_verification"
    CREDIT_ASSESSMENT = "credit_assessment"
    LOAN_SERVICING = "loan_servicing"
    COLLECTION = "collection"
    CREDIT_REPORTING = "credit_reporting"
    MARKETING = "marketing"
    THIRD_PARTY_SHARING = "third_party_sharing"


@dataclass(frozen=True)
class CategoryInfo:
    """Names in both languages and whether the category is sensitive (PIPL art. 28)."""

    zh: str
    en: str
    sensitive: bool


CATEGORIES: dict[Category, CategoryInfo] = {
    Category.NAME: CategoryInfo("姓名", "name", False),
    Category.ID_TYPE: CategoryInfo("证件类型", "ID type", False),
    # ID numbers and financial accounts are sensitive: PIPL art. 28 names financial accounts; the
    # national standard GB/T 35273 lists ID numbers among sensitive personal information.
    Category.ID_NUMBER: CategoryInfo("证件号码", "ID number", True),
    Category.ID_VALIDITY: CategoryInfo("证件有效期", "ID validity period", False),
    Category.ID_PHOTO: CategoryInfo("证件影印件", "ID photocopy", True),
    Category.MOBILE: CategoryInfo("手机号码", "mobile number", False),
    Category.EMAIL: CategoryInfo("电子邮箱", "e-mail", False),
    Category.ADDRESS: CategoryInfo("联系地址", "address", False),
    Category.BANK_CARD: CategoryInfo("银行卡号", "bank card number", True),
    Category.DESIGNATED_CONTACTS: CategoryInfo("紧急联系人", "designated contacts", False),
    Category.CREDIT_REPORT: CategoryInfo("征信报告", "credit report", True),
    Category.DEVICE: CategoryInfo("设备信息", "device information", False),
    Category.LOCATION: CategoryInfo("位置信息", "location", True),  # whereabouts: PIPL art. 28
    Category.CALL_RECORDS: CategoryInfo("通话记录", "call records", True),
    Category.ADDRESS_BOOK: CategoryInfo("通讯录", "address book", True),
}

PURPOSES: dict[Purpose, tuple[str, str]] = {
    Purpose.IDENTITY_VERIFICATION: ("身份核验", "identity verification"),
    Purpose.CREDIT_ASSESSMENT: ("信用评估", "credit assessment"),
    Purpose.LOAN_SERVICING: ("贷款服务", "loan servicing"),
    Purpose.COLLECTION: ("催收", "collection"),
    Purpose.CREDIT_REPORTING: ("征信报送", "credit-bureau reporting"),
    Purpose.MARKETING: ("营销", "marketing"),
    Purpose.THIRD_PARTY_SHARING: ("向第三方提供", "sharing with a named third party"),
}

# Personal fields the store holds, each of one category. Designated contacts are held apart.
FIELDS: dict[str, Category] = {
    "name": Category.NAME,
    "id_type": Category.ID_TYPE,
    "id_number": Category.ID_NUMBER,
    "id_validity": Category.ID_VALIDITY,
    "mobile": Category.MOBILE,
    "email": Category.EMAIL,
    "address": Category.ADDRESS,
    "bank_card": Category.BANK_CARD,
}

# Necessity (PIPL art. 6, minimisation): the fields each purpose may ever read, whatever was
# consented to. Collection reaches a debtor by name, phone, e-mail or letter, never via the bank card.
NECESSARY_FIELDS: dict[Purpose, frozenset[str]] = {
    Purpose.IDENTITY_VERIFICATION: frozenset({"name", "id_type", "id_number", "id_validity", "mobile"}),
    Purpose.CREDIT_ASSESSMENT: frozenset({"name", "id_type", "id_number", "mobile"}),
    Purpose.LOAN_SERVICING: frozenset({"name", "mobile", "email", "address", "bank_card"}),
    Purpose.COLLECTION: frozenset({"name", "mobile", "email", "address", "id_number"}),
    Purpose.CREDIT_REPORTING: frozenset({"name", "id_type", "id_number", "mobile", "address"}),
    Purpose.MARKETING: frozenset({"name", "mobile", "email"}),
    Purpose.THIRD_PARTY_SHARING: frozenset({"name", "id_type", "id_number", "mobile"}),
}

# Which staff roles may read for which purpose (role values of lendguard.platform.model.Role).
PURPOSE_ROLES: dict[Purpose, frozenset[str]] = {
    Purpose.IDENTITY_VERIFICATION: frozenset({"compliance", "supervisor"}),
    Purpose.CREDIT_ASSESSMENT: frozenset({"analyst", "gateway_client"}),
    Purpose.LOAN_SERVICING: frozenset({"collector", "supervisor", "compliance"}),
    Purpose.COLLECTION: frozenset({"collector", "supervisor"}),
    Purpose.CREDIT_REPORTING: frozenset({"compliance", "gateway_client"}),
    Purpose.MARKETING: frozenset({"supervisor"}),
    Purpose.THIRD_PARTY_SHARING: frozenset({"compliance", "gateway_client"}),
}

# Roles that see these fields masked (PIPL art. 51: access permissions and de-identification).
# A collector works a case with a masked ID number and phone; the dialer places the call.
MASKED_FOR_ROLES: dict[str, frozenset[str]] = {
    "collector": frozenset({"id_number", "mobile", "bank_card"}),
    "analyst": frozenset({"id_number", "mobile", "bank_card", "email"}),
}


# Group names used by collection notices (and the synthetic world's consents.csv) for several categories.
CATEGORY_GROUPS: dict[str, frozenset[str]] = {
    "identity": frozenset({"name", "id_type", "id_number", "id_validity"}),
    "contact": frozenset({"mobile", "email", "address"}),
}


def expand_categories(names: Iterable[str]) -> frozenset[str]:
    """Category names with groups (``identity``, ``contact``) replaced by their members."""
    out: set[str] = set()
    for name in names:
        out |= CATEGORY_GROUPS.get(name, frozenset({name}))
    return frozenset(out)


def is_sensitive(category: Category) -> bool:
    """Sensitive personal information needs separate consent (PIPL arts. 28-29)."""
    return CATEGORIES[category].sensitive


def mask(field_name: str, value: str) -> str:
    """Mask a value for display: keep a few leading/trailing characters, star the rest."""
    if not value:
        return value
    keep_head, keep_tail = {"id_number": (4, 4), "mobile": (3, 4), "bank_card": (0, 4)}.get(field_name, (1, 0))
    if field_name == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if len(value) <= keep_head + keep_tail:
        return "*" * len(value)
    return value[:keep_head] + "*" * (len(value) - keep_head - keep_tail) + value[len(value) - keep_tail :]


@dataclass(frozen=True)
class Consent:
    """A consent record shaped after ISO/IEC TS 27560 (PIPL arts. 14, 15, 23, 29)."""

    consent_id: str
    subject_ref: str
    purposes: frozenset[str]
    categories: frozenset[str]
    recipients: frozenset[str]
    method: str
    notice_version: str
    given_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    separate: bool = False

    def active_at(self, at: datetime) -> bool:
        """Given, not expired and not withdrawn at ``at`` (withdrawal: PIPL art. 15)."""
        if self.given_at > at:
            return False
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return False
        return self.expires_at is None or self.expires_at > at


@dataclass(frozen=True)
class ConsentDecision:
    """Whether the ledger allows a processing; ``reason`` names the missing consent or rule."""

    allowed: bool
    reason: str
    consent_id: str | None = None
    rule: str | None = None


def needs_separate_consent(category: str, purpose: str) -> str | None:
    """The rule requiring separate consent for this use, or None (PIPL arts. 23, 29)."""
    if purpose == Purpose.THIRD_PARTY_SHARING:
        return "PIPL art. 23: sharing with another handler needs separate consent"
    try:
        cat = Category(category)
    except ValueError:
        return None
    if is_sensitive(cat):
        return f"PIPL art. 29: {category} is sensitive personal information and needs separate consent"
    return None


def decide_consent(
    consents: Iterable[Consent],
    *,
    purpose: str,
    categories: Iterable[str],
    at: datetime,
    recipient: str | None = None,
) -> ConsentDecision:
    """Find an active consent covering ``purpose``, every category and the recipient (if any).

    Every category must be covered; sensitive categories and third-party sharing must be covered by a
    consent flagged ``separate``. The reason of a denial names what is missing.
    """
    wanted = sorted(set(categories))
    active = [c for c in consents if c.active_at(at)]
    if not active:
        return ConsentDecision(False, "no active consent (none given, all withdrawn or expired)", rule="PIPL art. 13")
    for_purpose = [c for c in active if purpose in c.purposes]
    if not for_purpose:
        return ConsentDecision(False, f"no active consent for purpose {purpose!r}", rule="PIPL art. 14")
    if recipient is not None:
        for_purpose = [c for c in for_purpose if recipient in c.recipients]
        if not for_purpose:
            return ConsentDecision(
                False, f"no active consent names recipient {recipient!r} for {purpose!r}", rule="PIPL art. 23"
            )
    used: str | None = None
    for category in wanted:
        covering = [c for c in for_purpose if category in c.categories]
        if not covering:
            return ConsentDecision(
                False, f"no active consent for category {category!r} and purpose {purpose!r}", rule="PIPL art. 14"
            )
        separate_rule = needs_separate_consent(category, purpose)
        if separate_rule is not None:
            covering = [c for c in covering if c.separate]
            if not covering:
                return ConsentDecision(False, f"missing separate consent for {category!r}", rule=separate_rule)
        used = used or covering[0].consent_id
    if used is None:
        used = for_purpose[0].consent_id
    return ConsentDecision(True, "consent covers the use", consent_id=used)


@dataclass(frozen=True)
class AccessDecision:
    """Outcome of the governed-read rules before any decryption happens."""

    allowed: bool
    reason: str
    rule: str | None = None
    masked: frozenset[str] = field(default_factory=frozenset)
    consent_id: str | None = None


def decide_access(
    *,
    roles: Iterable[str],
    purpose: str,
    fields: Iterable[str],
    consents: Iterable[Consent],
    at: datetime,
    recipient: str | None = None,
) -> AccessDecision:
    """The governed-read rules in order: known purpose and fields, role, necessity, consent, masking.

    Sources: role check and masking (PIPL art. 51 access permissions), necessity (PIPL art. 6),
    consent and purpose (PIPL arts. 13-14, 23, 29), withdrawal effective on the next read (art. 15).
    """
    role_set = set(roles)
    try:
        purpose_enum = Purpose(purpose)
    except ValueError:
        return AccessDecision(False, f"unknown purpose {purpose!r}", rule="PIPL art. 6")
    wanted = list(dict.fromkeys(fields))
    unknown = [f for f in wanted if f not in FIELDS]
    if unknown or not wanted:
        return AccessDecision(False, f"unknown fields {unknown}" if unknown else "no fields asked", rule="PIPL art. 6")
    allowed_roles = PURPOSE_ROLES[purpose_enum]
    if "admin" not in role_set and not role_set & allowed_roles:
        return AccessDecision(
            False, f"role may not read for {purpose}: needs one of {sorted(allowed_roles)}", rule="PIPL art. 51"
        )
    unnecessary = [f for f in wanted if f not in NECESSARY_FIELDS[purpose_enum]]
    if unnecessary:
        return AccessDecision(
            False, f"fields not necessary for {purpose}: {unnecessary}", rule="PIPL art. 6 (minimisation)"
        )
    consent = decide_consent(
        consents, purpose=purpose, categories=[FIELDS[f].value for f in wanted], at=at, recipient=recipient
    )
    if not consent.allowed:
        return AccessDecision(False, consent.reason, rule=consent.rule)
    masked: set[str] = set()
    if "admin" not in role_set:
        for role in role_set:
            masked |= MASKED_FOR_ROLES.get(role, frozenset())
        # A role that sees a field in full through another role keeps it in full.
        unmasked_roles = [r for r in role_set if r not in MASKED_FOR_ROLES and r in allowed_roles]
        if unmasked_roles:
            masked = set()
    return AccessDecision(
        True, "allowed", masked=frozenset(f for f in wanted if f in masked), consent_id=consent.consent_id
    )
