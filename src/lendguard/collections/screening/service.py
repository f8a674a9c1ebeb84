"""Use cases of the screener: batch screening and the institution's stricter terms.

A batch is screened through the batch path (``screen_many``), one call per (party, language) group,
and the results come back in the order of the messages. With ``statistical`` on (the setting
``LENDGUARD_SCREENING__STATISTICAL``), the rule screener is wrapped by the optional statistical insult
layer (``statistical.WithInsultModel``): it may add ``review`` findings, never blocks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lendguard.collections.screening.engine import load_screener
from lendguard.collections.screening.lexicon import ExtraTerm
from lendguard.collections.screening.model import Category, ScreenResult, ScreensText, lang_of, party_of
from lendguard.collections.screening.statistical import WithInsultModel, load_insult_model
from lendguard.collections.screening.store import TermRepository
from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.db import reading
from lendguard.platform.model import Principal, Role, require

SCREEN_ROLES = (Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE)
TERM_ADMIN_ROLES = (Role.COMPLIANCE,)
MAX_TERM_LENGTH = 100
MAX_BATCH = 1000


@dataclass(frozen=True)
class Message:
    """One message of a batch."""

    id: str
    text: str
    party: str = "debtor"
    lang: str = "auto"


class ScreeningService:
    """Screens messages with the shared lexicons plus the principal's institution terms."""

    def __init__(self, engine: Engine, clock: Clock, audit: AuditLog, *, statistical: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit
        self.statistical = statistical

    def screener_for(self, conn: Connection, institution_id: int) -> ScreensText:
        """The screener of one institution (for callers inside a transaction, e.g. the policy engine).

        The rule screener with the institution's terms, wrapped by the statistical layer when it is on.
        """
        terms = TermRepository(conn).all(institution_id)
        screener = load_screener(ExtraTerm(t["category"], t["term"], id=f"inst.{t['id']}") for t in terms)
        return WithInsultModel(screener, load_insult_model()) if self.statistical else screener

    def screen(self, principal: Principal, messages: Sequence[Message]) -> list[ScreenResult]:
        """Screen a batch; bad party or language is a ``ValueError`` naming the message."""
        require(principal, *SCREEN_ROLES)
        if len(messages) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages per batch")
        for m in messages:
            try:
                party_of(m.party)
                lang_of(m.lang)
            except ValueError as exc:
                raise ValueError(f"message {m.id!r}: {exc}") from None
        with self.engine.begin() as conn:
            screener = self.screener_for(conn, principal.institution_id)
            results = screen_grouped(screener, messages)
            verdicts = Counter(r.verdict for r in results)
            event = AuditEvent(
                actor=principal.username,
                action="screening.batch",
                object_type="messages",
                purpose="collection message screening",
                detail={"messages": len(messages), **{v: verdicts.get(v, 0) for v in ("block", "review", "pass")}},
            )
            self.audit.append(conn, principal.institution_id, event, self.clock.now())
        return results

    def terms(self, principal: Principal) -> list[dict[str, Any]]:
        """The institution's stricter terms."""
        require(principal, *SCREEN_ROLES)
        with reading(self.engine) as conn:
            return TermRepository(conn).all(principal.institution_id)

    def add_term(self, principal: Principal, category: str, term: str) -> dict[str, Any]:
        """Add a stricter term (it always blocks); compliance staff only."""
        require(principal, *TERM_ADMIN_ROLES)
        try:
            Category(category)
        except ValueError:
            raise ValueError(f"unknown category {category!r}") from None
        cleaned = term.strip()
        if not cleaned or len(cleaned) > MAX_TERM_LENGTH:
            raise ValueError(f"a term has 1 to {MAX_TERM_LENGTH} characters")
        now = self.clock.now()
        with self.engine.begin() as conn:
            row = TermRepository(conn).add(principal.institution_id, category, cleaned, principal.username, now)
            event = AuditEvent(
                actor=principal.username,
                action="screening.term_added",
                object_type="screening_term",
                object_id=str(row["id"]),
                detail={"category": category, "term": cleaned},
            )
            self.audit.append(conn, principal.institution_id, event, now)
        return row

    def remove_term(self, principal: Principal, term_id: int) -> None:
        """Remove one of the institution's own terms (the shared lexicons cannot be removed)."""
        require(principal, *TERM_ADMIN_ROLES)
        now = self.clock.now()
        with self.engine.begin() as conn:
            row = TermRepository(conn).remove(principal.institution_id, term_id)
            event = AuditEvent(
                actor=principal.username,
                action="screening.term_removed",
                object_type="screening_term",
                object_id=str(term_id),
                detail={"category": row["category"], "term": row["term"]},
            )
            self.audit.append(conn, principal.institution_id, event, now)


def screen_grouped(screener: ScreensText, messages: Sequence[Message]) -> list[ScreenResult]:
    """Each message's result, in input order: one ``screen_many`` call per (party, language) group."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, m in enumerate(messages):
        groups.setdefault((m.party, m.lang), []).append(index)
    results: list[ScreenResult | None] = [None] * len(messages)
    for (party, lang), indices in groups.items():
        screened = screener.screen_many([messages[i].text for i in indices], party=party, lang=lang)
        for i, result in zip(indices, screened, strict=True):
            results[i] = result
    return [r for r in results if r is not None]
