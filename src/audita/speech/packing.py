"""Pack short transmissions into shared decoding windows, and split the results back.

Whisper's encoder always looks at 30 s. Decoding each push-to-talk transmission alone pays a full
window for two seconds of speech; decoding the whole file pays for every second of static between
transmissions. Packing lays consecutive transmissions end to end, separated by a little digital
silence, into windows of at most ``max_seconds``; each window is decoded once and every word goes
back to the transmission whose span holds the word's midpoint. Words whose midpoint falls in the
silence between two clips belong to neither and are dropped (the model invented them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audita.speech.asr import EngineSegment, Word

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Window:
    members: tuple[int, ...]  # positions in the packed clip list
    offsets: tuple[float, ...]  # where each member starts inside the window (seconds)
    lengths: tuple[float, ...]  # each member's length (seconds)
    audio: np.ndarray


def pack(clips: Sequence[np.ndarray], positions: Sequence[int], *, max_seconds: float,
         gap_seconds: float) -> list[Window]:
    """Greedy packing in order; a clip longer than ``max_seconds`` gets a window of its own."""
    gap = np.zeros(int(gap_seconds * SAMPLE_RATE), dtype=np.float32)
    windows: list[Window] = []
    members: list[int] = []
    offsets: list[float] = []
    lengths: list[float] = []
    pieces: list[np.ndarray] = []
    cursor = 0.0

    def close() -> None:
        if members:
            windows.append(Window(tuple(members), tuple(offsets), tuple(lengths),
                                  np.concatenate(pieces).astype(np.float32)))

    for position in positions:
        clip = np.asarray(clips[position], dtype=np.float32)
        length = len(clip) / SAMPLE_RATE
        if members and cursor + length > max_seconds:
            close()
            members, offsets, lengths, pieces, cursor = [], [], [], [], 0.0
        if members:
            pieces.append(gap)
            cursor += gap_seconds
        members.append(position)
        offsets.append(cursor)
        lengths.append(length)
        pieces.append(clip)
        cursor += length
    close()
    return windows


def _member_at(window: Window, start: float, end: float) -> int | None:
    middle = (start + end) / 2
    for slot, (offset, length) in enumerate(zip(window.offsets, window.lengths)):
        if offset <= middle <= offset + length:
            return slot
    return None


def _best_overlap(window: Window, start: float, end: float) -> int | None:
    overlaps = [max(0.0, min(end, o + n) - max(start, o)) for o, n in zip(window.offsets, window.lengths)]
    best = int(np.argmax(overlaps)) if overlaps else 0
    return best if overlaps and overlaps[best] > 0 else _member_at(window, start, end)


def split(window: Window, segments: Sequence[EngineSegment]) -> dict[int, list[EngineSegment]]:
    """Segments per member (keyed by clip position), with times relative to that member's clip.

    Segments with word timings are split word by word; segments without (the translate task) go
    whole to the member they overlap most.
    """
    out: dict[int, list[EngineSegment]] = {position: [] for position in window.members}
    for segment in segments:
        if not segment.words:
            slot = _best_overlap(window, segment.start, segment.end)
            if slot is None:
                continue
            shift = window.offsets[slot]
            out[window.members[slot]].append(EngineSegment(
                start=max(segment.start - shift, 0.0), end=max(segment.end - shift, 0.0), text=segment.text,
                avg_logprob=segment.avg_logprob, no_speech_prob=segment.no_speech_prob,
                compression_ratio=segment.compression_ratio, temperature=segment.temperature))
            continue
        grouped: dict[int, list[Word]] = {}
        for word in segment.words:
            slot = _member_at(window, word.start, word.end)
            if slot is not None:
                shift = window.offsets[slot]
                grouped.setdefault(slot, []).append(
                    Word(start=max(word.start - shift, 0.0), end=max(word.end - shift, 0.0), word=word.word,
                         probability=word.probability))
        for slot, words in sorted(grouped.items()):
            out[window.members[slot]].append(EngineSegment(
                start=words[0].start, end=words[-1].end, text="".join(w.word for w in words).strip(),
                avg_logprob=segment.avg_logprob, no_speech_prob=segment.no_speech_prob,
                compression_ratio=segment.compression_ratio, temperature=segment.temperature,
                words=tuple(words)))
    return out
