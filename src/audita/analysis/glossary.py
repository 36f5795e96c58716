"""Military slang and euphemism glossary: ru/uk term -> English gloss.

The shipped list (``data/glossary.json``) is merged with a case's own edits (table
``glossary_entries``: append-only; the newest row for a term and language supersedes older ones,
``active = False`` withdraws the term, shipped or not). Terms are matched through the same
normal forms as the rules, so «двухсотых» finds «двухсотый». Glossary categories feed the
indicator rules' word classes (``data/indicators.json`` -> ``classes.*.glossary``), so a term an
analyst adds with category ``execution`` is used by the rules of the next analysis.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, insert, select

from audita.analysis.tokens import Tok, clean, tokens
from audita.errors import AuditaError, BadInput
from audita.provenance import canonical_json, utc_now
from audita.store.schema import cases, glossary_entries
from audita.workspace import Workspace, new_id

LANGUAGES = ("ru", "uk", "en")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")
MAX_TERM = 200


class GlossaryError(AuditaError):
    """A glossary edit cannot be made (unknown term, bad field)."""


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    language: str
    gloss: str
    category: str
    note: str = ""
    source: str = "shipped"  # "shipped" | "case"
    created_by: str | None = None
    created_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> tuple[str, str]:
        return clean(self.term), self.language


@dataclass(frozen=True)
class GlossaryHit:
    term: str
    gloss: str
    category: str
    transmission: int | None
    char_start: int
    char_end: int
    text: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _compile(term: str) -> tuple[frozenset[str], ...]:
    return tuple(t.forms for t in tokens(term))


@dataclass(frozen=True)
class Glossary:
    entries: tuple[GlossaryEntry, ...]

    @property
    def sha256(self) -> str:
        payload = [[e.term, e.language, e.gloss, e.category] for e in self.entries]
        return hashlib.sha256(canonical_json(payload)).hexdigest()

    def of_category(self, *categories: str) -> tuple[GlossaryEntry, ...]:
        wanted = set(categories)
        return tuple(e for e in self.entries if e.category in wanted)

    def lookup(self, term: str) -> list[GlossaryEntry]:
        key = clean(term)
        return [e for e in self.entries if clean(e.term) == key]

    def find(self, toks: tuple[Tok, ...], text: str, transmission: int | None, offset: int = 0) -> list[GlossaryHit]:
        """Leftmost-longest glossary terms in ``toks`` (char offsets shifted by ``offset``)."""
        compiled = _compiled(self.entries)
        hits: list[GlossaryHit] = []
        i = 0
        while i < len(toks):
            best: tuple[int, GlossaryEntry] | None = None
            for entry, parts in _candidates(compiled, toks[i]):
                n = len(parts)
                if i + n > len(toks) or not all(parts[k] & toks[i + k].forms for k in range(n)):
                    continue
                if n > 1 and any(toks[i + k + 1].start - toks[i + k].end > 2 for k in range(n - 1)):
                    continue
                if best is None or n > best[0]:
                    best = (n, entry)
            if best is None:
                i += 1
                continue
            n, entry = best
            start, end = toks[i].start, toks[i + n - 1].end
            hits.append(GlossaryHit(entry.term, entry.gloss, entry.category, transmission, start + offset,
                                    end + offset, text[start:end], entry.source))
            i += n
        return hits


def _candidates(compiled: dict[str, list[tuple[GlossaryEntry, tuple[frozenset[str], ...]]]],
                tok: Tok) -> list[tuple[GlossaryEntry, tuple[frozenset[str], ...]]]:
    seen: dict[int, tuple[GlossaryEntry, tuple[frozenset[str], ...]]] = {}
    for form in sorted(tok.forms):
        for pair in compiled.get(form, ()):
            seen.setdefault(id(pair[0]), pair)
    return sorted(seen.values(), key=lambda p: (p[0].term, p[0].language))


@lru_cache(maxsize=16)
def _compiled(entries: tuple[GlossaryEntry, ...]) -> dict[str, list[tuple[GlossaryEntry, tuple[frozenset[str], ...]]]]:
    index: dict[str, list[tuple[GlossaryEntry, tuple[frozenset[str], ...]]]] = {}
    for entry in entries:
        parts = _compile(entry.term)
        if not parts:
            continue
        for form in parts[0]:
            index.setdefault(form, []).append((entry, parts))
    return index


@lru_cache(maxsize=1)
def shipped_entries() -> tuple[GlossaryEntry, ...]:
    raw = json.loads(resources.files("audita.analysis.data").joinpath("glossary.json").read_text(encoding="utf-8"))
    return tuple(GlossaryEntry(e["term"], e["language"], e["gloss"], e["category"], e.get("note", ""))
                 for e in raw["entries"])


def shipped_glossary() -> Glossary:
    return Glossary(_sorted(shipped_entries()))


def _sorted(entries: Any) -> tuple[GlossaryEntry, ...]:
    return tuple(sorted(entries, key=lambda e: (clean(e.term), e.language, e.category, e.gloss)))


def resolve_case_id(connection: Connection, case: str) -> str:
    row = connection.execute(select(cases.c.id).where((cases.c.id == case) | (cases.c.name == case))).first()
    if row is None:
        raise GlossaryError(f"no case named {case!r}")
    return str(row.id)


def case_rows(connection: Connection, case_id: str) -> list[Any]:
    """Every glossary row of a case, oldest first (history: who changed what, when)."""
    return list(connection.execute(
        select(glossary_entries).where(glossary_entries.c.case_id == case_id)
        .order_by(glossary_entries.c.created_at, glossary_entries.c.id)).all())


def load_glossary(connection: Connection | None = None, case_id: str | None = None) -> Glossary:
    """The shipped glossary merged with the case's edits (newest row per term and language wins)."""
    merged: dict[tuple[str, str], GlossaryEntry | None] = {e.key: e for e in shipped_entries()}
    if connection is not None and case_id is not None:
        resolved = resolve_case_id(connection, case_id)
        for row in case_rows(connection, resolved):
            key = (clean(row.term), row.language)
            merged[key] = (GlossaryEntry(row.term, row.language, row.gloss, row.category, row.note, "case",
                                         row.created_by, row.created_at) if row.active else None)
    return Glossary(_sorted(e for e in merged.values() if e is not None))


def _validate(term: str, language: str) -> str:
    term = " ".join(term.split())
    if not term or len(term) > MAX_TERM:
        raise BadInput(f"glossary term must be 1-{MAX_TERM} characters")
    if language not in LANGUAGES:
        raise BadInput(f"glossary language must be one of {', '.join(LANGUAGES)}")
    if not tokens(term):
        raise BadInput(f"glossary term {term!r} has no words")
    return term


def add_entry(workspace: Workspace, case_id: str, term: str, language: str, gloss: str, category: str,
              note: str, actor: str) -> GlossaryEntry:
    """Add (or supersede) a term in the case's glossary; recorded in the custody log."""
    term = _validate(term, language)
    gloss = gloss.strip()
    if not gloss:
        raise BadInput("glossary gloss is empty")
    category = category.strip().lower()
    if not _CATEGORY.match(category):
        raise BadInput("glossary category must be a short lower-case word (e.g. execution, casualty, looting)")
    return _insert(workspace, case_id, term, language, gloss, category, note.strip(), True, actor)


def withdraw_entry(workspace: Workspace, case_id: str, term: str, language: str, actor: str,
                   note: str = "") -> GlossaryEntry:
    """Withdraw a term (shipped or added) from the case's glossary; the rows stay as history."""
    term = _validate(term, language)
    with workspace.reading() as connection:
        current = load_glossary(connection, case_id)
    known = [e for e in current.lookup(term) if e.language == language]
    if not known:
        raise GlossaryError(f"{term!r} ({language}) is not in this case's glossary")
    entry = known[0]
    return _insert(workspace, case_id, entry.term, language, entry.gloss, entry.category, note.strip(), False, actor)


def _insert(workspace: Workspace, case: str, term: str, language: str, gloss: str, category: str, note: str,
            active: bool, actor: str) -> GlossaryEntry:
    with workspace.action() as connection:
        case_id = resolve_case_id(connection, case)
        entry_id = new_id()
        created_at = utc_now()
        connection.execute(insert(glossary_entries).values(
            id=entry_id, case_id=case_id, term=term, language=language, gloss=gloss, category=category, note=note,
            active=active, created_at=created_at, created_by=actor))
        workspace.record(connection, "glossary.edited", actor, case_id=case_id, details={
            "entry_id": entry_id, "term": term, "language": language, "gloss": gloss, "category": category,
            "note": note, "active": active})
    return GlossaryEntry(term, language, gloss, category, note, "case", actor, created_at)
