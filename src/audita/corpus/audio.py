"""Small audio helpers for the generator: WAV I/O, festival speech, sox effects, codecs, filters."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

FESTIVAL_VOICE = "voice_msu_ru_nsh_clunits"
TTS_RATE = 16000


class ToolError(RuntimeError):
    """An external tool (festival, sox, ffmpeg) failed or is missing."""


def _run(cmd: list[str], *, input_bytes: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(cmd, input=input_bytes, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise ToolError(f"{cmd[0]} is not installed") from exc
    if done.returncode != 0:
        raise ToolError(f"{' '.join(cmd[:3])}... failed ({done.returncode}): {done.stderr.decode(errors='replace')[-400:]}")
    return done.stdout


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write mono float samples in [-1, 1] as 16-bit PCM."""
    pcm = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as src:
        if src.getsampwidth() != 2:
            raise ToolError(f"{path}: expected 16-bit PCM")
        channels = src.getnchannels()
        rate = src.getframerate()
        data = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


# festvox-ru has letter-to-sound rules for Russian letters only: a Ukrainian і/ї/є/ґ (or an apostrophe)
# makes text2wave write an empty file. Ukrainian and surzhyk scripts are spoken in their nearest Russian
# spelling; the script text (and so the ground truth) is unchanged. Russian text passes through as it is.
_TTS_RESPELL = str.maketrans({
    "і": "и", "І": "И", "ї": "йи", "Ї": "Йи", "є": "е", "Є": "Е", "ґ": "г", "Ґ": "Г",
    "'": "ъ", "ʼ": "ъ", "’": "ъ",
})


def tts_text(text: str) -> str:
    """The spelling handed to festival's Russian voice (Ukrainian letters respelt, see above)."""
    return text.translate(_TTS_RESPELL)


def synthesize(text: str, *, pitch_cents: int, tempo: float, tilt_db: float) -> np.ndarray:
    """Speak `text` with festival's Russian voice, then shift it into a pseudo-speaker with sox.

    festvox-ru reads UTF-8 input (KOI8-R input produces no audio). Returns 16 kHz float samples.
    """
    with tempfile.TemporaryDirectory(prefix="audita-tts-") as tmp:
        txt = Path(tmp) / "t.txt"
        raw = Path(tmp) / "raw.wav"
        shifted = Path(tmp) / "spk.wav"
        txt.write_text(tts_text(text) + "\n", encoding="utf-8")
        _run(["text2wave", "-eval", f"({FESTIVAL_VOICE})", str(txt), "-o", str(raw)])
        effects = ["pitch", str(pitch_cents), "tempo", "-s", f"{tempo:.3f}"]
        if tilt_db:
            effects += ["treble", f"{tilt_db:.1f}", "bass", f"{-tilt_db:.1f}"]
        _run(["sox", "-V1", "-R", "-D", str(raw), "-r", str(TTS_RATE), "-c", "1", "-b", "16", str(shifted), *effects, "rate", str(TTS_RATE)])
        samples, rate = read_wav(shifted)
    if rate != TTS_RATE:
        raise ToolError(f"unexpected sample rate {rate}")
    return trim_silence(samples, rate)


def trim_silence(samples: np.ndarray, rate: int, threshold: float = 0.01) -> np.ndarray:
    """Cut leading/trailing near-silence so that transmission times mark audible speech."""
    frame = max(1, rate // 100)
    n = len(samples) // frame
    if n == 0:
        return samples
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > threshold * max(float(rms.max()), 1e-9) * 10)
    if loud.size == 0:
        return samples
    start = max(0, (loud[0] - 1) * frame)
    end = min(len(samples), (loud[-1] + 2) * frame)
    return samples[start:end]


def band_limit(samples: np.ndarray, rate: int, low_hz: float, high_hz: float, taper_hz: float = 150.0) -> np.ndarray:
    """Zero-phase band-pass in the frequency domain with raised-cosine edges."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    gain = np.ones_like(freqs)
    lo = freqs < low_hz
    gain[lo] = 0.5 * (1 + np.cos(np.pi * np.clip((low_hz - freqs[lo]) / taper_hz, 0, 1)))
    hi = freqs > high_hz - taper_hz
    gain[hi] = 0.5 * (1 + np.cos(np.pi * np.clip((freqs[hi] - (high_hz - taper_hz)) / taper_hz, 0, 1)))
    gain[freqs >= high_hz] = 0.0
    return np.fft.irfft(spectrum * gain, n=len(samples)).astype(np.float32)


def downsample_by_two(samples: np.ndarray) -> np.ndarray:
    """Halve the rate; the caller must already have removed content above the new Nyquist."""
    return np.ascontiguousarray(samples[::2])


def amr_roundtrip(samples: np.ndarray, mode: int) -> np.ndarray:
    """Pass 8 kHz samples through the AMR-NB codec (sox, opencore-amr) and back."""
    with tempfile.TemporaryDirectory(prefix="audita-amr-") as tmp:
        src = Path(tmp) / "in.wav"
        coded = Path(tmp) / "x.amr-nb"
        back = Path(tmp) / "out.wav"
        write_wav(src, samples, 8000)
        _run(["sox", "-V1", "-R", "-D", str(src), "-C", str(mode), str(coded)])
        _run(["sox", "-V1", "-R", "-D", str(coded), "-b", "16", str(back)])
        decoded, _ = read_wav(back)
    out = np.zeros(len(samples), dtype=np.float32)
    out[: min(len(out), len(decoded))] = decoded[: len(out)]
    return out


# storage codecs: (extension, ffmpeg arguments); bitexact keeps container bytes reproducible
STORAGE = {
    "opus": ("ogg", ["-c:a", "libopus", "-b:a", "24k", "-application", "voip"]),
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "16k"]),
    "mp3-low": ("mp3", ["-c:a", "libmp3lame", "-b:a", "8k"]),
    "vorbis-low": ("ogg", ["-c:a", "libvorbis", "-q:a", "-1"]),
    "wav": ("wav", ["-c:a", "pcm_s16le"]),
}


def encode(samples: np.ndarray, rate: int, out_stem: Path, codec: str) -> Path:
    """Store samples with one of the STORAGE codecs; returns the written file path."""
    ext, args = STORAGE[codec]
    target = out_stem.with_suffix("." + ext)
    if codec == "wav":
        write_wav(target, samples, rate)
        return target
    with tempfile.TemporaryDirectory(prefix="audita-enc-") as tmp:
        src = Path(tmp) / "in.wav"
        write_wav(src, samples, rate)
        _run([
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
            "-i", str(src), "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            *args, str(target),
        ])
    return target


def decode_any(path: Path, rate: int) -> np.ndarray:
    """Decode any stored item back to mono float samples at `rate` (ffmpeg)."""
    raw = _run([
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-i", str(path),
        "-f", "s16le", "-ac", "1", "-ar", str(rate), "-",
    ])
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
