"""Which words of a passage a query hit, the snippet around them, and their time in the recording.

The hit words are found again with the same expansion the index uses (every token's forms against
the query's forms), so the highlight marks exactly the inflected words that matched. For transcript
passages the words' own timings give the start and end of the hit; otherwise the passage's span.
"""

from __future__ import annotations

from dataclasses import dataclass

from audita.search.query import ParsedQuery, Term, token_forms
from audita.text import tokenize

SNIPPET_CHARS = 220
LEAD_CHARS = 70


@dataclass(frozen=True)
class Marked:
    spans: tuple[tuple[int, int], ...]  # character spans of hit tokens in the passage


def _matches(forms: tuple[str, ...], term: Term) -> bool:
    return not set(forms).isdisjoint(term.forms)


def mark(text: str, language: str | None, query: ParsedQuery) -> Marked | None:
    """Spans of the words the query hit; None when a phrase of the query is not there in order."""
    tokens = [(start, end, token_forms(word, language)) for word, start, end in tokenize(text)]
    spans: set[tuple[int, int]] = set()
    for group in query.groups:
        found = False
        for i in range(len(tokens) - len(group) + 1):
            if all(_matches(tokens[i + k][2], term) for k, term in enumerate(group)):
                found = True
                spans.update((tokens[i + k][0], tokens[i + k][1]) for k in range(len(group)))
        if not found:
            return None
    return Marked(tuple(sorted(spans)))


def snippet(text: str, marked: Marked) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of the passage around the first hit, with the hit spans relative to it."""
    if len(text) <= SNIPPET_CHARS or not marked.spans:
        return text, marked.spans
    first = marked.spans[0][0]
    start = max(0, first - LEAD_CHARS)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > marked.spans[0][1] else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    spans = tuple((a + shift, b + shift) for a, b in marked.spans if a >= start and b <= end)
    return prefix + text[start:end] + suffix, spans


def word_spans(text: str, words: list[list[object]] | tuple[tuple[float, float, str], ...]) -> list[tuple[int, int, float, float]]:
    """Character spans of timed words in the passage text, found in order."""
    out: list[tuple[int, int, float, float]] = []
    cursor = 0
    lowered = text.lower()
    for start, end, word in words:  # type: ignore[misc]
        needle = str(word).strip().lower()
        if not needle:
            continue
        at = lowered.find(needle, cursor)
        if at < 0:
            continue
        out.append((at, at + len(needle), float(start), float(end)))  # type: ignore[arg-type]
        cursor = at + len(needle)
    return out


def hit_times(text: str, words: list[list[object]] | None, marked: Marked) -> tuple[float, float] | None:
    """Start of the first and end of the last hit word, from word timings."""
    if not words or not marked.spans:
        return None
    timed = word_spans(text, words)
    starts = [s for a, b, s, _ in timed for x, y in marked.spans if a < y and x < b]
    ends = [e for a, b, _, e in timed for x, y in marked.spans if a < y and x < b]
    if not starts:
        return None
    return min(starts), max(ends)
