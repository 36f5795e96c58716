"""Pluggable benchmark sections. A section turns the corpus (and cached system outputs) into rows.

Later stages register more sections (indicator precision/recall per category, geocoding accuracy,
speaker clustering purity, near-duplicate recall) with `@register_section("name")`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from audita.bench.metrics import ErrorCount, char_errors, word_errors
from audita.bench.systems import Transcriber, Transcription
from audita.bench.table import NOT_AVAILABLE, Row, compared
from audita.corpus.truth import ItemTruth

ProgressHook = Callable[[str, str], None]  # (system name, item id)


@dataclass
class BenchContext:
    """What sections share: the corpus, the systems, and transcripts computed so far."""

    corpus_dir: Path
    items: list[ItemTruth]
    baseline: Transcriber | None
    system: Transcriber | None
    system_label: str = "audita"
    system_unavailable: str = ""
    on_progress: ProgressHook | None = None
    transcripts: dict[tuple[str, str], Transcription] = field(default_factory=dict)

    def transcript(self, who: Transcriber, item: ItemTruth) -> Transcription:
        key = (who.name, item.item_id)
        if key not in self.transcripts:
            if self.on_progress is not None:
                self.on_progress(who.name, item.item_id)
            self.transcripts[key] = who.transcribe(self.corpus_dir / item.audio)
        return self.transcripts[key]


Section = Callable[[BenchContext], list[Row]]
SECTIONS: dict[str, Section] = {}
# Sections whose module is imported only when asked for by name (heavy or optional dependencies).
ON_REQUEST: dict[str, str] = {
    "scaleout": "audita.distributed.bench",
    "search": "audita.search.bench",
    "near_duplicates": "audita.search.bench",
    "analysis-indicators": "audita.analysis.bench",
    "analysis-geocoding": "audita.analysis.bench",
    "analysis-asr": "audita.analysis.bench",
}
# Where each section's method and reading are described.
SECTION_DOCS: dict[str, str] = {
    "speech": "docs/speech.md",
    "analysis-indicators": "docs/analysis.md",
    "analysis-geocoding": "docs/analysis.md",
    "analysis-asr": "docs/analysis.md",
    "search": "docs/search.md",
    "near_duplicates": "docs/search.md",
    "scaleout": "docs/deployment.md",
}


# Sections that read only text (dialog scripts, gazetteer): a run of these alone builds no speech system.
TEXT_ONLY: set[str] = set()


def register_section(name: str, *, text_only: bool = False) -> Callable[[Section], Section]:
    """Register a section; ``text_only`` says it never uses ``ctx.baseline`` or ``ctx.system``."""

    def add(section: Section) -> Section:
        SECTIONS[name] = section
        if text_only:
            TEXT_ONLY.add(name)
        else:
            TEXT_ONLY.discard(name)
        return section

    return add


def subset_of(item: ItemTruth) -> str:
    return "long" if item.kind == "long" else item.channel


@dataclass
class _Totals:
    words: ErrorCount = ErrorCount(0, 0)
    chars: ErrorCount = ErrorCount(0, 0)
    seconds: float = 0.0
    audio: float = 0.0

    def add(self, item: ItemTruth, t: Transcription) -> None:
        self.words = self.words + word_errors(item.reference_text, t.text)
        self.chars = self.chars + char_errors(item.reference_text, t.text)
        self.seconds += t.elapsed_s
        self.audio += item.duration

    def figures(self) -> dict[str, float]:
        return {"WER": self.words.rate, "CER": self.chars.rate,
                "RTF": self.seconds / self.audio if self.audio else 0.0}


def _totals(ctx: BenchContext, who: Transcriber, items: list[ItemTruth]) -> dict[str, dict[str, float]]:
    by_subset: dict[str, _Totals] = {}
    overall = _Totals()
    for item in items:
        t = ctx.transcript(who, item)
        by_subset.setdefault(subset_of(item), _Totals()).add(item, t)
        overall.add(item, t)
    out = {name: totals.figures() for name, totals in sorted(by_subset.items())}
    out["all"] = overall.figures()
    return out


@register_section("speech")
def speech_section(ctx: BenchContext) -> list[Row]:
    """Corpus-pooled WER, CER and real-time factor per channel, Audita against plain faster-whisper."""
    items = [i for i in ctx.items if i.kind in ("dialog", "long")]
    if not items:
        return []
    base = _totals(ctx, ctx.baseline, items) if ctx.baseline is not None else {}
    ours = _totals(ctx, ctx.system, items) if ctx.system is not None else {}
    subsets = list(dict.fromkeys([*base, *ours]))
    rows: list[Row] = []
    for metric in ("WER", "CER", "RTF"):
        for subset in subsets:
            b = base.get(subset, {}).get(metric)
            if ctx.baseline is not None:
                rows.append(Row("speech", metric, subset, ctx.baseline.name, b))
            if ctx.system is not None:
                rows.append(compared("speech", metric, subset, ctx.system_label, ours[subset][metric], b))
            else:
                rows.append(compared("speech", metric, subset, ctx.system_label, None, b, note=NOT_AVAILABLE))
    return rows
