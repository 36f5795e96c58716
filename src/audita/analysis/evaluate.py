"""Per-category precision/recall of the rules against ground-truth corpus items (``corpus/*/truth``).

Truth transmissions are deduplicated by text (clean/radio/phone variants share it). A flag is a true
positive when a truth indicator of the same category overlaps its character span.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audita.analysis.pipeline import AnalysisOptions, analyze_text


def evaluate(truth_dir: Path, options: AnalysisOptions | None = None) -> dict[str, dict[str, Any]]:
    """{category: {"tp", "fp", "fn", "precision", "recall"}} plus an "all" row."""
    options = options or AnalysisOptions(places=False, entities=False)
    seen: set[str] = set()
    counts: dict[str, dict[str, int]] = {}

    def row(category: str) -> dict[str, int]:
        return counts.setdefault(category, {"tp": 0, "fp": 0, "fn": 0})

    for path in sorted(truth_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for tx in data.get("transmissions", []):
            text = tx.get("text") or ""
            if not text or text in seen:
                continue
            seen.add(text)
            truth = tx.get("indicators", [])
            flags = analyze_text(text, tx.get("language") or "ru", options).flags
            matched_truth: set[int] = set()
            for flag in flags:
                hit = next((n for n, t in enumerate(truth) if t["category"] == flag["category"]
                            and t["char_start"] < flag["char_end"] and flag["char_start"] < t["char_end"]), None)
                if hit is None:
                    row(flag["category"])["fp"] += 1
                else:
                    row(flag["category"])["tp"] += 1
                    matched_truth.add(hit)
            for n, t in enumerate(truth):
                if n not in matched_truth:
                    row(t["category"])["fn"] += 1
    total = {"tp": 0, "fp": 0, "fn": 0}
    for c in counts.values():
        for k in total:
            total[k] += c[k]
    result: dict[str, dict[str, Any]] = {}
    for category, c in sorted(counts.items()) + [("all", total)]:
        predicted, actual = c["tp"] + c["fp"], c["tp"] + c["fn"]
        result[category] = {**c, "precision": round(c["tp"] / predicted, 3) if predicted else None,
                            "recall": round(c["tp"] / actual, 3) if actual else None}
    return result
