"""The in-process embedding cache is bounded: clearing it while a call is under way must not lose
vectors the call already had (the bench over every split crossed the bound and failed on this)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from audita.analysis import embedding as emb


class _FakeModel:
    """Deterministic vectors: the text's length in one coordinate, normalised."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def query(self, texts: list[str]) -> Any:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 384), dtype="float32")
        for row, text in enumerate(texts):
            out[row, len(text) % 384] = 1.0
        return out


def test_a_call_that_overflows_the_cache_returns_every_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _FakeModel()
    monkeypatch.setattr(emb, "_model", lambda: model)
    monkeypatch.setattr(emb, "_CACHE", {})
    monkeypatch.setattr(emb, "_CACHE_LIMIT", 3)
    first = emb.embed(["a", "bb"])
    assert model.calls == [["a", "bb"]]
    both = emb.embed(["a", "bb", "ccc", "dddd"])  # two cached + two new > the bound: the cache is cleared
    assert model.calls[-1] == ["ccc", "dddd"]
    assert both.shape == (4, 384)
    assert np.array_equal(both[:2], first)
    assert [int(np.argmax(v)) for v in both] == [1, 2, 3, 4]
    assert set(emb._CACHE) == {"ccc", "dddd"}
    again = emb.embed(["dddd", "a"])  # "a" was dropped with the clear and is embedded again
    assert model.calls[-1] == ["a"] and [int(np.argmax(v)) for v in again] == [4, 1]
