"""`audita bench --section scaleout`: items per minute, local engine vs Ray, on this machine.

Two batches of corpus dialogs are ingested into a throwaway SQLite installation (one case per
run). The local engine processes both batches as ``audita process`` does (models loaded per
item). Ray processes the first batch in a fresh local instance (start-up, worker start and model
loads included: "cold") and then the second batch in the same instance (models already loaded in
the workers: "warm"). Every stage output of every item is compared between the engines, and
against a second, untimed local run (the local engine's own reproducibility).
Loaded only when the section is asked for (it imports Ray).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from audita.bench.sections import BenchContext, register_section
from audita.bench.table import Row, compared
from audita.cases import create_case
from audita.config import Settings
from audita.corpus.truth import ItemTruth
from audita.derived import history
from audita.distributed.driver import RayOptions, process_items, ray_session
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.speech.pipeline import PipelineOptions
from audita.speech.service import process_item
from audita.workspace import Workspace

SECTION = "scaleout"
ACTOR = "bench:scaleout"


@dataclass(frozen=True)
class ScaleoutOptions:
    batch_items: int = 3  # items per batch; two batches are timed
    local_cpus: int | None = None  # the Ray instance's CPUs (all when None)


def _pipeline_options(ctx: BenchContext) -> PipelineOptions:
    # the bench's own Audita system carries the model and thread count chosen on the command line
    chosen = getattr(ctx.system, "_options", None)
    return chosen if isinstance(chosen, PipelineOptions) else PipelineOptions()


def _ingest(workspace: Workspace, case_name: str, corpus: Path, items: list[ItemTruth]) -> list[str]:
    create_case(workspace, case_name, actor=ACTOR)
    paths = [corpus / item.audio for item in items]
    ingest_paths(workspace, case_name, paths, actor=ACTOR)
    by_name = {i.display_name: i.id for i in list_items(workspace, case_name)}
    return [by_name[p.name] for p in paths]


def _stage_hashes(workspace: Workspace, item_id: str) -> dict[str, str]:
    with workspace.reading() as connection:
        return {d.provenance.stage: d.output_sha256 for d in history(connection, item_id)}


def _compare(workspace: Workspace, labels: list[str], reference: list[str],
             other: list[str]) -> tuple[int, int, list[str]]:
    """How many stage outputs of ``other`` equal ``reference``'s, and which differ ("label stage")."""
    same = total = 0
    differ: list[str] = []
    for label, ref_id, other_id in zip(labels, reference, other):
        mine, theirs = _stage_hashes(workspace, other_id), _stage_hashes(workspace, ref_id)
        total += len(theirs)
        for stage, sha in theirs.items():
            if mine.get(stage) == sha:
                same += 1
            else:
                differ.append(f"{label} {stage}")
    return same, total, differ


def _per_minute(count: int, seconds: float) -> float | None:
    return 60.0 * count / seconds if seconds > 0 else None


def measure(ctx: BenchContext, options: ScaleoutOptions = ScaleoutOptions()) -> list[Row]:
    dialogs = [i for i in ctx.items if i.kind != "long"] or list(ctx.items)
    size = max(1, min(options.batch_items, len(dialogs) // 2 or 1))
    first, second = dialogs[:size], dialogs[size:2 * size]
    pipeline = _pipeline_options(ctx)
    subset = f"{len(first) + len(second)} dialogs"
    with tempfile.TemporaryDirectory(prefix="audita-scaleout-") as tmp:
        workspace = Workspace.open(Settings(home=Path(tmp) / "home"))
        try:
            local_ids = _ingest(workspace, "local", ctx.corpus_dir, first + second)
            ray_first = _ingest(workspace, "ray-cold", ctx.corpus_dir, first)
            ray_second = _ingest(workspace, "ray-warm", ctx.corpus_dir, second) if second else []
            audio_min = sum(i.duration for i in first + second) / 60.0

            began = time.perf_counter()
            for item_id in local_ids:
                process_item(workspace, item_id, actor=ACTOR, options=pipeline)
            local_s = time.perf_counter() - began

            ray_options = RayOptions(local_cpus=options.local_cpus or os.cpu_count())
            began = time.perf_counter()
            with ray_session(ray_options):
                started_s = time.perf_counter() - began
                process_items(workspace, ray_first, actor=ACTOR, options=pipeline, ray_options=ray_options)
                cold_s = time.perf_counter() - began
                began = time.perf_counter()
                if ray_second:
                    process_items(workspace, ray_second, actor=ACTOR, options=pipeline, ray_options=ray_options)
                warm_s = time.perf_counter() - began

            repeat_ids = _ingest(workspace, "local-repeat", ctx.corpus_dir, first + second)
            for item_id in repeat_ids:  # untimed: how reproducible is the local engine itself?
                process_item(workspace, item_id, actor=ACTOR, options=pipeline)
            labels = [i.item_id for i in first + second]
            ray_same, ray_total, ray_differ = _compare(workspace, labels, local_ids, ray_first + ray_second)
            rep_same, rep_total, rep_differ = _compare(workspace, labels, local_ids, repeat_ids)
        finally:
            workspace.close()

    local_rate = _per_minute(len(local_ids), local_s)
    cpus = options.local_cpus or os.cpu_count()
    rows = [
        compared(SECTION, "items/min", subset, "local engine", local_rate, None,
                 f"{local_s:.1f} s for {len(local_ids)} items, {audio_min:.1f} min audio; models loaded per item"),
        compared(SECTION, "items/min", f"{len(first)} dialogs", f"ray cold ({cpus} CPUs)",
                 _per_minute(len(ray_first), cold_s), local_rate,
                 f"{cold_s:.1f} s incl. {started_s:.1f} s Ray start, worker start and model loads"),
    ]
    if ray_second:
        rows.append(compared(SECTION, "items/min", f"{len(second)} dialogs", f"ray warm ({cpus} CPUs)",
                             _per_minute(len(ray_second), warm_s), local_rate,
                             f"{warm_s:.1f} s; same instance, models cached in the workers"))
    for system, same, total, differ in (("local vs local (repeat)", rep_same, rep_total, rep_differ),
                                        ("ray vs local", ray_same, ray_total, ray_differ)):
        rows.append(Row(SECTION, "identical stage outputs", subset, system, same / total if total else None,
                        note=f"{same}/{total} stage output sha256 equal"
                        + (f"; differ: {', '.join(differ)}" if differ else "")))
    return rows


@register_section(SECTION)
def scaleout_section(ctx: BenchContext) -> list[Row]:
    return measure(ctx)
