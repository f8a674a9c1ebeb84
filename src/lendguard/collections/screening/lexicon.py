"""Pure parsing of the screener's lexicon data (rules are data: one JSON document per language).

A document holds ``entries`` (id, category, terms, optional severity, source, context and pinyin),
``lawful`` phrasings (id, terms), ``negation`` cues and ``quote_cues``. Parsing checks every field so a
broken data file fails loudly at load time, naming the entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lendguard.collections.screening.model import Category, Entry, Verdict

CONTEXT_RULES = frozenset({"negation", "quote"})


class LexiconError(ValueError):
    """A lexicon document or an institution term is malformed."""


@dataclass(frozen=True)
class Lexicon:
    """One language's rules."""

    lang: str
    entries: tuple[Entry, ...]
    lawful: tuple[tuple[str, tuple[str, ...]], ...]
    negation: tuple[str, ...]
    quote_cues: tuple[str, ...]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def parse_entry(raw: Mapping[str, Any], lang: str) -> Entry:
    """One lexicon entry, validated."""
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not entry_id:
        raise LexiconError(f"{lang}: an entry has no id")
    try:
        category = Category(str(raw.get("category")))
        severity = Verdict(str(raw.get("severity", "block")))
    except ValueError as exc:
        raise LexiconError(f"{entry_id}: {exc}") from None
    if severity is Verdict.PASS:
        raise LexiconError(f"{entry_id}: severity must be block or review")
    context = _strings(raw.get("context", ["negation", "quote"]) or ["_"], f"{entry_id}.context")
    context = tuple(c for c in context if c != "_")
    unknown = set(context) - CONTEXT_RULES
    if unknown:
        raise LexiconError(f"{entry_id}: unknown context rules {sorted(unknown)}")
    terms = _strings(raw.get("terms"), f"{entry_id}.terms")
    if not terms:
        raise LexiconError(f"{entry_id}.terms: an entry needs at least one term")
    return Entry(
        id=entry_id,
        category=category,
        lang=lang,
        terms=terms,
        severity=severity,
        source=str(raw.get("source", "")),
        context=context,
        pinyin=bool(raw.get("pinyin", False)),
    )


def parse_lexicon(document: Mapping[str, Any]) -> Lexicon:
    """A whole language document; entry ids must be unique."""
    lang = document.get("lang")
    if lang not in ("zh", "en"):
        raise LexiconError(f"lexicon language must be zh or en, not {lang!r}")
    entries = tuple(parse_entry(raw, lang) for raw in document.get("entries", []))
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        raise LexiconError(f"{lang}: duplicate entry ids")
    lawful = tuple(
        (str(item["id"]), _strings(item.get("terms"), f"{item.get('id')}.terms")) for item in document.get("lawful", [])
    )
    return Lexicon(
        lang=lang,
        entries=entries,
        lawful=lawful,
        negation=_strings(document.get("negation", []) or ["_"], f"{lang}.negation"),
        quote_cues=_strings(document.get("quote_cues", []) or ["_"], f"{lang}.quote_cues"),
    )


@dataclass(frozen=True)
class ExtraTerm:
    """A stricter term an institution adds; it always blocks and cannot remove or weaken a rule."""

    category: str
    term: str
    lang: str = "zh"
    id: str = ""


def extra_entries(terms: Iterable[ExtraTerm | tuple[str, str]]) -> tuple[Entry, ...]:
    """Institution terms as block entries (one entry per term, ids ``inst.<category>.<n>`` by default)."""
    out: list[Entry] = []
    for n, item in enumerate(terms, start=1):
        term = item if isinstance(item, ExtraTerm) else ExtraTerm(category=item[0], term=item[1])
        try:
            category = Category(term.category)
        except ValueError:
            raise LexiconError(f"institution term {term.term!r}: unknown category {term.category!r}") from None
        if not term.term.strip():
            raise LexiconError("institution term is empty")
        lang = "en" if term.term.isascii() else "zh"
        out.append(
            Entry(
                id=term.id or f"inst.{category.value}.{n}",
                category=category,
                lang=lang,
                terms=(term.term,),
                severity=Verdict.BLOCK,
                source="institution policy (stricter than the shared lexicon)",
            )
        )
    return tuple(out)
