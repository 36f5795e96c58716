"""`audita bench` sections for analysis (registered when this module is imported; the analysis CLI
imports it, so `audita bench` lists them):

- ``analysis-indicators``: precision and recall per indicator category on the dialog scripts'
  ground-truth text, per split (no speech recognition needed): ``dev`` (what the rules were written
  against), ``heldout`` (the first held-out set: measured twice, then retired to development material
  on 2026-12-06), ``heldout2`` to ``heldout17`` (each by an independent author, measured once, then
  retired the same way: rules were revised from the misses of most and all are in the learned signal's
  training, so their figures are no longer a fair measure; ``RETIRED`` says which) and the newest
  measured set, ``heldout18``, written by an author who saw neither the rules, nor the training
  material, nor the other dialogs: the honest measure. Beside the span figures, each split has a
  per-transmission pair (a flag of the category in a transmission that holds an indicator of it),
  the unit an analyst reviews.
- ``analysis-geocoding``: share of truth places resolved within 5 km, and places found where the
  truth has none.
- ``analysis-asr`` (only with ``AUDITA_BENCH_ANALYSIS_ASR=1``): the same indicator figures per
  category on Audita's own transcripts of the corpus items, at item level (category present or not).
"""

from __future__ import annotations

import os
from typing import Any

from audita.bench.sections import BenchContext, register_section
from audita.bench.table import NOT_AVAILABLE, Row

SPLITS = ("dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8",
          "heldout9", "heldout10", "heldout11", "heldout12", "heldout13", "heldout14", "heldout15", "heldout16",
          "heldout17", "heldout18")
RETIRED = {"heldout": "retired to development 2026-12-06 (in training)",
           **{split: "measured once, then retired to development 2026-12-06 (in training)"
              for split in ("heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8")},
           **{split: "measured once, then retired to development 2026-12-07 (in training)"
              for split in ("heldout9", "heldout10", "heldout11", "heldout12", "heldout13", "heldout14", "heldout15",
                            "heldout16", "heldout17")}}
SYSTEM = "audita-analysis"
ASR_FLAG = "AUDITA_BENCH_ANALYSIS_ASR"


def _options(embeddings: bool = True) -> Any:
    from audita.analysis.pipeline import AnalysisOptions

    return AnalysisOptions(embeddings=embeddings)


_CACHE: dict[str, Any] = {}


def _evaluation(split: str) -> Any:
    from audita.analysis.evaluate import evaluate_split

    if split not in _CACHE:
        _CACHE[split] = evaluate_split(split, _options(), keep_details=False)
    return _CACHE[split]


def _note(tp: int, fp: int, found: int, truth: int, split: str = "") -> str:
    note = f"tp={tp} fp={fp} found={found}/{truth}"
    return f"{note}; {RETIRED[split]}" if split in RETIRED else note


@register_section("analysis-indicators", text_only=True)
def indicators_section(ctx: BenchContext) -> list[Row]:
    """Indicator precision/recall per category, dev and heldout, on ground-truth text."""
    rows: list[Row] = []
    for split in SPLITS:
        evaluation = _evaluation(split)
        categories = sorted(c for c, n in evaluation.categories.items() if n.truth or n.tp or n.fp)
        for category in [*categories, "all"]:
            counts = evaluation.overall if category == "all" else evaluation.categories[category]
            note = _note(counts.tp, counts.fp, counts.found, counts.truth, split)
            rows.append(Row("analysis-indicators", "precision", f"{split}/{category}", SYSTEM, counts.precision, note=note))
            rows.append(Row("analysis-indicators", "recall", f"{split}/{category}", SYSTEM, counts.recall, note=note))
        pairs = evaluation.transmissions
        note = _note(pairs.tp, pairs.fp, pairs.found, pairs.truth, split) + "; (transmission, category) pairs"
        rows.append(Row("analysis-indicators", "precision per transmission", f"{split}/all", SYSTEM, pairs.precision,
                        note=note))
        rows.append(Row("analysis-indicators", "recall per transmission", f"{split}/all", SYSTEM, pairs.recall,
                        note=note))
        rows.append(Row("analysis-indicators", "hard-negative flags", f"{split}/all", SYSTEM,
                        float(evaluation.hard_negative_flags), note="flags in dialogs that have no indicator"))
    return rows


@register_section("analysis-geocoding", text_only=True)
def geocoding_section(ctx: BenchContext) -> list[Row]:
    """Places resolved to the right coordinates (within 5 km), dev and heldout."""
    rows: list[Row] = []
    for split in SPLITS:
        e = _evaluation(split)
        rows.append(Row("analysis-geocoding", "accuracy (<=5 km)", split, SYSTEM, e.geocoding_accuracy,
                        note=f"{e.places_correct}/{e.places_truth} places; {e.places_found} found"))
        rows.append(Row("analysis-geocoding", "extra places", split, SYSTEM, float(e.places_extra),
                        note="gazetteer places where the truth has none"))
    return rows


@register_section("analysis-asr")
def asr_section(ctx: BenchContext) -> list[Row]:
    """Item-level category precision/recall on Audita's transcripts (opt-in: it needs the ASR runs)."""
    if os.environ.get(ASR_FLAG) != "1":
        return []
    from audita.analysis.pipeline import analyze_transcript

    if ctx.system is None:
        return [Row("analysis-asr", "recall", "all", SYSTEM, None, note=NOT_AVAILABLE)]
    totals: dict[str, dict[str, int]] = {}
    for item in ctx.items:
        if item.kind != "dialog":
            continue
        transcription = ctx.transcript(ctx.system, item)
        transcript = {"schema": "audita.speech/1", "transmissions": [
            {"index": n, "text": text, "start": start, "end": end, "words": []}
            for n, (start, end, text) in enumerate(transcription.segments)]}
        flagged = {f["category"] for f in analyze_transcript(transcript, _options()).to_dict()["flags"]}
        truth = {i.category for t in item.transmissions for i in t.indicators}
        for category in flagged | truth:
            counts = totals.setdefault(category, {"tp": 0, "fp": 0, "fn": 0})
            if category in flagged and category in truth:
                counts["tp"] += 1
            elif category in flagged:
                counts["fp"] += 1
            else:
                counts["fn"] += 1
    overall = {k: sum(c[k] for c in totals.values()) for k in ("tp", "fp", "fn")}
    rows: list[Row] = []
    for category in [*sorted(totals), "all"]:
        c = overall if category == "all" else totals[category]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        note = f"items tp={c['tp']} fp={c['fp']} fn={c['fn']}"
        rows.append(Row("analysis-asr", "precision", category, SYSTEM, precision, note=note))
        rows.append(Row("analysis-asr", "recall", category, SYSTEM, recall, note=note))
    return rows
