"""Word and character error rates on normalised text (own Levenshtein, no external dependency)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lowercase, ё -> е, punctuation (and underscores) to spaces, whitespace collapsed; digits kept."""
    lowered = text.lower().replace("ё", "е")
    return " ".join(_NON_WORD.sub(" ", lowered).replace("_", " ").split())


def edit_distance(reference: Sequence[object], hypothesis: Sequence[object]) -> int:
    """Levenshtein distance (substitution, insertion, deletion all cost 1)."""
    if len(reference) < len(hypothesis):
        reference, hypothesis = hypothesis, reference
    previous = list(range(len(hypothesis) + 1))
    for i, ref_token in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_token in enumerate(hypothesis, start=1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (ref_token != hyp_token),
            )
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class ErrorCount:
    """Edits against a reference of `length` units; add counts to pool a corpus-level rate."""

    edits: int
    length: int

    @property
    def rate(self) -> float:
        if self.length == 0:
            return 0.0 if self.edits == 0 else float("inf")
        return self.edits / self.length

    def __add__(self, other: "ErrorCount") -> "ErrorCount":
        return ErrorCount(self.edits + other.edits, self.length + other.length)


def word_errors(reference: str, hypothesis: str) -> ErrorCount:
    ref = normalise(reference).split()
    return ErrorCount(edit_distance(ref, normalise(hypothesis).split()), len(ref))


def char_errors(reference: str, hypothesis: str) -> ErrorCount:
    """Characters of the normalised text, single spaces between words included."""
    ref = normalise(reference)
    return ErrorCount(edit_distance(ref, normalise(hypothesis)), len(ref))


def wer(reference: str, hypothesis: str) -> float:
    return word_errors(reference, hypothesis).rate


def cer(reference: str, hypothesis: str) -> float:
    return char_errors(reference, hypothesis).rate
