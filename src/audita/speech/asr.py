"""Transcription of transmissions with faster-whisper (CTranslate2, int8 on CPU).

Each transmission is decoded on its own slice of audio (faster-whisper's VAD stays off: the
segmenter has already found the speech). Guards turn hallucinations into an explicit
``unintelligible`` mark with a reason instead of text: empty output, high no-speech
probability with low confidence, repetition loops (compression ratio, repeated n-grams) and
the stock phrases Whisper invents on static. The rejected text is kept, labelled, for audit.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from audita.speech.segment import Transmission

SAMPLE_RATE = 16000

# Texts Whisper is known to produce on silence or noise in Russian/Ukrainian subtitled training data.
HALLUCINATION_PATTERNS: tuple[str, ...] = (
    r"продолжение следует",
    r"субтитр",
    r"редактор субтитров",
    r"спасибо за просмотр",
    r"подписывайтесь на канал",
    r"дякую за перегляд",
    r"dimatorzok",
    r"amara\.org",
)


@dataclass(frozen=True)
class ASROptions:
    language: str | None = None  # a forced language code for the whole case; None: detect per transmission
    candidate_languages: tuple[str, ...] = ("ru", "uk")  # detection chooses among these ...
    other_language_min_prob: float = 0.5  # ... unless another language is this likely
    initial_prompt: str | None = None
    vocabulary: tuple[str, ...] = ()  # case vocabulary: place names, call signs, units (-> hotwords)
    beam_size: int = 5
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4)  # capped fallback: bad audio costs at most 3 decodes
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    min_avg_logprob: float = -1.2  # below this (after fallback) the text is not trusted
    max_repeats: int = 3  # a word n-gram repeated more often than this is a loop
    word_timestamps: bool = True
    batch_size: int = 1  # >1: faster-whisper BatchedInferencePipeline (no temperature fallback)
    pack_seconds: float = 28.0  # pack transmissions into shared windows up to this long; 0: one per transmission
    pack_gap_seconds: float = 1.0  # digital silence between packed transmissions

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ASROptions:
        values = dict(data)
        for key in ("candidate_languages", "vocabulary", "temperatures"):
            values[key] = tuple(values.get(key, ()))
        return cls(**values)

    def hotwords(self) -> str | None:
        words = [w.strip() for w in self.vocabulary if w.strip()]
        return " ".join(dict.fromkeys(words)) or None

    def prompt(self) -> str | None:
        if self.initial_prompt:
            return self.initial_prompt
        words = [w.strip() for w in self.vocabulary if w.strip()]
        return ", ".join(dict.fromkeys(words)) + "." if words else None


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class EngineSegment:
    """What the speech engine returns for a piece of a transmission (times relative to the slice)."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float = 0.0
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class DecodeRequest:
    language: str
    task: str  # "transcribe" | "translate"
    options: ASROptions


class SpeechEngine(Protocol):
    """The model behind transcription and Whisper translation (real: FasterWhisperEngine)."""

    def language_probabilities(self, audio: np.ndarray) -> dict[str, float]: ...

    def decode(self, audio: np.ndarray, request: DecodeRequest) -> list[EngineSegment]: ...

    def decode_batch(self, clips: Sequence[np.ndarray], request: DecodeRequest) -> list[list[EngineSegment]]: ...


@dataclass(frozen=True)
class TranscribedTransmission:
    index: int
    start: float
    end: float
    text: str  # "" when unintelligible
    language: str
    language_probability: float
    language_probabilities: dict[str, float]  # candidates (and the top other language) as detected
    words: tuple[Word, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float  # highest fallback temperature used
    unintelligible: bool
    unintelligible_reason: str  # "" | no_speech | empty | repetition | hallucination_phrase | low_confidence
    rejected_text: str = ""  # what the model produced when a guard fired (never shown as transcript)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [asdict(w) for w in self.words]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscribedTransmission:
        values = dict(data)
        values["words"] = tuple(Word(**w) for w in values.get("words", ()))
        return cls(**values)


@dataclass(frozen=True)
class Transcription:
    items: tuple[TranscribedTransmission, ...]
    options: ASROptions
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"items": [t.to_dict() for t in self.items], "options": self.options.to_dict(), "extra": self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcription:
        return cls(items=tuple(TranscribedTransmission.from_dict(t) for t in data["items"]),
                   options=ASROptions.from_dict(data["options"]), extra=dict(data.get("extra", {})))


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def repeated_ngram(text: str, max_repeats: int) -> bool:
    """True when some 1-4 word sequence repeats back to back more than ``max_repeats`` times."""
    words = re.findall(r"\w+", text.lower())
    for size in range(1, 5):
        for begin in range(0, max(0, len(words) - size * (max_repeats + 1)) + 1):
            unit = words[begin : begin + size]
            count, at = 1, begin + size
            while words[at : at + size] == unit:
                count += 1
                at += size
            if count > max_repeats:
                return True
    return False


def _guard(segments: list[EngineSegment], options: ASROptions) -> str:
    text = " ".join(s.text.strip() for s in segments).strip()
    if not segments or not re.search(r"\w", text):
        return "empty"
    total = sum(max(s.end - s.start, 0.01) for s in segments)
    weight = [max(s.end - s.start, 0.01) / total for s in segments]
    no_speech = sum(w * s.no_speech_prob for w, s in zip(weight, segments))
    logprob = sum(w * s.avg_logprob for w, s in zip(weight, segments))
    if no_speech > options.no_speech_threshold and logprob < options.log_prob_threshold:
        return "no_speech"
    lowered = text.lower()
    if any(re.search(p, lowered) for p in HALLUCINATION_PATTERNS):
        return "hallucination_phrase"
    if compression_ratio(text) > options.compression_ratio_threshold or repeated_ngram(text, options.max_repeats):
        return "repetition"
    if logprob < options.min_avg_logprob:
        return "low_confidence"
    return ""


def choose_language(probabilities: dict[str, float], options: ASROptions) -> tuple[str, float, dict[str, float]]:
    """Pick among the candidate languages unless a different one clearly dominates."""
    if options.language:
        return options.language, 1.0, {options.language: 1.0}
    ranked = sorted(probabilities.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = {c: round(float(probabilities.get(c, 0.0)), 4) for c in options.candidate_languages}
    top, top_p = ranked[0] if ranked else ("ru", 0.0)
    if top not in options.candidate_languages and top_p >= options.other_language_min_prob:
        shown[top] = round(float(top_p), 4)
        return top, round(float(top_p), 4), shown
    best = max(options.candidate_languages, key=lambda c: (probabilities.get(c, 0.0), c == options.candidate_languages[0]))
    return best, shown[best], shown


def transmission_audio(samples: np.ndarray, t: Transmission) -> np.ndarray:
    return np.ascontiguousarray(samples[int(t.start * SAMPLE_RATE) : int(t.end * SAMPLE_RATE)], dtype=np.float32)


def _assemble(t: Transmission, language: tuple[str, float, dict[str, float]], segments: list[EngineSegment],
              options: ASROptions) -> TranscribedTransmission:
    reason = _guard(segments, options)
    text = " ".join(s.text.strip() for s in segments if s.text.strip())
    words = tuple(Word(start=round(t.start + w.start, 3), end=round(t.start + w.end, 3), word=w.word,
                       probability=round(float(w.probability), 4))
                  for s in segments for w in s.words)
    total = sum(max(s.end - s.start, 0.01) for s in segments) or 1.0

    def mean(attr: str) -> float:
        return round(sum(max(s.end - s.start, 0.01) * getattr(s, attr) for s in segments) / total, 4) if segments else 0.0

    return TranscribedTransmission(
        index=t.index, start=t.start, end=t.end, text="" if reason else text, language=language[0],
        language_probability=language[1], language_probabilities=language[2], words=() if reason else words,
        avg_logprob=mean("avg_logprob"), no_speech_prob=mean("no_speech_prob"),
        compression_ratio=round(compression_ratio(text), 4),
        temperature=max((s.temperature for s in segments), default=0.0),
        unintelligible=bool(reason), unintelligible_reason=reason, rejected_text=text if reason else "",
    )


Language = tuple[str, float, dict[str, float]]


def _decode_each(clips: list[np.ndarray], engine: SpeechEngine, options: ASROptions,
                 progress: Callable[[int, int], None] | None) -> tuple[list[Language], dict[int, list[EngineSegment]]]:
    """One decode (and one language detection) per transmission."""
    languages = [choose_language(engine.language_probabilities(c) if not options.language else {}, options)
                 for c in clips]
    decoded: dict[int, list[EngineSegment]] = {}
    if options.batch_size > 1:
        for code in sorted({lang[0] for lang in languages}):
            members = [i for i, lang in enumerate(languages) if lang[0] == code]
            request = DecodeRequest(language=code, task="transcribe", options=options)
            for begin in range(0, len(members), options.batch_size):
                group = members[begin : begin + options.batch_size]
                for i, segments in zip(group, engine.decode_batch([clips[i] for i in group], request)):
                    decoded[i] = segments
                if progress:
                    progress(len(decoded), len(clips))
    else:
        for i, clip in enumerate(clips):
            decoded[i] = engine.decode(clip, DecodeRequest(language=languages[i][0], task="transcribe", options=options))
            if progress:
                progress(i + 1, len(clips))
    return languages, decoded


def _decode_packed(clips: list[np.ndarray], engine: SpeechEngine, options: ASROptions,
                   progress: Callable[[int, int], None] | None) -> tuple[list[Language], dict[int, list[EngineSegment]]]:
    """Transmissions packed into shared windows: one detection and one decode per window."""
    from audita.speech.packing import pack, split

    windows = pack(clips, range(len(clips)), max_seconds=options.pack_seconds, gap_seconds=options.pack_gap_seconds)
    languages: list[Language] = [("", 0.0, {})] * len(clips)
    decoded: dict[int, list[EngineSegment]] = {}
    for window in windows:
        language = choose_language(engine.language_probabilities(window.audio) if not options.language else {},
                                   options)
        segments = engine.decode(window.audio, DecodeRequest(language=language[0], task="transcribe", options=options))
        for position, parts in split(window, segments).items():
            decoded[position] = parts
            languages[position] = language
        if progress:
            progress(len(decoded), len(clips))
    return languages, decoded


def transcribe_transmissions(samples: np.ndarray, transmissions: Sequence[Transmission], engine: SpeechEngine,
                             options: ASROptions = ASROptions(),
                             progress: Callable[[int, int], None] | None = None) -> Transcription:
    """Transcribe each transmission of a 16 kHz recording; times in the result are absolute."""
    clips = [transmission_audio(samples, t) for t in transmissions]
    if options.pack_seconds > 0:
        languages, decoded = _decode_packed(clips, engine, options, progress)
    else:
        languages, decoded = _decode_each(clips, engine, options, progress)
    items = tuple(_assemble(t, languages[i], decoded[i], options) for i, t in enumerate(transmissions))
    return Transcription(items=items, options=options)
