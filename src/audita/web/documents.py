"""The document page's content: the ``document.text`` paragraphs with what ``document.extract``
found in them (indicator flags, places, people and other entities) marked on the characters they
cover. Extracted records carry ``paragraph`` and ``char_start``/``char_end`` into the document's
whole text; paragraphs carry their own span of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from audita.derived import Derivation, latest
from audita.review.reading import FlagDecision, flag_decisions
from audita.web.recording import article_label


@dataclass(frozen=True)
class Piece:
    text: str
    classes: str  # "" | "flag" | "entity" | "flag entity"
    title: str


@dataclass(frozen=True)
class ParagraphView:
    index: int
    pieces: tuple[Piece, ...]
    author: str
    time: str
    page: int | None


@dataclass(frozen=True)
class DocFlag:
    id: str
    category: str
    article: str
    title: str
    quote: str
    reason: str
    confidence: float | None
    paragraph: int | None
    decisions: tuple[FlagDecision, ...] = ()  # analysts' confirm/reject rows, oldest first

    @property
    def decision(self) -> str:
        return self.decisions[-1].decision if self.decisions else "open"


@dataclass(frozen=True)
class DocumentView:
    text_row: Derivation | None
    extract_row: Derivation | None
    title: str
    publisher: str
    published: str
    paragraphs: tuple[ParagraphView, ...]
    flags: tuple[DocFlag, ...]
    entities: tuple[dict[str, Any], ...]
    casualties: tuple[dict[str, Any], ...]


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _marks(found: dict[str, Any]) -> list[tuple[int, int, str, str]]:
    """(char_start, char_end, kind, title) over the whole document text."""
    marks = []
    for flag in _dicts(found.get("flags")):
        a, b = _int(flag.get("char_start")), _int(flag.get("char_end"))
        if a is not None and b is not None and a < b:
            title = " · ".join(part for part in (f"Flag: {flag.get('category', '')}",
                                                 article_label(str(flag.get("article", ""))),
                                                 str(flag.get("reason", ""))) if part)
            marks.append((a, b, "flag", title))
    for entity in _dicts(found.get("entities")):
        a, b = _int(entity.get("char_start")), _int(entity.get("char_end"))
        if a is not None and b is not None and a < b:
            name = entity.get("normalized") or entity.get("text") or ""
            marks.append((a, b, "entity", f"{entity.get('type', 'entity')}: {name}"))
    return marks


def _pieces(text: str, offset: int, marks: list[tuple[int, int, str, str]]) -> tuple[Piece, ...]:
    """The paragraph cut at every mark boundary; each piece knows which marks cover it."""
    end = offset + len(text)
    inside = [m for m in marks if m[0] < end and m[1] > offset]
    cuts = sorted({0, len(text), *(max(0, min(len(text), m[0] - offset)) for m in inside),
                   *(max(0, min(len(text), m[1] - offset)) for m in inside)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in inside if m[0] - offset < b and m[1] - offset > a]
        kinds = " ".join(sorted({m[2] for m in covering}))
        pieces.append(Piece(text[a:b], kinds, "\n".join(dict.fromkeys(m[3] for m in covering))))
    return tuple(pieces)


def build_document(connection: Connection, item_id: str) -> DocumentView:
    text_row = latest(connection, item_id, "document.text")
    extract_row = latest(connection, item_id, "document.extract")
    doc = text_row.output if text_row is not None and isinstance(text_row.output, dict) else {}
    found = extract_row.output if extract_row is not None and isinstance(extract_row.output, dict) else {}
    marks = _marks(found)
    paragraphs = []
    for n, p in enumerate(_dicts(doc.get("paragraphs"))):
        text = str(p.get("text") or "")
        start = _int(p.get("char_start"))
        pieces = _pieces(text, start, marks) if start is not None else (Piece(text, "", ""),)
        paragraphs.append(ParagraphView(_int(p.get("index")) if _int(p.get("index")) is not None else n, pieces,
                                        str(p.get("author") or ""), str(p.get("time") or ""), _int(p.get("page"))))
    decisions = (flag_decisions(connection, item_id, extract_row.id, stage="document.extract")
                 if extract_row is not None else {})
    flags = tuple(
        DocFlag(str(f.get("id", "")), str(f.get("category", "")), article_label(str(f.get("article", ""))),
                str(f.get("title", "")), str(f.get("quote", "")), str(f.get("reason", "")),
                float(f["confidence"]) if isinstance(f.get("confidence"), (int, float)) else None,
                _int(f.get("paragraph")), tuple(decisions.get(str(f.get("id", "")), ())))
        for f in _dicts(found.get("flags")))
    return DocumentView(text_row, extract_row, str(doc.get("title") or ""), str(doc.get("publisher") or ""),
                        str(doc.get("published") or ""), tuple(paragraphs), flags,
                        tuple(_dicts(found.get("entities"))), tuple(_dicts(found.get("casualties"))))
