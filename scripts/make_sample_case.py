"""Rebuild the bundled sample case in samples/popasna-demo (needs festival, festvox-ru and sox).

The dialogue is invented for the project, modelled on the kind of published intercepts Audita is
built for. Speech: festival's Russian voice; a second speaker by a sox pitch shift; radio by
band-limiting to 300-3400 Hz at 8 kHz with hiss, squelch bursts and clipping; phone by AMR-NB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "samples" / "popasna-demo"
RATE = 8000

RADIO = [
    ("a", "Гранит, я Сокол, приём."),
    ("b", "Сокол, я Гранит, на приёме."),
    ("a", "Под Попасной взяли двоих пленных. Что с ними делать?"),
    ("b", "Пленных не брать. Отправить их навсегда, чтобы никто их больше не видел."),
    ("a", "Понял. Выполняю."),
]
PHONE = "Алло, мама, привет. У нас тут двое двухсотых и трое трёхсотых, но я живой, не переживай."


def speak(text: str, pitch_cents: int, workdir: Path, name: str) -> np.ndarray:
    raw = workdir / f"{name}.raw.wav"
    shaped = workdir / f"{name}.wav"
    subprocess.run(["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", "-o", str(raw)], input=text.encode(), check=True)
    effects = ["pitch", str(pitch_cents)] if pitch_cents else []
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(shaped), *effects,
                    "sinc", "300-3400", "rate", str(RATE)], check=True)
    with wave.open(str(shaped)) as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768


def write(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def main() -> int:
    rng = np.random.default_rng(20220330)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pieces = [rng.normal(0, 0.004, int(1.0 * RATE))]
        for index, (speaker, text) in enumerate(RADIO):
            speech = speak(text, 0 if speaker == "a" else -350, workdir, f"t{index}")
            speech = 0.8 * speech / max(1e-6, float(np.abs(speech).max()))
            carrier = speech + rng.normal(0, 0.03, speech.size)
            tail = rng.normal(0, 0.35, int(0.18 * RATE))  # squelch tail at key-up
            gap = rng.normal(0, 0.004, int(rng.uniform(1.5, 3.0) * RATE))
            pieces += [carrier, tail, gap]
        radio = np.clip(np.concatenate(pieces), -0.6, 0.6)
        write(OUT / "intercept-01-radio.wav", radio)

        phone = speak(PHONE, 150, workdir, "phone")
        phone_wav = workdir / "phone-8k.wav"
        write(phone_wav, np.concatenate([np.zeros(RATE // 2), 0.7 * phone, np.zeros(RATE // 2)]))
        subprocess.run(["sox", str(phone_wav), "-C", "7", "-t", "amr-nb", str(OUT / "intercept-02-phone.amr")], check=True)

        # A republication: trimmed by one second, re-encoded as low-bitrate MP3.
        subprocess.run(["sox", str(OUT / "intercept-01-radio.wav"), "-C", "24", str(OUT / "republished-telegram.mp3"),
                        "trim", "1.0"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
