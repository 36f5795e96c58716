"""The stage computations as they run inside a Ray worker.

Each function reads the original from the blob store path it is given (shared storage: the same
path on every node), checks its sha256, computes one stage with the same library call the local
engine makes, and returns the stage's ``to_dict()``. Nothing here touches the database: the driver
records every output (audita.distributed.driver). The functions are plain Python, made remote by
the driver, so they can be tested and imported without Ray.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from audita.distributed.factories import EngineFactory, SpeakerFactory
from audita.speech.asr import Transcription
from audita.speech.pipeline import (
    Audio,
    PipelineOptions,
    load_audio,
    segment_stage,
    speaker_stage,
    transcribe_stage,
    translate_stage,
)
from audita.speech.segment import Segmentation
from audita.speech.service import NotProcessable

# Whisper's temperature fallback samples at random: without a fixed seed a noisy transmission can
# decode differently on every run (measured on a radio dialog). Seeded at the start of every
# transcribe/translate task, an output depends only on the task's inputs, not on what the worker
# process decoded before.
SAMPLING_SEED = 0

# Models a worker process has built, by factory cache key (loaded once per worker, not per task).
_BUILT: dict[str, Any] = {}


def _built(factory: EngineFactory | SpeakerFactory) -> Any:
    key = factory.cache_key
    if key is None:
        return factory()
    if key not in _BUILT:
        _BUILT[key] = factory()
    return _BUILT[key]


def _seed_sampling() -> None:
    try:
        import ctranslate2
    except ImportError:
        return
    ctranslate2.set_random_seed(SAMPLING_SEED)


def read_original(blob_path: str, blob_sha256: str) -> Audio:
    """Decode the stored original; refuse a path this node cannot read or bytes that changed."""
    path = Path(blob_path)
    if not path.is_file():
        raise NotProcessable(f"original {blob_sha256[:12]} is not readable at {path} on {socket.gethostname()}: "
                             "AUDITA_HOME must be on storage shared by every node, mounted at the same path")
    try:
        audio = load_audio(path)
    except Exception as exc:  # decoding libraries raise many types
        raise NotProcessable(f"cannot decode the recording {blob_sha256[:12]}: {exc}") from exc
    if audio.sha256 != blob_sha256:
        raise NotProcessable(f"stored blob {blob_sha256[:12]} does not match its sha256; run `audita verify`")
    return audio


def segment_output(blob_path: str, blob_sha256: str, options: PipelineOptions) -> dict[str, Any]:
    return segment_stage(read_original(blob_path, blob_sha256), options).to_dict()


def transcribe_output(blob_path: str, blob_sha256: str, segmentation: dict[str, Any], options: PipelineOptions,
                      engine: EngineFactory) -> dict[str, Any]:
    seg = Segmentation.from_dict(segmentation)
    if not seg.transmissions:
        return Transcription(items=(), options=options.asr).to_dict()
    audio = read_original(blob_path, blob_sha256)
    _seed_sampling()
    return transcribe_stage(audio, seg, options, engine=_built(engine)).to_dict()


def translate_output(blob_path: str, blob_sha256: str, segmentation: dict[str, Any], transcription: dict[str, Any],
                     options: PipelineOptions, engine: EngineFactory) -> dict[str, Any]:
    audio = read_original(blob_path, blob_sha256)
    _seed_sampling()
    return translate_stage(audio, Segmentation.from_dict(segmentation), Transcription.from_dict(transcription),
                           options, engine=_built(engine)).to_dict()


def speakers_output(blob_path: str, blob_sha256: str, segmentation: dict[str, Any], options: PipelineOptions,
                    backend: SpeakerFactory) -> dict[str, Any]:
    audio = read_original(blob_path, blob_sha256)
    return speaker_stage(audio, Segmentation.from_dict(segmentation), options, backend=_built(backend)).to_dict()
