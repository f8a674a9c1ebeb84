"""Pure data of the contact-policy engine: scenarios (a contact about to happen) and decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    """How a contact is made."""

    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    APP_MESSAGE = "app_message"
    SOCIAL_MEDIA = "social_media"


class PartyRole(StrEnum):
    """Who the contacted person is, relative to the debtor."""

    DEBTOR = "debtor"
    DESIGNATED_CONTACT = "designated_contact"
    RELATED_THIRD_PARTY = "related_third_party"
    UNRELATED_THIRD_PARTY = "unrelated_third_party"
    EMPLOYER = "employer"
    ATTORNEY = "attorney"


class Purpose(StrEnum):
    """Why the contact is made."""

    COLLECTION = "collection"
    LOCATION_INFO = "location_info"
    REPLY = "reply"
    NOTICE = "notice"


class Outcome(StrEnum):
    """What happened on a past attempt."""

    CONVERSATION = "conversation"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    MESSAGE_LEFT = "message_left"
    BUSY = "busy"
    NOT_IN_SERVICE = "not_in_service"
    DELIVERED = "delivered"
    FAILED = "failed"


class Verdict(StrEnum):
    """The three possible decisions, in increasing severity."""

    ALLOW = "allow"
    REVIEW = "review"
    BLOCK = "block"


# Outcomes of a call that never connected to the dialed number (Reg F 1006.14(b)(3)(ii)): busy, not in
# service; "failed" is a call the network did not put through. Ringing unanswered or voicemail is connected.
UNCONNECTED: frozenset[Outcome] = frozenset({Outcome.BUSY, Outcome.NOT_IN_SERVICE, Outcome.FAILED})
ELECTRONIC: frozenset[Channel] = frozenset({Channel.SMS, Channel.EMAIL, Channel.APP_MESSAGE, Channel.SOCIAL_MEDIA})
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """A consumer-designated inconvenient period: on ``days`` from ``start`` to ``end`` (minutes of day).

    ``end <= start`` means the window runs past midnight into the next day.
    """

    days: frozenset[int]
    start: int
    end: int


@dataclass(frozen=True)
class Contact:
    """The contact that is about to happen."""

    channel: Channel
    person_id: str
    role: PartyRole
    debt_ids: tuple[str, ...]
    purpose: Purpose = Purpose.COLLECTION
    number: str | None = None
    place: str | None = None
    address_kind: str | None = None
    includes_opt_out: bool | None = None
    text: str | None = None
    recorded: bool | None = None
    staff: int | None = None


@dataclass(frozen=True)
class Debtor:
    """What the collector knows about the debtor."""

    id: str
    timezones: tuple[str, ...] = ()
    inconvenient_windows: tuple[Window, ...] = ()
    opted_out_channels: frozenset[str] = frozenset()
    cease_requested: bool = False
    attorney_represented: bool = False
    employer_prohibits_contact: bool = False
    reachable: bool = True


@dataclass(frozen=True)
class Debt:
    """One debt the contact may be about."""

    id: str
    days_past_due: int = 0
    disputed: bool = False
    time_barred: bool = False


@dataclass(frozen=True)
class Consent:
    """A person's direct prior consent to be contacted through ``channel`` from ``start`` until ``end``."""

    person_id: str
    channel: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    """A past contact attempt (by the lender or any of its agencies, or a consumer-initiated one)."""

    at: datetime
    channel: Channel
    person_id: str
    role: PartyRole
    debt_ids: tuple[str, ...]
    outcome: Outcome
    initiated_by: str = "collector"
    number: str | None = None
    agency_id: str | None = None


@dataclass(frozen=True)
class Scenario:
    """Everything the engine needs to decide one contact; ``at`` is when it would happen."""

    id: str
    at: datetime
    contact: Contact
    debtor: Debtor
    debts: tuple[Debt, ...] = ()
    consents: tuple[Consent, ...] = ()
    history: tuple[Attempt, ...] = ()


@dataclass(frozen=True)
class Violation:
    """One rule that objects to a contact."""

    rule: str
    source: str
    severity: Verdict
    message: str

    def as_dict(self) -> dict[str, str]:
        """The contract's JSON shape."""
        return {"rule": self.rule, "source": self.source, "severity": self.severity.value, "message": self.message}


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one scenario."""

    id: str
    decision: Verdict
    violations: tuple[Violation, ...] = field(default_factory=tuple)
    next_allowed_at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        """The contract's JSON shape (``next_allowed_at`` in the offset of the scenario's ``at``)."""
        return {
            "id": self.id,
            "decision": self.decision.value,
            "violations": [v.as_dict() for v in self.violations],
            "next_allowed_at": None if self.next_allowed_at is None else self.next_allowed_at.isoformat(),
        }
