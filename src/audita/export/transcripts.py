"""Transcript files for the package: JSON, SRT, WebVTT and text (via ``audita.speech.formats``),
and the translations as separate files that say on every line that they are unverified.

Stored transcripts are ``audita.speech/1`` dicts; an analyst's edit may lack machine-only fields,
so the adapter fills neutral defaults rather than refusing.
"""

from __future__ import annotations

import json
from typing import Any

from audita.speech.asr import Word
from audita.speech.formats import to_srt, to_text, to_vtt
from audita.speech.pipeline import PipelineResult, Provenance, TransmissionResult
from audita.speech.translate import MT_LABEL, TranslationText

MT_HEADER = "UNVERIFIED MACHINE TRANSLATION - not checked by a translator; the source-language transcript governs."


def _float(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _optional_float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def transmission_from_dict(data: dict[str, Any], position: int) -> TransmissionResult:
    words = tuple(
        Word(start=_float(w.get("start")), end=_float(w.get("end")), word=str(w.get("word", "")),
             probability=_float(w.get("probability")))
        for w in data.get("words") or () if isinstance(w, dict)
    )
    translations = tuple(
        TranslationText(method=str(t.get("method", "unknown")), text=str(t.get("text", "")),
                        label=str(t.get("label") or MT_LABEL), verified=bool(t.get("verified", False)))
        for t in data.get("translations") or () if isinstance(t, dict)
    )
    return TransmissionResult(
        index=int(data.get("index", position)), start=_float(data.get("start")), end=_float(data.get("end")),
        text=str(data.get("text") or ""), language=data.get("language"),
        language_probability=_optional_float(data.get("language_probability")), words=words,
        snr_db=_float(data.get("snr_db")), channel=str(data.get("channel") or ""),
        quality_ok=bool(data.get("quality_ok", True)), quality_reason=str(data.get("quality_reason") or ""),
        unintelligible=bool(data.get("unintelligible", False)),
        unintelligible_reason=str(data.get("unintelligible_reason") or ""),
        avg_logprob=_optional_float(data.get("avg_logprob")), no_speech_prob=_optional_float(data.get("no_speech_prob")),
        translations=translations, speaker=data.get("speaker"),
    )


def result_from_dict(doc: dict[str, Any]) -> PipelineResult:
    """A PipelineResult from a stored ``audita.speech/1`` transcript (machine or edited)."""
    p = doc.get("provenance") or {}
    provenance = Provenance(
        model=p.get("model"), model_sha256=p.get("model_sha256"), model_files=dict(p.get("model_files") or {}),
        options=dict(p.get("options") or {}), versions=dict(p.get("versions") or {}),
        input_sha256=str(p.get("input_sha256") or ""), speaker_backend=dict(p.get("speaker_backend") or {}),
        translation_backend=dict(p.get("translation_backend") or {}),
        pipeline_version=str(p.get("pipeline_version") or "1"),
    )
    items = [t for t in doc.get("transmissions") or () if isinstance(t, dict)]
    return PipelineResult(
        transmissions=tuple(transmission_from_dict(t, n) for n, t in enumerate(items)),
        speakers={str(k): list(v) for k, v in (doc.get("speakers") or {}).items()},
        channel=str(doc.get("channel") or ""), duration=_float(doc.get("duration")), provenance=provenance,
    )


def _clock(seconds: float, separator: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _translated(result: PipelineResult) -> list[tuple[TransmissionResult, TranslationText]]:
    return [(t, tr) for t in result.transmissions for tr in t.translations]


def translation_text(result: PipelineResult) -> str:
    lines = [MT_HEADER, ""]
    for t, tr in _translated(result):
        lines.append(f"[{_clock(t.start, '.')} - {_clock(t.end, '.')}] {t.speaker or '-'} "
                     f"({tr.method}, {tr.label}): {tr.text}")
    if len(lines) == 2:
        lines.append("(no translation recorded)")
    return "\n".join(lines) + "\n"


def translation_srt(result: PipelineResult) -> str:
    cues = [f"{n}\n{_clock(t.start, ',')} --> {_clock(t.end, ',')}\n[{tr.label}] {tr.text}\n"
            for n, (t, tr) in enumerate(_translated(result), start=1)]
    return "\n".join(cues)


def translation_vtt(result: PipelineResult) -> str:
    cues = [f"{_clock(t.start, '.')} --> {_clock(t.end, '.')}\n[{tr.label}] {tr.text}\n" for t, tr in _translated(result)]
    return "WEBVTT\n\nNOTE\n" + MT_HEADER + "\n\n" + "\n".join(cues)


def transcript_files(doc: dict[str, Any], stem: str) -> dict[str, str]:
    """File name -> text for one transcript version: JSON as stored (sorted keys, UTF-8), SRT, VTT, text."""
    result = result_from_dict(doc)
    return {
        f"{stem}.json": json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
        f"{stem}.srt": to_srt(result),
        f"{stem}.vtt": to_vtt(result),
        f"{stem}.txt": to_text(result),
    }


def translation_files(doc: dict[str, Any], stem: str) -> dict[str, str]:
    result = result_from_dict(doc)
    return {
        f"{stem}.unverified-mt.txt": translation_text(result),
        f"{stem}.unverified-mt.srt": translation_srt(result),
        f"{stem}.unverified-mt.vtt": translation_vtt(result),
    }
