"""Keep word timings when an analyst retypes a transmission.

Words the analyst kept are matched to the machine's words and keep their timings and
probabilities; new or retyped words get timings spread evenly over the time the words they
replace occupied (or the gap they were inserted into) and are marked ``"analyst": true`` with no
probability. The words of the result always spell the new text, so word-level playback,
highlighting and redaction keep working on edited versions.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from typing import Any


def _norm(token: str) -> str:
    kept = "".join(ch for ch in token if unicodedata.category(ch)[0] in "LN")
    return unicodedata.normalize("NFC", kept).casefold()


def _spread(tokens: list[str], start: float, end: float) -> list[dict[str, Any]]:
    if end < start:
        end = start
    step = (end - start) / len(tokens) if tokens else 0.0
    out = []
    for n, token in enumerate(tokens):
        a = start + n * step
        out.append({"start": round(a, 3), "end": round(a + step, 3), "word": " " + token,
                    "probability": None, "analyst": True})
    return out


def realign_words(old_words: list[dict[str, Any]], new_text: str, *, start: float, end: float) -> list[dict[str, Any]]:
    """Words for ``new_text`` inside [start, end], reusing ``old_words`` timings where they match."""
    tokens = new_text.split()
    old = [w for w in old_words if isinstance(w, dict)]
    if not tokens:
        return []
    if not old:
        return _spread(tokens, start, end)
    matcher = SequenceMatcher(None, [_norm(str(w.get("word", ""))) for w in old], [_norm(t) for t in tokens],
                              autojunk=False)
    out: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                kept = dict(old[i1 + k])
                kept["word"] = " " + tokens[j1 + k]
                out.append(kept)
            continue
        if j2 == j1:  # words deleted: nothing to place
            continue
        if i2 > i1:  # replaced: the new words share the replaced words' time
            a = float(old[i1].get("start", start))
            b = float(old[i2 - 1].get("end", a))
        else:  # inserted into the gap between neighbours
            a = float(out[-1]["end"]) if out else start
            b = float(old[i1].get("start", end)) if i1 < len(old) else end
        out.extend(_spread(tokens[j1:j2], a, max(a, b)))
    return out
