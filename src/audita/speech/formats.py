"""Serialisations of a PipelineResult: JSON (schema in docs/speech.md), SRT, WebVTT, plain text."""

from __future__ import annotations

import json

from audita.speech.pipeline import PipelineResult, TransmissionResult
from audita.speech.translate import MT_LABEL

SCHEMA = "audita.speech/1"


def to_json(result: PipelineResult) -> str:
    body = {"schema": SCHEMA, **result.to_dict()}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _clock(seconds: float, separator: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _line(t: TransmissionResult) -> str:
    body = f"[unintelligible: {t.unintelligible_reason}]" if t.unintelligible else (t.text or "[not transcribed]")
    return f"[{t.speaker}] {body}" if t.speaker else body


def to_srt(result: PipelineResult) -> str:
    cues = [f"{n}\n{_clock(t.start, ',')} --> {_clock(t.end, ',')}\n{_line(t)}\n"
            for n, t in enumerate(result.transmissions, start=1)]
    return "\n".join(cues)


def to_vtt(result: PipelineResult) -> str:
    cues = [f"{_clock(t.start, '.')} --> {_clock(t.end, '.')}\n{_line(t)}\n" for t in result.transmissions]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_text(result: PipelineResult) -> str:
    p = result.provenance
    lines = [f"# input sha256 {p.input_sha256}; model {p.model or '-'} ({(p.model_sha256 or '-')[:12]}); "
             f"channel {result.channel}"]
    for t in result.transmissions:
        quality = "" if t.quality_ok else f" LOW QUALITY ({t.quality_reason})"
        lang = f" {t.language}" if t.language else ""
        lines.append(f"[{_clock(t.start, '.')} - {_clock(t.end, '.')}] {t.speaker or '-'}{lang} "
                     f"snr {t.snr_db:.1f} dB{quality}: {_line(t) if not t.speaker else _line(t).split('] ', 1)[1]}")
        for tr in t.translations:
            lines.append(f"    EN ({tr.method}, {MT_LABEL}): {tr.text}")
    return "\n".join(lines) + "\n"
