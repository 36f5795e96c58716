"""The lexical half of the learned indicator signal: one-vs-rest logistic regression over lemmas.

A sentence's features (``FEATURES``) are its lemmas (``s:``, the most probable normal form of each
word, pymorphy3 for Russian and Ukrainian, a stem for English), its lemma bigrams (``b:``) and the
lemmas of the words read before it (``c:``, the same context window the embedding half reads).
Lemmas carry over between writers where sentence embeddings do not: «расстреляли», «расстрелять»
and «розстріляли» share a feature with every other form of the word.

The vocabulary is every feature seen at least ``MIN_COUNT`` times in training. Weights are fitted by
L-BFGS on the class-balanced logistic loss with an L2 penalty of ``1 / (2 C)`` (the bias is not
penalised), deterministically. Stored as float32 (``pack_array``) beside the network in
``data/classifier.json`` (key ``lexical``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

FEATURES = "lemmas+bigrams+context-lemmas/1"
MIN_COUNT = 2
C = 3.0


def lemmas(text: str, language: str) -> list[str]:
    from audita.text.lemmas import lemmatize

    return [t.lemmas[0] if t.lemmas else t.text.lower() for t in lemmatize(text, language)]


def features(context: str, sentence: str, language: str) -> frozenset[str]:
    """Lexical features of ``sentence`` read after ``context`` (the words before it, already cut to
    the context window: ``classifier.context_words``)."""
    words = lemmas(sentence, language)
    out = {f"s:{w}" for w in words} | {f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)}
    if context.strip():
        out |= {f"c:{w}" for w in lemmas(context, language)}
    return frozenset(out)


def vocabulary(rows: Iterable[frozenset[str]], min_count: int = MIN_COUNT) -> list[str]:
    counts = Counter(f for row in rows for f in row)
    return sorted(f for f, n in counts.items() if n >= min_count)


def matrix(rows: Sequence[frozenset[str]], vocab: Sequence[str], index: dict[str, int] | None = None) -> Any:
    """Binary (rows, vocabulary) sparse matrix."""
    import scipy.sparse as sp

    index = index if index is not None else {f: j for j, f in enumerate(vocab)}
    r, c = [], []
    for i, row in enumerate(rows):
        for f in sorted(row):
            j = index.get(f)
            if j is not None:
                r.append(i)
                c.append(j)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rows), len(vocab)))


def _fit_binary(x: Any, y: Any, weight: Any, c: float) -> tuple[Any, float]:
    from scipy.optimize import minimize

    d = x.shape[1]

    def objective(theta: Any) -> tuple[float, Any]:
        w, b = theta[:d], theta[d]
        z = x @ w + b
        # log(1 + e^z) - y z, stable
        loss = np.logaddexp(0.0, z) - y * z
        g = weight * (1.0 / (1.0 + np.exp(-z)) - y)
        value = float(weight @ loss) + 0.5 / c * float(w @ w)
        grad = np.concatenate([x.T @ g + w / c, [g.sum()]])
        return value, grad

    result = minimize(objective, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:d], float(result.x[d])


def fit(rows: Sequence[frozenset[str]], y: Any, balance: Any, classes: Sequence[str], c: float = C,
        min_count: int = MIN_COUNT) -> LexicalModel:
    """One logistic regression per class over the rows' lexical features. ``y``/``balance``: the
    (rows, classes) targets and class-balanced weights of ``classifier.targets``/``class_balance``.
    The weights are rounded to float32, as stored: what is evaluated is exactly what is written."""
    vocab = vocabulary(rows, min_count)
    x = matrix(rows, vocab)
    weights, bias = [], []
    for j in range(len(classes)):
        w, b = _fit_binary(x, y[:, j], balance[:, j], c)
        weights.append(w)
        bias.append(b)
    return LexicalModel(vocab, np.asarray(weights, dtype="<f4").astype(np.float64),
                        np.asarray(bias, dtype="<f4").astype(np.float64))


class LexicalModel:
    """A fitted lexical model (as stored): vocabulary, (classes, vocabulary) weights, biases."""

    def __init__(self, vocab: Sequence[str], weights: Any, bias: Any):
        self.vocabulary = tuple(vocab)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.index = {f: j for j, f in enumerate(self.vocabulary)}

    def probabilities(self, rows: Sequence[frozenset[str]]) -> Any:
        """(rows, classes) probabilities."""
        z = matrix(rows, self.vocabulary, self.index) @ self.weights.T + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def strongest(self, row: frozenset[str], class_index: int, k: int = 4) -> tuple[str, ...]:
        """The features of ``row`` that push class ``class_index`` up most (for a flag's reason)."""
        scored = [(float(self.weights[class_index, self.index[f]]), f) for f in row if f in self.index]
        return tuple(f for w, f in sorted(scored, key=lambda t: (-t[0], t[1]))[:k] if w > 0)
