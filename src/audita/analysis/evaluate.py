"""Indicator precision/recall per category and geocoding accuracy on the corpus dialog scripts.

The scripts' ground-truth text is analysed as a transcript (one transmission per scripted turn),
so no speech recognition is involved. Matching is by character span inside a transmission:
a flag is a true positive when it overlaps a truth indicator of the same category; a truth
indicator is found when some flag of its category overlaps it. A truth place is geocoded when a
gazetteer place entity overlaps it within ``GEOCODE_KM`` of the truth coordinates.
``dev`` dialogs are what the rules were written against; ``heldout`` is the honest measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audita.analysis.pipeline import AnalysisOptions, analyze_transcript
from audita.analysis.places import distance_km

GEOCODE_KM = 5.0


@dataclass
class Counts:
    tp: int = 0  # flags overlapping a truth indicator of their category
    fp: int = 0  # flags overlapping none
    found: int = 0  # truth indicators overlapped by a flag of their category
    truth: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.found += other.found
        self.truth += other.truth


@dataclass
class Evaluation:
    split: str
    dialogs: int = 0
    categories: dict[str, Counts] = field(default_factory=dict)
    places_truth: int = 0
    places_correct: int = 0
    places_found: int = 0  # truth places with any overlapping place entity
    places_extra: int = 0  # gazetteer places where the truth has none
    hard_negative_flags: int = 0  # flags in dialogs without any indicator
    # (transmission, category) pairs: a pair with a flag is a tp when the transmission holds an
    # indicator of that category, else an fp; found/truth count the pairs holding an indicator. The
    # unit an analyst reviews (a flag sends them to the transmission), less strict about the span.
    transmissions: Counts = field(default_factory=Counts)
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def overall(self) -> Counts:
        total = Counts()
        for counts in self.categories.values():
            total.add(counts)
        return total

    @property
    def geocoding_accuracy(self) -> float | None:
        return self.places_correct / self.places_truth if self.places_truth else None


def dialog_language(dialog: Any) -> str:
    """The language detected once over the whole dialog (as speech recognition labels a window of
    transmissions): ru, uk or en; Russian when undecided."""
    from audita.text import detect_language

    language = detect_language(" ".join(t.text for t in dialog.transmissions))
    return language if language in ("ru", "uk", "en") else "ru"


def dialog_transcript(dialog: Any) -> dict[str, Any]:
    """An ``audita.speech/1``-shaped transcript of a scripted dialog (no timings), labelled with
    ``dialog_language``."""
    language = dialog_language(dialog)
    return {"schema": "audita.speech/1", "transmissions": [
        {"index": n, "text": t.text, "language": language, "words": [], "unintelligible": False}
        for n, t in enumerate(dialog.transmissions)]}


def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def evaluate_dialogs(dialogs: Sequence[Any], split: str, options: AnalysisOptions | None = None,
                     keep_details: bool = True) -> Evaluation:
    from audita.corpus.dialogs import CATEGORIES

    options = options or AnalysisOptions()
    result = Evaluation(split, categories={c: Counts() for c in CATEGORIES})
    for dialog in dialogs:
        result.dialogs += 1
        output = analyze_transcript(dialog_transcript(dialog), options).to_dict()
        has_truth = any(t.indicators for t in dialog.transmissions)
        for n, tx in enumerate(dialog.transmissions):
            flags = [f for f in output["flags"] if f["transmission"] == n]
            for flag in flags:
                counts = result.categories.setdefault(flag["category"], Counts())
                if any(i.category == flag["category"] and _overlap(flag["char_start"], flag["char_end"], i.char_start,
                                                                     i.char_end) for i in tx.indicators):
                    counts.tp += 1
                else:
                    counts.fp += 1
                    if not has_truth:
                        result.hard_negative_flags += 1
                    if keep_details:
                        result.false_flags.append({"dialog": dialog.dialog_id, "transmission": n,
                                                   "category": flag["category"], "rule": flag["rule"]})
            flagged = {f["category"] for f in flags}
            annotated = {i.category for i in tx.indicators}
            result.transmissions.add(Counts(tp=len(flagged & annotated), fp=len(flagged - annotated),
                                            found=len(flagged & annotated), truth=len(annotated)))
            for indicator in tx.indicators:
                counts = result.categories.setdefault(indicator.category, Counts())
                counts.truth += 1
                if any(f["category"] == indicator.category and _overlap(f["char_start"], f["char_end"], indicator.char_start,
                                                                       indicator.char_end) for f in flags):
                    counts.found += 1
                elif keep_details:
                    result.misses.append({"dialog": dialog.dialog_id, "transmission": n, "category": indicator.category})
            places = [e for e in output["entities"] if e["transmission"] == n and e["type"] == "place"
                      and e.get("place") and e["place"].get("lat") is not None]
            for truth in tx.places:
                result.places_truth += 1
                hits = [p for p in places if _overlap(p["char_start"], p["char_end"], truth.char_start, truth.char_end)]
                if hits:
                    result.places_found += 1
                    if distance_km(hits[0]["place"]["lat"], hits[0]["place"]["lon"], truth.lat, truth.lon) <= GEOCODE_KM:
                        result.places_correct += 1
            for place in places:
                if not any(_overlap(place["char_start"], place["char_end"], t.char_start, t.char_end) for t in tx.places):
                    result.places_extra += 1
    return result


def evaluate_split(split: str, options: AnalysisOptions | None = None, keep_details: bool = True) -> Evaluation:
    """Evaluate on the packaged dialog scripts of ``split`` ("dev" or "heldout")."""
    from audita.corpus.dialogs import load_dialogs

    return evaluate_dialogs(load_dialogs(split), split, options, keep_details)



def authored_dialogs(directory: Any) -> list[Any]:
    """The hand-written training exchanges (``tests/analysis/training/*.json``) as dialogs: the
    context turns, then the target turn with its indicator spans. Development material (the learned
    signal is trained on it): figures on it are in-sample for the classifier."""
    import json
    from pathlib import Path

    from audita.corpus.dialogs import parse_dialog

    out = []
    for path in sorted(Path(directory).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data["items"]:
            turns = [{"speaker": "a", "text": t} for t in item.get("context", []) if t.strip()]
            turns.append({"speaker": "a", "text": item["text"], "indicators": item["indicators"]})
            out.append(parse_dialog({"id": item["id"], "split": "dev", "channel": "radio",
                                     "speakers": {"a": {"id": "a"}}, "transmissions": turns}))
    return out


def evaluate_authored(directory: Any, options: AnalysisOptions | None = None, keep_details: bool = True) -> Evaluation:
    return evaluate_dialogs(authored_dialogs(directory), "authored", options, keep_details)
