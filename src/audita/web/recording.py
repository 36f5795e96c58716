"""The recording page's content: the current transcript as timed words, with flags, entities and
glossary hits placed on the words they cover, translations beside each transmission, speakers
with analyst names, and the decisions taken on each flag.

Annotations come from the current ``analysis`` row (``audita.analysis``: ``flags``, ``entities``,
``glossary_hits``, each with ``transmission`` and ``char_start``/``char_end`` into that
transmission's text; flags and entities also carry ``start``/``end`` seconds)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, select

from audita.analysis.glossary import load_glossary
from audita.review.history import Version, history, speaker_names
from audita.review.reading import FlagDecision, current_analysis, flag_decisions
from audita.review.words import realign_words
from audita.store.schema import items
from audita.transcripts import versions

MT_LABEL = "unverified machine translation"


def article_label(article: str) -> str:
    """``Art. 8(2)(b)(xii)`` whether or not the analysis wrote the ``Art.`` itself; '' for none."""
    article = (article or "").strip()
    if not article or article in ("—", "-"):
        return ""
    return article if article.lower().startswith("art") else f"Art. {article}"


@dataclass(frozen=True)
class Annotation:
    kind: str  # "flag" | "entity" | "gloss"
    key: str
    transmission: int | None
    char_start: int | None
    char_end: int | None
    start: float | None
    end: float | None
    title: str
    note: str = ""  # shown after the last word it covers (a glossary gloss)


@dataclass(frozen=True)
class WordView:
    text: str
    start: float
    end: float
    classes: str
    title: str
    edited: bool
    glosses: tuple[str, ...] = ()  # glosses of glossary terms ending at this word


@dataclass(frozen=True)
class TranslationView:
    text: str
    label: str
    method: str
    machine: bool


@dataclass(frozen=True)
class TransmissionView:
    index: int
    start: float
    end: float
    text: str
    words: tuple[WordView, ...]
    speaker: str
    speaker_name: str
    language: str
    channel: str
    snr_db: float | None
    quality_ok: bool
    quality_reason: str
    unintelligible: bool
    unintelligible_reason: str
    translations: tuple[TranslationView, ...]
    flagged: bool


@dataclass(frozen=True)
class FlagView:
    id: str
    category: str
    article: str
    title: str
    quote: str
    reason: str
    rule: str
    confidence: float | None
    transmission: int | None
    start: float | None
    end: float | None
    decisions: tuple[FlagDecision, ...]

    @property
    def decision(self) -> str:
        return self.decisions[-1].decision if self.decisions else "open"


@dataclass(frozen=True)
class SpeakerView:
    label: str
    name: str
    named_by: str
    transmissions: tuple[int, ...]


@dataclass(frozen=True)
class RecordingView:
    version: Version | None
    machine_id: str | None
    transmissions: tuple[TransmissionView, ...]
    speakers: tuple[SpeakerView, ...]
    entities: tuple[dict[str, Any], ...]
    glossary: tuple[dict[str, Any], ...]
    flags: tuple[FlagView, ...]
    analysis_id: str | None
    duration: float | None
    analysis_of: str | None = None  # the transcript version the analysis read
    glossary_changed: bool = False  # the case glossary differs from the one the analysis used

    @property
    def analysis_stale(self) -> bool:
        return self.analysis_id is not None and self.version is not None and self.analysis_of != self.version.id


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _annotations(analysis: dict[str, Any]) -> list[Annotation]:
    out = []
    for n, flag in enumerate(analysis.get("flags") or []):
        if isinstance(flag, dict):
            title = " · ".join(part for part in (f"Flag: {flag.get('category', '')}",
                                                  article_label(str(flag.get("article", ""))),
                                                  str(flag.get("reason", ""))) if part)
            out.append(Annotation("flag", str(flag.get("id", n)), _int(flag.get("transmission")),
                                  _int(flag.get("char_start")), _int(flag.get("char_end")), _num(flag.get("start")),
                                  _num(flag.get("end")), title))
    for n, entity in enumerate(analysis.get("entities") or []):
        if isinstance(entity, dict):
            title = f"{entity.get('type', 'entity')}: {entity.get('normalized') or entity.get('text', '')}"
            out.append(Annotation("entity", str(entity.get("id", n)), _int(entity.get("transmission")),
                                  _int(entity.get("char_start")), _int(entity.get("char_end")),
                                  _num(entity.get("start")), _num(entity.get("end")), title))
    for n, hit in enumerate(analysis.get("glossary_hits") or []):
        if isinstance(hit, dict):
            title = f"Glossary: {hit.get('term', '')} — {hit.get('gloss', '')}"
            out.append(Annotation("gloss", str(n), _int(hit.get("transmission")), _int(hit.get("char_start")),
                                  _int(hit.get("char_end")), _num(hit.get("start")), _num(hit.get("end")), title,
                                  str(hit.get("gloss", ""))))
    return out


def _word_spans(text: str, words: list[dict[str, Any]]) -> list[tuple[int, int] | None]:
    """Character span of each word inside the transmission text (None when it cannot be found)."""
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:
        token = str(word.get("word", "")).strip()
        at = text.find(token, cursor) if token else -1
        if at < 0:
            spans.append(None)
            continue
        spans.append((at, at + len(token)))
        cursor = at + len(token)
    return spans


def _with_times(notes: list[Annotation], analysed: dict[str, Any]) -> list[Annotation]:
    """Give annotations without times (glossary hits) the times of the words they cover in the
    version that was analysed, so that they can still be placed by time on another version."""
    by_index = {t.get("index"): t for t in analysed.get("transmissions") or [] if isinstance(t, dict)}
    out = []
    for note in notes:
        t = by_index.get(note.transmission)
        if note.start is None and note.char_start is not None and note.char_end is not None and t is not None:
            words = [w for w in t.get("words") or [] if isinstance(w, dict)]
            spans = _word_spans(str(t.get("text") or ""), words)
            hit = [w for w, span in zip(words, spans, strict=True)
                   if span is not None and span[0] < note.char_end and span[1] > note.char_start]
            if hit and _num(hit[0].get("start")) is not None and _num(hit[-1].get("end")) is not None:
                note = replace(note, start=_num(hit[0].get("start")), end=_num(hit[-1].get("end")))
        out.append(note)
    return out


def _covers(note: Annotation, span: tuple[int, int] | None, start: float, end: float, by_chars: bool) -> bool:
    if by_chars and note.char_start is not None and note.char_end is not None and span is not None:
        return span[0] < note.char_end and span[1] > note.char_start
    if note.start is not None and note.end is not None:
        middle = (start + end) / 2
        return note.start <= middle <= note.end
    return False


def _transmission(t: dict[str, Any], notes: list[Annotation], names: dict[str, str],
                  by_chars: bool) -> TransmissionView:
    index = int(t.get("index", 0))
    text = str(t.get("text") or "")
    raw_words = [w for w in t.get("words") or [] if isinstance(w, dict)]
    if " ".join(str(w.get("word", "")).strip() for w in raw_words) != " ".join(text.split()):
        # the words do not spell the text (an edit written without re-timing): the text governs
        raw_words = realign_words(raw_words, text, start=_num(t.get("start")) or 0.0, end=_num(t.get("end")) or 0.0)
    mine = [n for n in notes if n.transmission == index]
    covered: list[list[Annotation]] = []
    for word, span in zip(raw_words, _word_spans(text, raw_words), strict=True):
        start, end = _num(word.get("start")) or 0.0, _num(word.get("end")) or 0.0
        covered.append([n for n in mine if _covers(n, span, start, end, by_chars)])
    last_word = {id(n): k for k, hits in enumerate(covered) for n in hits}  # the last word each note covers
    words = []
    for k, (word, hits) in enumerate(zip(raw_words, covered, strict=True)):
        kinds = sorted({n.kind for n in hits})
        glosses = tuple(dict.fromkeys(n.note for n in hits if n.note and last_word[id(n)] == k))
        words.append(WordView(str(word.get("word", "")).strip(), _num(word.get("start")) or 0.0,
                              _num(word.get("end")) or 0.0,
                              " ".join(["w", *kinds, *(["edited"] if word.get("analyst") else [])]),
                              "\n".join(dict.fromkeys(n.title for n in hits)), bool(word.get("analyst")), glosses))
    translations = tuple(
        TranslationView(str(r.get("text", "")), str(r.get("label") or MT_LABEL), str(r.get("method", "")),
                        r.get("method") != "analyst")
        for r in t.get("translations") or [] if isinstance(r, dict)
    )
    speaker = str(t.get("speaker") or "")
    return TransmissionView(
        index=index, start=_num(t.get("start")) or 0.0, end=_num(t.get("end")) or 0.0, text=text, words=tuple(words),
        speaker=speaker, speaker_name=names.get(speaker, ""), language=str(t.get("language") or ""),
        channel=str(t.get("channel") or ""), snr_db=_num(t.get("snr_db")), quality_ok=bool(t.get("quality_ok", True)),
        quality_reason=str(t.get("quality_reason") or ""), unintelligible=bool(t.get("unintelligible")),
        unintelligible_reason=str(t.get("unintelligible_reason") or ""), translations=translations,
        flagged=any(n.kind == "flag" for n in mine),
    )


def build_recording(connection: Connection, item_id: str, version_id: str | None = None) -> RecordingView:
    """The current version (or ``version_id`` from the chain) ready to render."""
    chain = versions(connection, item_id)
    rows = history(connection, item_id)
    shown = next((v for v in chain if v.id == version_id), None) if version_id else (chain[-1] if chain else None)
    if shown is None:
        return RecordingView(None, None, (), (), (), (), (), None, None)
    info = next(v for v in rows if v.id == shown.id)
    names = {label: row.name for label, row in speaker_names(rows).items()}
    named_by = {label: row.by for label, row in speaker_names(rows).items()}
    analysis = current_analysis(connection, item_id)
    analysis_doc = analysis.output if analysis is not None and isinstance(analysis.output, dict) else {}
    notes = _annotations(analysis_doc)
    analysed = next((v for v in chain if analysis is not None and v.id == analysis.provenance.parent_id), None)
    if analysed is not None and isinstance(analysed.output, dict):
        notes = _with_times(notes, analysed.output)
    doc = shown.output if isinstance(shown.output, dict) else {}
    # Character offsets hold for the text that was analysed; on another version, place by time.
    by_chars = analysis is not None and analysis.provenance.parent_id == shown.id
    transmissions = tuple(_transmission(t, notes, names, by_chars)
                          for t in doc.get("transmissions") or [] if isinstance(t, dict))
    speakers: dict[str, list[int]] = {}
    for t in transmissions:
        if t.speaker:
            speakers.setdefault(t.speaker, []).append(t.index)
    decisions = flag_decisions(connection, item_id, analysis.id) if analysis is not None else {}
    flags = tuple(
        FlagView(str(f.get("id", "")), str(f.get("category", "")), article_label(str(f.get("article", ""))),
                 str(f.get("title", "")),
                 str(f.get("quote", "")), str(f.get("reason", "")), str(f.get("rule", "")), _num(f.get("confidence")),
                 _int(f.get("transmission")), _num(f.get("start")), _num(f.get("end")),
                 tuple(decisions.get(str(f.get("id", "")), ())))
        for f in analysis_doc.get("flags") or [] if isinstance(f, dict)
    )
    used = analysis_doc.get("provenance", {}).get("glossary_sha256") \
        if isinstance(analysis_doc.get("provenance"), dict) else None
    case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar()
    glossary_changed = bool(used) and case_id is not None and load_glossary(connection, case_id).sha256 != used
    return RecordingView(
        version=info, machine_id=chain[0].id, transmissions=transmissions,
        speakers=tuple(SpeakerView(label, names.get(label, ""), named_by.get(label, ""), tuple(idx))
                       for label, idx in sorted(speakers.items())),
        entities=tuple(e for e in analysis_doc.get("entities") or [] if isinstance(e, dict)),
        glossary=tuple(g for g in analysis_doc.get("glossary_hits") or [] if isinstance(g, dict)),
        flags=flags, analysis_id=analysis.id if analysis is not None else None, duration=_num(doc.get("duration")),
        analysis_of=analysis.provenance.parent_id if analysis is not None else None,
        glossary_changed=glossary_changed,
    )
