"""Table, ratios and the section registry, with fake systems (no model)."""

from pathlib import Path

import pytest

from audita.bench import runner
from audita.bench.runner import BenchOptions, BenchReport, report_markdown, run_bench
from audita.bench.sections import SECTIONS, register_section
from audita.bench.systems import SystemUnavailable, Transcription
from audita.bench.table import Row, compared, format_number, ratio, to_markdown
from audita.corpus import load_index, load_item

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "dev"
needs_corpus = pytest.mark.skipif(not (CORPUS / "index.json").exists(), reason="corpus/dev not generated")


def test_ratio_and_formatting():
    assert ratio(0.2, 0.4) == pytest.approx(0.5)
    assert ratio(None, 0.4) is None and ratio(0.2, None) is None and ratio(0.2, 0.0) is None
    row = compared("speech", "WER", "radio", "audita", 0.3, 0.6)
    assert row.ratio == pytest.approx(0.5)
    assert format_number(0.12345) == "0.123" and format_number(None, "n/a") == "n/a"
    md = to_markdown([row, Row("speech", "WER", "radio", "fw", None, 0.6, None, "not available")])
    lines = md.strip().splitlines()
    assert lines[0].startswith("| section | metric | subset | system | value | baseline | ratio |")
    assert "| speech | WER | radio | audita | 0.300 | 0.600 | 0.500 |" in lines[2]
    assert "| n/a | 0.600 | — | not available |" in lines[3]


class Fake:
    """Answers from the ground truth: perfect, or dropping every other word; takes fixed time."""

    def __init__(self, name: str, truths: dict[str, str], *, drop: bool, seconds: float) -> None:
        self.name = name
        self.truths = truths
        self.drop = drop
        self.seconds = seconds
        self.calls: list[Path] = []

    def transcribe(self, path: Path) -> Transcription:
        self.calls.append(path)
        words = self.truths[path.name].split()
        if self.drop:
            words = words[::2]
        return Transcription(" ".join(words), self.seconds)


def _truths(limit: int) -> dict[str, tuple[str, float]]:
    index = load_index(CORPUS)
    items = [load_item(CORPUS, e) for e in index.items if e.kind in ("dialog", "long")][:limit]
    return {Path(i.audio).name: (i.reference_text, i.duration) for i in items}


@needs_corpus
def test_speech_section_compares_system_with_baseline():
    truths = _truths(3)
    texts = {k: v[0] for k, v in truths.items()}
    baseline = Fake("fw", texts, drop=True, seconds=2.0)
    system = Fake("audita", texts, drop=False, seconds=1.0)
    report = run_bench(BenchOptions(corpus=CORPUS, limit=3, sections=("speech",)), baseline=baseline, system=system)
    assert len(baseline.calls) == 3 and len(system.calls) == 3
    rows = {(r.metric, r.subset, r.system): r for r in report.rows}
    assert {s for _, s, _ in rows} == {"clean", "radio", "phone", "all"}
    ours = rows[("WER", "all", "audita")]
    base = rows[("WER", "all", "fw")]
    assert ours.value == 0.0 and 0.4 < base.value < 0.6 and ours.baseline == base.value and ours.ratio == 0.0
    audio = sum(d for _, d in truths.values())
    assert rows[("RTF", "all", "fw")].value == pytest.approx(6.0 / audio)
    assert rows[("RTF", "all", "audita")].ratio == pytest.approx(0.5)
    md = report_markdown(report, "audita bench --corpus corpus/dev")
    assert "| speech | RTF | all | audita |" in md and "threads: 2" in md and "3 items" in md


@needs_corpus
def test_unavailable_audita_still_reports_baseline(monkeypatch):
    def missing(*_args, **_kwargs):
        raise SystemUnavailable("audita.speech.pipeline: not written yet")

    monkeypatch.setattr(runner, "AuditaSpeech", missing)
    texts = {k: v[0] for k, v in _truths(2).items()}
    report = run_bench(BenchOptions(corpus=CORPUS, limit=2, sections=("speech",)),
                       baseline=Fake("fw", texts, drop=False, seconds=1.0))
    ours = [r for r in report.rows if r.system == "audita"]
    assert ours and all(r.value is None and r.note == "not available" for r in ours)
    assert all(r.baseline is not None for r in ours)
    assert "not written yet" in report_markdown(report)


@needs_corpus
def test_registered_sections_add_rows():
    @register_section("test-near-dup")
    def near_dup(ctx):
        return [Row("near-dup", "recall", "all", "audita", float(len(ctx.items)))]

    try:
        texts = {k: v[0] for k, v in _truths(1).items()}
        # every section but the two text-only analysis ones (each evaluates all dialog splits, minutes of CPU;
        # tests/analysis/test_bench_cli.py runs them on three splits)
        sections = tuple(n for n in SECTIONS if n not in ("analysis-indicators", "analysis-geocoding"))
        assert "test-near-dup" in sections and "speech" in sections
        report = run_bench(BenchOptions(corpus=CORPUS, limit=1, sections=sections),
                           baseline=Fake("fw", texts, drop=False, seconds=1.0),
                           system=Fake("audita", texts, drop=False, seconds=1.0))
        assert [r.value for r in report.rows if r.section == "near-dup"] == [1.0]
        assert any(r.section == "speech" for r in report.rows)
        with pytest.raises(ValueError):
            run_bench(BenchOptions(corpus=CORPUS, sections=("nope",)), baseline=Fake("fw", texts, drop=False, seconds=1.0),
                      system=Fake("audita", texts, drop=False, seconds=1.0))
    finally:
        SECTIONS.pop("test-near-dup")


def _report(rows: tuple[Row, ...], date: str) -> BenchReport:
    return BenchReport(rows=rows, date=date, machine={"cpu": "test cpu"}, model=None, threads=2,
                       corpus="corpus/dev", corpus_seed=1, items=3, audio_seconds=60.0, system_note="")


def test_out_file_keeps_sections_the_run_did_not_measure():
    first = _report((Row("speech", "WER", "all", "audita", 0.3), Row("search", "recall", "q", "audita", 0.9)),
                    "2026-01-01 00:00 UTC")
    doc = report_markdown(first, "audita bench")
    assert doc.count("<!-- audita-bench section:") == 2 and "method and reading: docs/search.md" in doc
    second = _report((Row("search", "recall", "q", "audita", 0.5),), "2026-02-02 00:00 UTC")
    merged = report_markdown(second, "audita bench --section search", doc)
    speech, search = merged.split("## search")
    assert "| speech | WER | all | audita | 0.300 |" in speech and "2026-01-01" in speech
    assert "| search | recall | q | audita | 0.500 |" in search and "2026-02-02" in search
    assert "0.900" not in merged and "2026-01-01" not in search
    # merging again with the same run changes nothing
    assert report_markdown(second, "audita bench --section search", merged) == merged


@needs_corpus
def test_text_only_sections_build_no_speech_system(monkeypatch):
    def forbidden(*_args, **_kwargs):
        raise AssertionError("a text-only run must not locate a model or build a speech system")

    monkeypatch.setattr(runner, "locate_model", forbidden)
    monkeypatch.setattr(runner, "AuditaSpeech", forbidden)

    @register_section("test-text-only", text_only=True)
    def text_only(ctx):
        return [Row("test-text-only", "count", "all", "audita", 1.0 if ctx.baseline is None else 0.0)]

    try:
        report = run_bench(BenchOptions(corpus=CORPUS, limit=1, sections=("test-text-only",)))
        assert [r.value for r in report.rows] == [1.0]
        assert report.text_only and report.model is None and report.system_note == ""
        assert "- model: none (text-only sections)" in report_markdown(report)
        with pytest.raises(AssertionError, match="text-only run"):  # a speech section still needs the model
            run_bench(BenchOptions(corpus=CORPUS, limit=1, sections=("test-text-only", "speech")))
    finally:
        SECTIONS.pop("test-text-only")
        runner.TEXT_ONLY.discard("test-text-only")
