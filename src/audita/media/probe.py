"""Container facts and a full decode pass, to record what a recording really holds.

The declared duration (container header, frame count) is compared with what a decoder
actually produces; a shortfall is recorded as a fact, because a decoder that silently
drops frames (ffmpeg on AMR with DTX) changes what an analyst hears.
"""

from __future__ import annotations

import struct
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av

from audita.errors import BadInput
from audita.media.sniff import Sniffed, sniff_file

SOX_DECODE_RATE = 8000


@dataclass(frozen=True)
class AudioFacts:
    """What is known about a recording's container and its decodable audio."""

    format: str
    container: str
    codec: str
    sample_rate: int
    channels: int
    bit_rate: int | None
    declared_duration: float | None
    decoded_duration: float
    decoder: str
    shortfall_seconds: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = list(self.warnings)
        return data


# Speech frame payload sizes in octets (without the one-octet header) by frame type,
# from the AMR storage format (RFC 4867 section 5). Types with size 0 carry no payload.
_AMR_NB_SIZES = (12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0)
_AMR_WB_SIZES = (17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0)
_AMR_FRAME_SECONDS = 0.02


def amr_frame_count(path: Path) -> tuple[int, bool]:
    """Count 20 ms frames in an AMR storage-format file; returns (frames, complete)."""
    data = path.read_bytes()
    if data.startswith(b"#!AMR-WB\n"):
        sizes, pos = _AMR_WB_SIZES, 9
    elif data.startswith(b"#!AMR\n"):
        sizes, pos = _AMR_NB_SIZES, 6
    else:
        raise BadInput("not an AMR storage-format file")
    frames = 0
    while pos < len(data):
        frame_type = (data[pos] >> 3) & 0x0F
        end = pos + 1 + sizes[frame_type]
        if end > len(data):
            return frames, False
        frames += 1
        pos = end
    return frames, True


def wav_declared_data_bytes(path: Path) -> tuple[int | None, int | None]:
    """Return (declared data chunk size, bytes actually present) for a RIFF/WAVE file."""
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None, None
        file_size = path.stat().st_size
        offset = 12
        while offset + 8 <= file_size:
            handle.seek(offset)
            chunk_id, size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                present = file_size - offset - 8
                # 0 and 0xFFFFFFFF are used by streaming writers for "unknown".
                if size in (0, 0xFFFFFFFF):
                    return None, present
                return size, present
            offset += 8 + size + (size & 1)
    return None, None


def _run_sox_decode(path: Path, fmt: str, rate: int) -> bytes:
    sox_type = "amr-wb" if fmt == "amr-wb" else "amr-nb"
    command = ["sox", "-V1", "-t", sox_type, str(path), "-t", "f32", "-e", "floating-point",
               "-c", "1", "-r", str(rate), "-"]
    try:
        completed = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise BadInput("decoding AMR needs sox with AMR support (Debian: sox libsox-fmt-all)") from exc
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BadInput(f"sox could not decode {fmt}: {message[-1] if message else 'unknown error'}")
    return completed.stdout


def _probe_amr(path: Path, sniffed: Sniffed) -> AudioFacts:
    frames, complete = amr_frame_count(path)
    if frames == 0:
        raise BadInput(f"{sniffed.description} holds no frames")
    warnings: list[str] = []
    if not complete:
        warnings.append("last AMR frame is cut short (file truncated)")
    native_rate = 16000 if sniffed.format == "amr-wb" else 8000
    pcm = _run_sox_decode(path, sniffed.format, native_rate)
    decoded = len(pcm) / 4 / native_rate
    declared = frames * _AMR_FRAME_SECONDS
    ffmpeg_duration = _pyav_decoded_duration(path)
    if ffmpeg_duration is None:
        warnings.append("ffmpeg cannot decode this AMR stream (DTX/SID frames); decoded with sox")
    elif declared - ffmpeg_duration > 0.1:
        warnings.append(
            f"ffmpeg decodes only {ffmpeg_duration:.2f} s of {declared:.2f} s (drops DTX frames); decoded with sox"
        )
    return AudioFacts(
        format=sniffed.format,
        container="amr",
        codec=sniffed.format.replace("-", "_"),
        sample_rate=native_rate,
        channels=1,
        bit_rate=None,
        declared_duration=round(declared, 6),
        decoded_duration=round(decoded, 6),
        decoder="sox",
        shortfall_seconds=round(max(0.0, declared - decoded), 6),
        warnings=tuple(warnings),
    )


def _pyav_decoded_duration(path: Path) -> float | None:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            samples = sum(frame.samples for frame in container.decode(stream))
            rate = stream.codec_context.sample_rate
            return samples / rate if rate else None
    except (av.error.FFmpegError, IndexError, ValueError):
        return None


def _channels(stream: Any) -> int:
    layout = getattr(stream.codec_context, "layout", None)
    if layout is not None and getattr(layout, "nb_channels", 0):
        return int(layout.nb_channels)
    return int(getattr(stream.codec_context, "channels", 0) or 0)


def _reason(exc: Exception) -> str:
    """FFmpeg's own words, without its error number or the temporary file's path."""
    return str(getattr(exc, "strerror", None) or exc)


def _probe_pyav(path: Path, sniffed: Sniffed) -> AudioFacts:
    warnings: list[str] = []
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        raise BadInput(f"not decodable as {sniffed.description}: {_reason(exc)}") from exc
    with container:
        if not container.streams.audio:
            raise BadInput(f"{sniffed.description} has no audio stream")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise BadInput(f"{sniffed.description} uses an audio codec that cannot be decoded here")
        codec = stream.codec_context.name
        rate = int(stream.codec_context.sample_rate or 0)
        channels = _channels(stream)
        declared: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
        elif container.duration:
            declared = container.duration / av.time_base
        samples = 0
        decode_error: str | None = None
        try:
            for frame in container.decode(stream):
                samples += frame.samples
                rate = rate or int(frame.sample_rate)
        except (av.error.FFmpegError, ValueError) as exc:
            decode_error = _reason(exc)
        bit_rate = int(container.bit_rate) if container.bit_rate else None
        container_name = container.format.name
    if rate <= 0:
        raise BadInput(f"{sniffed.description} declares no sample rate")
    decoded = samples / rate
    if samples == 0:
        detail = f": {decode_error}" if decode_error else ""
        raise BadInput(f"{sniffed.description} holds no decodable audio{detail}")
    if decode_error:
        warnings.append(f"decoder stopped early: {decode_error}")
    if sniffed.format == "wav":
        declared_bytes, present = wav_declared_data_bytes(path)
        if declared_bytes is not None and present is not None and present < declared_bytes:
            block = max(1, round((present / decoded) / rate)) if decoded else 1
            declared = declared_bytes / block / rate
            warnings.append(f"WAVE data chunk declares {declared_bytes} bytes, {present} present (truncated)")
    shortfall = max(0.0, (declared or decoded) - decoded)
    return AudioFacts(
        format=sniffed.format,
        container=container_name,
        codec=codec,
        sample_rate=rate,
        channels=channels,
        bit_rate=bit_rate,
        declared_duration=round(declared, 6) if declared is not None else None,
        decoded_duration=round(decoded, 6),
        decoder="pyav",
        shortfall_seconds=round(shortfall, 6),
        warnings=tuple(warnings),
    )


def probe_audio(path: Path, sniffed: Sniffed | None = None) -> AudioFacts:
    """Read container facts and decode the whole file once; raises BadInput if it is not usable audio."""
    sniffed = sniffed or sniff_file(path)
    if sniffed.kind == "empty":
        raise BadInput("empty file")
    if sniffed.kind not in ("audio", "unknown"):
        raise BadInput(f"not audio: content is {sniffed.description}")
    if sniffed.format in ("amr-nb", "amr-wb"):
        return _probe_amr(path, sniffed)
    return _probe_pyav(path, sniffed)
