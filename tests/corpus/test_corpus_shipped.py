"""The dev corpus shipped in corpus/dev: manifest, hashes, size, the long log and its excerpt."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from audita.corpus import load_index, load_item
from audita.corpus.audio import decode_any

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "dev"
pytestmark = pytest.mark.skipif(not (CORPUS / "index.json").exists(), reason="corpus/dev not generated")


def test_manifest_matches_files_and_stays_small():
    index = load_index(CORPUS)
    assert index.split == "dev"
    total = 0
    for entry in index.items:
        audio = CORPUS / entry.audio
        total += audio.stat().st_size
        assert hashlib.sha256(audio.read_bytes()).hexdigest() == entry.audio_sha256
        truth = load_item(CORPUS, entry)
        assert truth.split == "dev" and truth.item_id == entry.item_id
    assert total < 6_000_000
    kinds = {e.kind for e in index.items}
    assert kinds == {"dialog", "long", "near_duplicate"}
    assert "python -m audita.corpus generate" in index.command


def test_long_recording_and_excerpt_offset():
    index = load_index(CORPUS)
    entries = {e.item_id: e for e in index.items}
    long_truth = load_item(CORPUS, entries["long-dev-radio"])
    assert long_truth.duration >= 180
    assert len(long_truth.dialog_ids) >= 3
    gaps = [b.start - a.end for a, b in zip(long_truth.transmissions, long_truth.transmissions[1:])]
    assert max(gaps) > 10
    excerpt = load_item(CORPUS, entries["dup-dev-excerpt"])
    link = excerpt.near_duplicate_of
    assert link.source_item == "long-dev-radio" and link.transform == "excerpt"
    rate = 8000
    source = decode_any(CORPUS / long_truth.audio, rate)
    copy = decode_any(CORPUS / excerpt.audio, rate)
    start = int(link.offset * rate)
    window = source[start : start + len(copy)]
    corr = float(np.dot(window, copy) / (np.linalg.norm(window) * np.linalg.norm(copy)))
    assert corr > 0.9
    shifted = source[start + rate : start + rate + len(copy)]
    assert float(np.dot(shifted, copy[: len(shifted)]) / (np.linalg.norm(shifted) * np.linalg.norm(copy))) < 0.5
