"""Benchmark rows: each figure next to its baseline and the ratio between them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NOT_AVAILABLE = "not available"


@dataclass(frozen=True)
class Row:
    section: str
    metric: str
    subset: str
    system: str
    value: float | None
    baseline: float | None = None
    ratio: float | None = None
    note: str = ""


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline; None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


def compared(section: str, metric: str, subset: str, system: str, value: float | None,
             baseline: float | None, note: str = "") -> Row:
    return Row(section, metric, subset, system, value, baseline, ratio(value, baseline), note)


def format_number(value: float | None, empty: str = "") -> str:
    if value is None:
        return empty
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3f}"


def cells(row: Row) -> list[str]:
    value = format_number(row.value, "n/a")
    return [row.section, row.metric, row.subset, row.system, value,
            format_number(row.baseline, "—"), format_number(row.ratio, "—"), row.note]


HEADER = ["section", "metric", "subset", "system", "value", "baseline", "ratio", "note"]


def to_markdown(rows: Iterable[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(row)) + " |")
    return "\n".join(lines) + "\n"
