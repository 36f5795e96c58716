"""A published transcript against the recording: what it leaves out, adds or words differently.

The published text (Russian, Ukrainian or English) is aligned word by word with the recording's
current transcript, or with its English machine translation when the published text is English.
Words are aligned on their dictionary form, so «пленного» against «пленных» aligns and is reported
as the same word in another form; everything else that differs is missing (in the recording, not
in the published text), added (published, not in the recording) or different (replaced). Missing
and different words carry their time in the recording from the transcript's word timings.
Speaker prefixes of published lines (``Сокол: …``) and leading dashes are not counted as words.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from audita.derived import Derivation
from audita.errors import BadInput
from audita.search.query import surface, token_forms
from audita.search.snippets import word_spans
from audita.text import detect_language, tokenize

DiffKind = Literal["missing", "added", "different", "form"]
_SPEAKER_PREFIX = re.compile(r"^\s*(?:[—–-]\s*)?(?:([^\W\d_][\w’'\-]*(?:\s+[\w’'\-]+){0,2})\s*:\s+)?(?:[—–-]\s*)?")
COMPARE_VERSION = "1"


@dataclass(frozen=True)
class _Word:
    text: str
    key: str  # dictionary form used for alignment
    exact: str  # normalised surface form
    transmission: int | None = None
    start: float | None = None
    end: float | None = None
    line: int | None = None


@dataclass(frozen=True)
class Difference:
    kind: DiffKind  # "form": same word, other form
    recording_text: str
    published_text: str
    transmission: int | None
    start: float | None
    end: float | None
    published_line: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    item_id: str
    against: Literal["transcript", "translation"]
    derivation_id: str
    published_language: str
    recording_words: int
    published_words: int
    matched_words: int  # same dictionary form, in order
    exact_words: int  # same form as well
    differences: tuple[Difference, ...]

    @property
    def coverage(self) -> float:
        """Share of the recording's words the published text has (same dictionary form)."""
        return self.matched_words / self.recording_words if self.recording_words else 0.0

    @property
    def support(self) -> float:
        """Share of the published words found in the recording."""
        return self.matched_words / self.published_words if self.published_words else 0.0

    def count(self, kind: DiffKind) -> int:
        return sum(1 for d in self.differences if d.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "against": self.against, "derivation_id": self.derivation_id,
                "published_language": self.published_language, "recording_words": self.recording_words,
                "published_words": self.published_words, "matched_words": self.matched_words,
                "exact_words": self.exact_words, "coverage": round(self.coverage, 4),
                "support": round(self.support, 4),
                "counts": {k: self.count(k) for k in ("missing", "added", "different", "form")},
                "differences": [d.to_dict() for d in self.differences]}


def _key(word: str, language: str | None) -> str:
    forms = token_forms(word, language)
    return forms[1] if len(forms) > 1 else forms[0]


def _recording_words(transcript: dict[str, Any], against: str) -> list[_Word]:
    words: list[_Word] = []
    for transmission in transcript.get("transmissions") or []:
        if not isinstance(transmission, dict) or transmission.get("unintelligible"):
            continue
        index = transmission.get("index")
        start, end = transmission.get("start"), transmission.get("end")
        if against == "translation":
            renderings = [r for r in transmission.get("translations") or [] if isinstance(r, dict) and r.get("text")]
            if not renderings:
                continue
            text, language, timed = str(renderings[0]["text"]), "en", []
        else:
            text = str(transmission.get("text") or "")
            language = transmission.get("language")
            raw = [(w.get("start"), w.get("end"), w.get("word", "")) for w in transmission.get("words") or []
                   if isinstance(w, dict)]
            timed = word_spans(text, raw)
        for word, a, b in tokenize(text):
            times = [(s, e) for x, y, s, e in timed if x < b and a < y]
            words.append(_Word(word, _key(word, language), surface(word), index,
                               times[0][0] if times else start, times[-1][1] if times else end))
    return words


def _published_words(text: str, language: str) -> list[_Word]:
    words: list[_Word] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        prefix = _SPEAKER_PREFIX.match(line)
        body = line[prefix.end():] if prefix else line
        for word, _, _ in tokenize(body):
            words.append(_Word(word, _key(word, language), surface(word), line=number))
    return words


def _span(words: list[_Word]) -> tuple[int | None, float | None, float | None]:
    if not words:
        return None, None, None
    starts = [w.start for w in words if w.start is not None]
    ends = [w.end for w in words if w.end is not None]
    return words[0].transmission, min(starts) if starts else None, max(ends) if ends else None


def compare_text(item_id: str, transcript: Derivation, published: str, *, language: str | None = None) -> Comparison:
    """Align ``published`` with the transcript version ``transcript`` (an ``audita.speech/1`` row)."""
    if not published.strip():
        raise BadInput("the published text is empty")
    language = language or detect_language(published)
    if language not in ("ru", "uk", "en"):
        raise BadInput(f"published text language {language!r} is not supported (ru, uk or en; use --language)")
    against: Literal["transcript", "translation"] = "translation" if language == "en" else "transcript"
    recording = _recording_words(transcript.output, against)
    if not recording:
        raise BadInput(f"item {item_id} has no {'translated ' if against == 'translation' else ''}transcript words "
                       "to compare with")
    published_words = _published_words(published, language)
    matcher = difflib.SequenceMatcher(a=[w.key for w in recording], b=[w.key for w in published_words],
                                      autojunk=False)
    differences: list[Difference] = []
    matched = exact = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ours, theirs = recording[i1:i2], published_words[j1:j2]
        if tag == "equal":
            matched += len(ours)
            for mine, other in zip(ours, theirs, strict=True):
                if mine.exact == other.exact:
                    exact += 1
                    continue
                transmission, start, end = _span([mine])
                differences.append(Difference("form", mine.text, other.text, transmission, start, end, other.line))
            continue
        transmission, start, end = _span(ours)
        kind: DiffKind = {"delete": "missing", "insert": "added", "replace": "different"}[tag]  # type: ignore[assignment]
        differences.append(Difference(
            kind, " ".join(w.text for w in ours), " ".join(w.text for w in theirs), transmission, start, end,
            theirs[0].line if theirs else (published_words[j1 - 1].line if j1 > 0 and published_words else None),
        ))
    return Comparison(item_id, against, transcript.id, language, len(recording), len(published_words), matched,
                      exact, tuple(differences))
