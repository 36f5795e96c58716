"""English renderings of transmissions, always labelled as unverified machine translation.

Two sources: Whisper's own ``translate`` task on the audio, and a pluggable text translator
(``TextTranslator``) applied to the source-language transcript. Nothing usable for ru/uk->en
ships offline, so the CTranslate2/OPUS-MT adapter loads a model an operator placed in a local
directory; tests use the fake adapter. Analysis must run on the source-language transcript.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from audita.speech.asr import DecodeRequest, SpeechEngine, Transcription, transmission_audio
from audita.speech.segment import Transmission

MT_LABEL = "unverified machine translation"


class TranslationError(RuntimeError):
    """A translator cannot be built or run."""


class TextTranslator(Protocol):
    name: str

    def identity(self) -> dict[str, str]:
        """What to record in provenance: backend, model path/hash..."""
        ...

    def translate(self, texts: Sequence[str], source_language: str, target_language: str = "en") -> list[str]: ...


@dataclass(frozen=True)
class TranslateOptions:
    whisper: bool = True  # Whisper's translate task on the audio
    text_backend: str | None = None  # a registered TextTranslator name, e.g. "opus-mt" or "fake"
    text_backend_path: str | None = None  # model directory for backends that need one
    target_language: str = "en"
    beam_size: int = 1  # Whisper translate decoding; greedy: the output is unverified either way
    pack_seconds: float = 28.0  # translate transmissions packed into shared windows (0: one by one)
    pack_gap_seconds: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranslateOptions:
        return cls(**data)


@dataclass(frozen=True)
class TranslationText:
    method: str  # "whisper-translate" | "text:<backend>"
    text: str
    label: str = MT_LABEL
    verified: bool = False


@dataclass(frozen=True)
class TranslatedTransmission:
    index: int
    source_language: str
    translations: tuple[TranslationText, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "source_language": self.source_language,
                "translations": [asdict(t) for t in self.translations]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranslatedTransmission:
        return cls(index=data["index"], source_language=data["source_language"],
                   translations=tuple(TranslationText(**t) for t in data["translations"]))


@dataclass(frozen=True)
class Translation:
    items: tuple[TranslatedTransmission, ...]
    options: TranslateOptions
    backend: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"items": [t.to_dict() for t in self.items], "options": self.options.to_dict(),
                "backend": dict(self.backend)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Translation:
        return cls(items=tuple(TranslatedTransmission.from_dict(t) for t in data["items"]),
                   options=TranslateOptions.from_dict(data["options"]), backend=dict(data.get("backend", {})))


class FakeTranslator:
    """Deterministic stand-in: tags each text with its language pair. For tests and demos only."""

    name = "fake"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    def translate(self, texts: Sequence[str], source_language: str, target_language: str = "en") -> list[str]:
        return [f"[{source_language}->{target_language}] {t}" for t in texts]


class OpusMTTranslator:
    """A CTranslate2-converted OPUS-MT (Marian) model in a local directory.

    Expects ``model.bin`` plus SentencePiece files ``source.spm`` and ``target.spm`` (as written by
    ``ct2-transformers-converter`` with the tokenizer files copied alongside). Needs the
    ``sentencepiece`` package, imported only when this backend is used.
    """

    name = "opus-mt"

    def __init__(self, path: Path | None = None, *, cpu_threads: int = 2) -> None:
        if path is None:
            raise TranslationError("opus-mt needs a model directory (TranslateOptions.text_backend_path)")
        folder = Path(path)
        missing = [f for f in ("model.bin", "source.spm", "target.spm") if not (folder / f).is_file()]
        if missing:
            raise TranslationError(f"{folder} is not an OPUS-MT CTranslate2 model (missing {', '.join(missing)})")
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise TranslationError(f"opus-mt backend unavailable: {exc}") from exc
        from audita.speech.models import file_sha256

        self.path = folder
        self.sha256 = file_sha256(folder / "model.bin")
        self._translator = ctranslate2.Translator(str(folder), device="cpu", compute_type="int8",
                                                  inter_threads=1, intra_threads=cpu_threads)
        self._source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self._target = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))

    def identity(self) -> dict[str, str]:
        return {"backend": self.name, "path": str(self.path), "sha256": self.sha256}

    def translate(self, texts: Sequence[str], source_language: str, target_language: str = "en") -> list[str]:
        tokens = [self._source.encode(t, out_type=str) + ["</s>"] for t in texts]
        results = self._translator.translate_batch(tokens, beam_size=4) if tokens else []
        return [self._target.decode([p for p in r.hypotheses[0] if p != "</s>"]) for r in results]


TranslatorFactory = Callable[[Path | None], TextTranslator]
_REGISTRY: dict[str, TranslatorFactory] = {"fake": FakeTranslator, "opus-mt": OpusMTTranslator}


def register_translator(name: str, factory: TranslatorFactory) -> None:
    _REGISTRY[name] = factory


def available_translators() -> list[str]:
    return sorted(_REGISTRY)


def get_translator(name: str, path: Path | None = None) -> TextTranslator:
    if name not in _REGISTRY:
        raise TranslationError(f"unknown text translator {name!r} (known: {', '.join(available_translators())})")
    return _REGISTRY[name](path)


def translate_transmissions(samples: np.ndarray, transmissions: Sequence[Transmission], transcription: Transcription,
                            options: TranslateOptions = TranslateOptions(), *, engine: SpeechEngine | None = None,
                            translator: TextTranslator | None = None,
                            progress: Callable[[int, int], None] | None = None) -> Translation:
    """English for every intelligible transmission; unintelligible ones get none."""
    if translator is None and options.text_backend:
        translator = get_translator(options.text_backend,
                                    Path(options.text_backend_path) if options.text_backend_path else None)
    if options.whisper and engine is None:
        raise TranslationError("Whisper translation needs the speech engine")
    by_index = {t.index: t for t in transcription.items}
    todo = [t for t in transmissions if t.index in by_index and not by_index[t.index].unintelligible]
    spoken = _whisper_translations(samples, todo, transcription, options, engine, progress) \
        if options.whisper and engine is not None else {}
    items: list[TranslatedTransmission] = []
    for t in todo:
        item = by_index[t.index]
        texts: list[TranslationText] = []
        if t.index in spoken:
            texts.append(TranslationText("whisper-translate", spoken[t.index]))
        if translator is not None:
            rendered = translator.translate([item.text], item.language, options.target_language)[0]
            texts.append(TranslationText(f"text:{translator.name}", rendered))
        items.append(TranslatedTransmission(index=t.index, source_language=item.language, translations=tuple(texts)))
    return Translation(items=tuple(items), options=options, backend=translator.identity() if translator else {})


def _whisper_translations(samples: np.ndarray, todo: Sequence[Transmission], transcription: Transcription,
                          options: TranslateOptions, engine: SpeechEngine,
                          progress: Callable[[int, int], None] | None) -> dict[int, str]:
    """Whisper's English for each transmission, packed per source language when asked."""
    from audita.speech.packing import pack, split

    languages = {t.index: t.language for t in transcription.items}
    decode_options = replace(transcription.options, beam_size=options.beam_size,
                             temperatures=transcription.options.temperatures[:1])
    clips = [transmission_audio(samples, t) for t in todo]
    out: dict[int, str] = {}
    for language in sorted({languages[t.index] for t in todo}):
        positions = [i for i, t in enumerate(todo) if languages[t.index] == language]
        request = DecodeRequest(language=language, task="translate", options=decode_options)
        if options.pack_seconds > 0:
            windows = pack(clips, positions, max_seconds=options.pack_seconds, gap_seconds=options.pack_gap_seconds)
            parts = {p: segs for w in windows for p, segs in split(w, engine.decode(w.audio, request)).items()}
        else:
            parts = {p: engine.decode(clips[p], request) for p in positions}
        for position, segments in parts.items():
            out[todo[position].index] = " ".join(s.text.strip() for s in segments).strip()
        if progress:
            progress(len(out), len(todo))
    return out
