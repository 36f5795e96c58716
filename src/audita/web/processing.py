"""What background jobs run: speech processing of a recording (then its analysis) and case export.

A *processor* turns a stored recording into derivations; the default one calls
``audita.speech.service.process_item`` and then ``audita.analysis.service.analyze_item``.
``speech_processor`` builds one with other speech adapters or analysis options (tests use the
real pipeline with fake model adapters, or a fake processor with the same shape)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audita.analysis.pipeline import AnalysisOptions
from audita.web.jobs import Report
from audita.workspace import Workspace

Processor = Callable[[Workspace, str, str, Report], None]  # (workspace, item_id, actor, report)
SPEECH_STAGES = ("load", "segment", "transcribe", "translate", "speakers", "transcript")


def speech_processor(*, engine: Any = None, speaker_backend: Any = None,
                     analysis: AnalysisOptions | None = None) -> Processor:
    """Speech processing followed by analysis. ``engine`` and ``speaker_backend`` replace the
    speech models (None: the installed ones); ``analysis`` the analysis options."""

    def process(workspace: Workspace, item_id: str, actor: str, report: Report) -> None:
        from audita.speech.service import process_item  # loads the speech stack only when used

        def progress(event: Any) -> None:
            stage = str(getattr(event, "stage", ""))
            done, total = getattr(event, "done", 0), getattr(event, "total", 0) or 1
            position = SPEECH_STAGES.index(stage) if stage in SPEECH_STAGES else 0
            report((position + min(1.0, done / total)) / len(SPEECH_STAGES) * 0.95, stage or "working")

        report(0.0, "loading audio and models")
        process_item(workspace, item_id, actor=actor, progress=progress, engine=engine,
                     speaker_backend=speaker_backend)
        report(0.95, "analysis")
        analyze(workspace, item_id, actor, analysis)

    return process


def analyze(workspace: Workspace, item_id: str, actor: str, options: AnalysisOptions | None = None) -> str:
    """Analyse the item's current transcript (an identical earlier analysis is reused); its row id."""
    from audita.analysis.service import analyze_item

    return analyze_item(workspace, item_id, actor=actor, options=options).id


def default_processor() -> Processor:
    """The installed speech models, then analysis with its default options."""
    return speech_processor()


def export_name(case_id: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{case_id}-{stamp}-{secrets.token_hex(4)}"


def export_work(workspace: Workspace, case_id: str, actor: str, exports_dir: Path) -> Callable[[Report], dict[str, Any]]:
    def work(report: Report) -> dict[str, Any]:
        from audita.export.package import export_case

        exports_dir.mkdir(parents=True, exist_ok=True)
        name = export_name(case_id)
        report(0.1, "writing the package")
        result = export_case(workspace, case_id, exports_dir / name, actor=actor)
        return {"zip": result.zip_path.name, "files": result.file_count, "manifest_sha256": result.manifest_sha256}

    return work
