"""The real speech engine: a faster-whisper model loaded from a verified local directory."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audita.speech.asr import DecodeRequest, EngineSegment, Word
from audita.speech.models import ResolvedModel

SAMPLE_RATE = 16000


class FasterWhisperEngine:
    """faster-whisper ``WhisperModel`` (int8, CPU, local files only) behind the SpeechEngine protocol."""

    def __init__(self, model: ResolvedModel, *, cpu_threads: int = 2, compute_type: str = "int8") -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.model_info = model
        self.model = WhisperModel(str(model.path), device="cpu", compute_type=compute_type,
                                  cpu_threads=cpu_threads, num_workers=1, local_files_only=True)
        self._batched = BatchedInferencePipeline(model=self.model)

    def language_probabilities(self, audio: np.ndarray) -> dict[str, float]:
        _, _, ranked = self.model.detect_language(audio=np.asarray(audio, dtype=np.float32))
        return {code: float(p) for code, p in ranked}

    def _kwargs(self, request: DecodeRequest) -> dict[str, object]:
        o = request.options
        return dict(language=request.language, task=request.task, beam_size=o.beam_size,
                    compression_ratio_threshold=o.compression_ratio_threshold,
                    log_prob_threshold=o.log_prob_threshold, no_speech_threshold=o.no_speech_threshold,
                    initial_prompt=o.prompt(), hotwords=o.hotwords(),
                    word_timestamps=o.word_timestamps and request.task == "transcribe", vad_filter=False)

    @staticmethod
    def _convert(segments: object, offset: float = 0.0) -> list[EngineSegment]:
        out = []
        for s in segments:  # type: ignore[attr-defined]
            words = tuple(Word(start=float(w.start) - offset, end=float(w.end) - offset, word=w.word,
                               probability=float(w.probability)) for w in (s.words or ()))
            out.append(EngineSegment(start=float(s.start) - offset, end=float(s.end) - offset, text=s.text,
                                     avg_logprob=float(s.avg_logprob), no_speech_prob=float(s.no_speech_prob),
                                     compression_ratio=float(s.compression_ratio),
                                     temperature=float(s.temperature or 0.0), words=words))
        return out

    def decode(self, audio: np.ndarray, request: DecodeRequest) -> list[EngineSegment]:
        segments, _ = self.model.transcribe(np.asarray(audio, dtype=np.float32),
                                            temperature=list(request.options.temperatures),
                                            condition_on_previous_text=False, **self._kwargs(request))
        return self._convert(list(segments))

    def decode_batch(self, clips: Sequence[np.ndarray], request: DecodeRequest) -> list[list[EngineSegment]]:
        """Decode clips together: they are laid end to end with 1 s gaps and given as clip timestamps."""
        gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
        pieces: list[np.ndarray] = []
        bounds: list[tuple[float, float]] = []
        cursor = 0
        for clip in clips:
            bounds.append((cursor / SAMPLE_RATE, (cursor + len(clip)) / SAMPLE_RATE))
            pieces += [np.asarray(clip, dtype=np.float32), gap]
            cursor += len(clip) + len(gap)
        joined = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        segments, _ = self._batched.transcribe(
            joined, clip_timestamps=[{"start": a, "end": b} for a, b in bounds], batch_size=len(clips),
            temperature=[request.options.temperatures[0]], **self._kwargs(request))
        out: list[list[EngineSegment]] = [[] for _ in clips]
        for s in segments:
            middle = (float(s.start) + float(s.end)) / 2
            slot = next((i for i, (a, b) in enumerate(bounds) if a - 0.5 <= middle <= b + 0.5), None)
            if slot is not None:
                out[slot].extend(self._convert([s], bounds[slot][0]))
        return out
