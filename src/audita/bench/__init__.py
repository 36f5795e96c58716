"""Benchmarks over the simulated corpus: rows of (section, metric, subset, system, value, baseline, ratio)."""

from audita.bench.metrics import cer, char_errors, edit_distance, normalise, wer, word_errors
from audita.bench.runner import BenchOptions, BenchReport, report_markdown, run_bench
from audita.bench.sections import SECTIONS, BenchContext, register_section
from audita.bench.table import Row, ratio, to_markdown

__all__ = [
    "SECTIONS",
    "BenchContext",
    "BenchOptions",
    "BenchReport",
    "Row",
    "cer",
    "char_errors",
    "edit_distance",
    "normalise",
    "ratio",
    "register_section",
    "report_markdown",
    "run_bench",
    "to_markdown",
    "wer",
    "word_errors",
]
