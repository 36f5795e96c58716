"""Decode any accepted recording to mono float32 samples for analysis (never written back)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from audita.errors import BadInput
from audita.media.probe import _run_sox_decode
from audita.media.sniff import sniff_file


def decode_audio(path: Path, sample_rate: int = 16000) -> np.ndarray:
    """Return the recording as mono float32 samples in [-1, 1] at `sample_rate`.

    AMR goes through sox (ffmpeg drops DTX frames); everything else through PyAV.
    """
    path = Path(path)
    sniffed = sniff_file(path)
    if sniffed.kind == "empty":
        raise BadInput("empty file")
    if sniffed.format in ("amr-nb", "amr-wb"):
        pcm = _run_sox_decode(path, sniffed.format, sample_rate)
        return np.frombuffer(pcm, dtype="<f4").astype(np.float32, copy=True)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        raise BadInput(f"not decodable as audio: {exc}") from exc
    chunks: list[np.ndarray] = []
    with container:
        if not container.streams.audio:
            raise BadInput("no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, ValueError):
            pass  # keep what decoded; probe_audio records the shortfall at ingest
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        raise BadInput("no decodable audio")
    return np.concatenate(chunks).astype(np.float32, copy=False)
