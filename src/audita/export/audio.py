"""Working copies: the recording decoded to 16 kHz mono 16-bit PCM WAV, labelled as derived.

The original is never touched; the working copy is decoded from the stored blob with the same
decoder Audita uses for analysis (PyAV/FFmpeg, or sox for AMR) and is described precisely enough
to be reproduced with the command line tools.
"""

from __future__ import annotations

import io
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from audita.media.decode import decode_audio
from audita.media.sniff import sniff_file

WORKING_RATE = 16000


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # mono float32 at WORKING_RATE
    sample_rate: int
    decoder: dict[str, Any]  # how it was produced (tool, versions, equivalent command)

    @property
    def duration(self) -> float:
        return self.samples.size / self.sample_rate


def _sox_version() -> str:
    try:
        out = subprocess.run(["sox", "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "absent"
    return out.strip().split()[-1] if out.strip() else "unknown"


def decoder_description(path: Path, source_name: str) -> dict[str, Any]:
    fmt = sniff_file(path).format
    if fmt in ("amr-nb", "amr-wb"):
        sox_type = "amr-wb" if fmt == "amr-wb" else "amr-nb"
        return {
            "tool": "sox", "version": _sox_version(),
            "command": f"sox -V1 -t {sox_type} '{source_name}' -t f32 -e floating-point -c 1 -r {WORKING_RATE} -",
            "then": "float samples quantised to 16-bit PCM (round to nearest, clipped) by Audita",
            "equivalent": f"sox -t {sox_type} '{source_name}' -c 1 -r {WORKING_RATE} -b 16 -e signed-integer working.wav",
        }
    libs = {name: ".".join(str(n) for n in version) for name, version in sorted(av.library_versions.items())}
    return {
        "tool": "PyAV (FFmpeg libraries)", "version": av.__version__, "libraries": libs,
        "command": f"av.open('{source_name}'); first audio stream decoded; "
                   f"AudioResampler(format='flt', layout='mono', rate={WORKING_RATE})",
        "then": "float samples quantised to 16-bit PCM (round to nearest, clipped) by Audita",
        "equivalent": f"ffmpeg -i '{source_name}' -map 0:a:0 -ac 1 -ar {WORKING_RATE} -c:a pcm_s16le working.wav",
    }


def decode_for_export(path: Path, source_name: str) -> DecodedAudio:
    return DecodedAudio(decode_audio(path, WORKING_RATE), WORKING_RATE, decoder_description(path, source_name))


def pcm16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """A canonical RIFF/WAVE file (mono, 16-bit): the same samples always give the same bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm16(samples).tobytes())
    return buffer.getvalue()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read back a working copy (mono 16-bit PCM) as float32."""
    with wave.open(str(path), "rb") as handle:
        rate = handle.getframerate()
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32767.0, rate
