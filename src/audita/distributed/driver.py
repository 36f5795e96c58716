"""`audita process --engine ray`: the speech stages as Ray tasks, recorded by one driver.

The driver does what ``audita.speech.service.process_item`` does, stage for stage, with the same
provenance (input hashes, engine strings, options, model identity) and the same recording step
(reuse check, derivation row and custody entry in one write transaction). Only the computation of a
stage moves: it becomes a Ray task with a CPU/GPU request that reads the original from the shared
blob store and returns the stage output. Workers never write to the store, so the database keeps a
single writer and the outputs are byte-identical to the local engine's.

Parallelism: several items are in flight at once (one driver thread each); within an item,
``speakers`` (which needs only ``segment``) runs beside ``transcribe`` and ``translate``. A stage
that can be reused is never submitted, so an interrupted run resumes where it stopped, whichever
engine ran it first.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


from audita.derived import Derivation, Provenance, find_reusable
from audita.distributed import tasks
from audita.distributed.factories import EngineFactory, ResemblyzerFactory, SpeakerFactory, WhisperEngineFactory
from audita.errors import AuditaError
from audita.speech.asr import Transcription
from audita.speech.models import ResolvedModel, resolve_model
from audita.speech.pipeline import PIPELINE_VERSION, PipelineOptions, ProgressCallback, Stage
from audita.speech.segment import Segmentation
from audita.speech.service import ProcessResult, _inputs_sha256, _Run, _version, record_transcript
from audita.speech.speakers import Speakers
from audita.speech.translate import Translation
from audita.workspace import Workspace


class RayUnavailable(AuditaError):
    """Ray is not installed or the cluster cannot be reached."""


@dataclass(frozen=True)
class RayOptions:
    """Where the tasks run and what each asks for.

    ``address`` None starts a private local Ray instance for the run (``local_cpus`` CPUs, all when
    None); "auto" or "HOST:PORT" joins a running cluster. CPU requests of None mean the pipeline's
    ``cpu_threads`` (the models use that many threads). ``asr_gpus`` only reserves a GPU: the
    bundled faster-whisper engine runs on CPU.
    """

    address: str | None = None
    local_cpus: int | None = None
    segment_cpus: float = 1.0
    asr_cpus: float | None = None
    asr_gpus: float = 0.0
    speaker_cpus: float | None = None
    items_in_flight: int = 4
    env_vars: tuple[tuple[str, str], ...] = ()  # for the workers' runtime environment


def worker_thread_env() -> dict[str, str]:
    """The OpenMP thread count the local engine would get in this process, for every worker.

    faster-whisper's and torch's results depend on it (measured: whisper-base's avg log-prob on a
    radio dialog moved from -0.644 to -0.693 with OMP_NUM_THREADS=1 instead of 2), and Ray would
    otherwise set it to each worker's first task's CPU request. Unset here means the OpenMP
    default, the CPUs this process may run on.
    """
    return {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS") or str(len(os.sched_getaffinity(0)))}


@contextmanager
def ray_session(options: RayOptions) -> Iterator[None]:
    """Connect to (or start) Ray for the duration of the block; leaves an existing session alone."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("Ray is not installed: pip install 'audita[ray]'") from exc
    if ray.is_initialized():
        yield
        return
    settings: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                "logging_level": logging.WARNING,
                                "runtime_env": {"env_vars": {**worker_thread_env(), **dict(options.env_vars)}}}
    try:
        if options.address:
            ray.init(address=options.address, **settings)
        else:
            ray.init(num_cpus=options.local_cpus, **settings)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailable(f"cannot start or reach Ray ({options.address or 'local'}): {exc}") from exc
    try:
        yield
    finally:
        ray.shutdown()


class _ModelIdentity:
    """Stands in for the engine in ``_Run`` so that provenance uses the driver's resolved model."""

    def __init__(self, model: ResolvedModel | None) -> None:
        self.model_info = model


@dataclass(frozen=True)
class _Remotes:
    segment: Any
    transcribe: Any
    translate: Any
    speakers: Any

    @classmethod
    def build(cls, options: PipelineOptions, ray_options: RayOptions) -> _Remotes:
        import ray

        threads = float(options.cpu_threads)
        asr = {"num_cpus": ray_options.asr_cpus if ray_options.asr_cpus is not None else threads,
               "num_gpus": ray_options.asr_gpus}
        return cls(
            segment=ray.remote(tasks.segment_output).options(num_cpus=ray_options.segment_cpus, max_retries=1),
            transcribe=ray.remote(tasks.transcribe_output).options(max_retries=1, **asr),
            translate=ray.remote(tasks.translate_output).options(max_retries=1, **asr),
            speakers=ray.remote(tasks.speakers_output).options(
                num_cpus=ray_options.speaker_cpus if ray_options.speaker_cpus is not None else threads,
                max_retries=1),
        )


def _get(ref: Any) -> dict[str, Any]:
    import ray

    return ray.get(ref)


def _submit_unless_reusable(run: _Run, provenance: Provenance, submit: Callable[[], Any]) -> Any | None:
    with run.workspace.reading() as connection:
        if find_reusable(connection, run.item_id, provenance) is not None:
            return None
    return submit()


def _record(run: _Run, provenance: Provenance, submitted: Any | None, submit: Callable[[], Any]) -> Derivation:
    """Record the stage as the local engine does; waits for the task (submitting it if need be)."""

    def computed() -> dict[str, Any]:
        output = _get(submitted if submitted is not None else submit())
        if run.progress is not None:
            run.progress(Stage(provenance.stage, 1, 1))
        return output

    return run.stage(provenance, computed)


def _process_one(workspace: Workspace, item_id: str, *, actor: str, options: PipelineOptions,
                 model: ResolvedModel | None, engine: EngineFactory, speakers: SpeakerFactory | None,
                 remotes: _Remotes, progress: ProgressCallback | None) -> ProcessResult:
    run = _Run(workspace, item_id, actor=actor, options=options, engine=_ModelIdentity(model),  # type: ignore[arg-type]
               speaker_backend=None, progress=progress)
    blob = run.blob_sha256
    path = str(workspace.blobs.path_for(blob))

    def submit_segment() -> Any:
        return remotes.segment.remote(path, blob, options)

    seg_prov = Provenance(stage="segment", input_sha256=_inputs_sha256(audio=blob),
                          engine=f"audita-segment/{PIPELINE_VERSION}", options=options.segment.to_dict())
    seg_row = _record(run, seg_prov, _submit_unless_reusable(run, seg_prov, submit_segment), submit_segment)
    segmentation = Segmentation.from_dict(seg_row.output)
    seg_output = seg_row.output

    # speakers needs only the segmentation: submit it before waiting on transcription
    spk_prov: Provenance | None = None
    spk_ref: Any | None = None

    def submit_speakers() -> Any:
        return remotes.speakers.remote(path, blob, seg_output, options, speakers)

    if options.enable_speakers and segmentation.transmissions:
        if speakers is None:
            raise AuditaError("no speaker backend")
        identity = speakers.identity()
        spk_prov = Provenance(stage="speakers", input_sha256=_inputs_sha256(audio=blob, segment=seg_row.output_sha256),
                              engine=f"{identity.get('backend', 'speakers')}", options=options.speakers.to_dict(),
                              model_name=identity.get("backend"), model_sha256=identity.get("weights_sha256"),
                              parent_id=seg_row.id)
        spk_ref = _submit_unless_reusable(run, spk_prov, submit_speakers)

    asr_row: Derivation | None = None
    transcription: Transcription | None = None
    if options.enable_asr:
        resolved = run.model
        asr_prov = Provenance(stage="transcribe",
                              input_sha256=_inputs_sha256(audio=blob, segment=seg_row.output_sha256),
                              engine=f"faster-whisper/{_version('faster-whisper')}", options=options.asr.to_dict(),
                              model_name=resolved.name, model_sha256=resolved.sha256, parent_id=seg_row.id)
        if segmentation.transmissions:
            def submit_asr() -> Any:
                return remotes.transcribe.remote(path, blob, seg_output, options, engine)

            asr_row = _record(run, asr_prov, _submit_unless_reusable(run, asr_prov, submit_asr), submit_asr)
        else:
            asr_row = run.stage(asr_prov, lambda: Transcription(items=(), options=options.asr).to_dict())
        transcription = Transcription.from_dict(asr_row.output)

    translation: Translation | None = None
    mt_row: Derivation | None = None
    if options.enable_translation and asr_row is not None and transcription is not None and transcription.items:
        resolved = run.model
        asr_output, asr_sha = asr_row.output, asr_row.output_sha256
        mt_prov = Provenance(stage="translate",
                             input_sha256=_inputs_sha256(audio=blob, segment=seg_row.output_sha256, transcribe=asr_sha),
                             engine=f"faster-whisper/{_version('faster-whisper')}+translate",
                             options=options.translate.to_dict(), model_name=resolved.name,
                             model_sha256=resolved.sha256, parent_id=asr_row.id)

        def submit_mt() -> Any:
            return remotes.translate.remote(path, blob, seg_output, asr_output, options, engine)

        mt_row = _record(run, mt_prov, _submit_unless_reusable(run, mt_prov, submit_mt), submit_mt)
        translation = Translation.from_dict(mt_row.output)

    spk: Speakers | None = None
    spk_row: Derivation | None = None
    if spk_prov is not None:
        spk_row = _record(run, spk_prov, spk_ref, submit_speakers)
        spk = Speakers.from_dict(spk_row.output)

    return record_transcript(run, item_id, blob, options, seg_row, asr_row, mt_row, spk_row,
                             segmentation, transcription, translation, spk)


ItemDone = Callable[[str, ProcessResult], None]


def process_items(workspace: Workspace, item_ids: Sequence[str], *, actor: str, options: PipelineOptions | None = None,
                  ray_options: RayOptions = RayOptions(), engine: EngineFactory | None = None,
                  speakers: SpeakerFactory | None = None, progress: ProgressCallback | None = None,
                  on_item_done: ItemDone | None = None) -> list[ProcessResult]:
    """Process recordings with the stages as Ray tasks; results in the order of ``item_ids``.

    ``engine`` and ``speakers`` are factories the workers build models from (default: the
    registered Whisper model and Resemblyzer). Every item is attempted; when some fail, the first
    failure is raised after the others have finished (their stages are recorded and reusable).
    """
    options = options or PipelineOptions()
    model: ResolvedModel | None = None
    if options.enable_asr:
        model = engine.model_info if engine is not None else resolve_model(options.model, workspace.settings.home)
        if engine is None and model is not None:
            engine = WhisperEngineFactory(model, cpu_threads=options.cpu_threads)
    if options.enable_speakers and speakers is None:
        speakers = ResemblyzerFactory(cpu_threads=options.cpu_threads)
    results: dict[str, ProcessResult] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()
    with ray_session(ray_options):
        remotes = _Remotes.build(options, ray_options)

        def one(item_id: str) -> None:
            try:
                result = _process_one(workspace, item_id, actor=actor, options=options, model=model,
                                      engine=engine, speakers=speakers, remotes=remotes,  # type: ignore[arg-type]
                                      progress=progress)
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after the other items
                with lock:
                    failures.append(exc)
                return
            with lock:
                results[item_id] = result
            if on_item_done is not None:
                on_item_done(item_id, result)

        with ThreadPoolExecutor(max_workers=max(1, ray_options.items_in_flight),
                                thread_name_prefix="audita-ray") as pool:
            list(pool.map(one, list(dict.fromkeys(item_ids))))
    if failures:
        raise failures[0]
    return [results[item_id] for item_id in item_ids]


