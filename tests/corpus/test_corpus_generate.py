"""Generator behaviour on one short packaged dialog (festival + sox + ffmpeg, a few seconds)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from audita.corpus import GenerateOptions, generate_corpus, load_index, load_item
from audita.corpus.audio import decode_any, read_wav
from audita.corpus.cli import corpus_group

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("text2wave", "sox", "ffmpeg")), reason="festival/sox/ffmpeg not installed"
)
DIALOG = "dlg-17"  # shortest script: three transmissions
SEED = 7


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    first = tmp_path_factory.mktemp("gen-a")
    result = CliRunner().invoke(corpus_group, [
        "generate", "--out", str(first), "--seed", str(SEED), "--split", "heldout", "--no-long",
        "--storage", "wav", "--dialog", DIALOG,
    ])
    assert result.exit_code == 0, result.output
    second = tmp_path_factory.mktemp("gen-b")
    options = GenerateOptions(seed=SEED, split="heldout", long=False, storage="wav", dialog_ids=(DIALOG,))
    generate_corpus(second, options)
    return first, second


def _items(folder: Path):
    index = load_index(folder)
    return index, {e.item_id: (e, load_item(folder, e)) for e in index.items}


def test_same_seed_gives_identical_truth_and_audio(generated):
    first, second = generated
    index_a, items_a = _items(first)
    index_b, items_b = _items(second)
    assert [e.audio_sha256 for e in index_a.items] == [e.audio_sha256 for e in index_b.items]
    for item_id, (entry, _) in items_a.items():
        assert (first / entry.truth).read_bytes() == (second / entry.truth).read_bytes()
        assert (first / entry.audio).read_bytes() == (second / items_b[item_id][0].audio).read_bytes()


def test_other_seed_changes_audio_not_script(tmp_path, generated):
    first, _ = generated
    options = GenerateOptions(seed=SEED + 1, split="heldout", long=False, near_duplicates=False,
                              storage="wav", dialog_ids=(DIALOG,), channels=("radio",))
    other = generate_corpus(tmp_path, options)
    base = {e.item_id: e for e in load_index(first).items}
    entry = other.items[0]
    assert entry.audio_sha256 != base[entry.item_id].audio_sha256
    texts_other = [t.text for t in load_item(tmp_path, entry).transmissions]
    assert texts_other == [t.text for t in load_item(first, base[entry.item_id]).transmissions]


def test_ground_truth_is_consistent(generated):
    first, _ = generated
    index, items = _items(first)
    assert {e.kind for e in index.items} == {"dialog", "near_duplicate"}
    assert {items[f"{DIALOG}-{c}"][1].channel for c in ("clean", "radio", "phone")} == {"clean", "radio", "phone"}
    for entry, truth in items.values():
        samples, rate = read_wav(first / entry.audio) if entry.audio.endswith(".wav") else (
            decode_any(first / entry.audio, entry.sample_rate), entry.sample_rate)
        assert rate == truth.sample_rate
        assert abs(len(samples) / rate - truth.duration) < 0.01
        previous_end = 0.0
        for t in truth.transmissions:
            assert 0.0 <= previous_end <= t.start < t.end <= truth.duration
            previous_end = t.end
            for span in t.indicators:
                assert span.quote in t.text and t.text[span.char_start : span.char_end] == span.quote
                assert t.start <= span.start < span.end <= t.end
        if truth.kind == "dialog":
            assert [t.text for t in truth.transmissions] and not any(t.truncated for t in truth.transmissions)
    radio = items[f"{DIALOG}-radio"][1]
    cats = [s.category for t in radio.transmissions for s in t.indicators]
    assert "attack_on_civilians" in cats
    places = [p for t in radio.transmissions for p in t.places]
    assert places[0].canonical == "Изюм" and abs(places[0].lat - 49.21) < 0.05


def _share_above(samples: np.ndarray, rate: int, hz: float) -> float:
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    return float(power[freqs > hz].sum() / power.sum())


def test_channel_properties(generated):
    first, _ = generated
    _, items = _items(first)
    clean, clean_rate = read_wav(first / items[f"{DIALOG}-clean"][0].audio)
    radio, radio_rate = read_wav(first / items[f"{DIALOG}-radio"][0].audio)
    phone, phone_rate = read_wav(first / items[f"{DIALOG}-phone"][0].audio)
    assert (clean_rate, radio_rate, phone_rate) == (16000, 8000, 8000)
    assert _share_above(radio, radio_rate, 3600) < 1e-3
    assert _share_above(clean, clean_rate, 3600) > 10 * _share_above(radio, radio_rate, 3600)
    assert _share_above(radio, radio_rate, 0) > 0 and _share_above(phone, phone_rate, 3600) < 0.01
    # radio speech is driven into the clipper: many samples sit near the peak
    assert np.mean(np.abs(radio) > 0.6) > 0.01
    phone_truth = items[f"{DIALOG}-phone"][1]
    assert phone_truth.channel_params["codec"] == "amr-nb"


def _best_lag(copy: np.ndarray, source: np.ndarray, rate: int) -> float:
    n = len(copy) + len(source)
    spectrum = np.fft.rfft(source, n) * np.conj(np.fft.rfft(copy, n))
    corr = np.fft.irfft(spectrum, n)[: len(source)]
    return float(np.argmax(corr)) / rate


def test_near_duplicates_link_to_sources_with_offsets(generated):
    first, _ = generated
    _, items = _items(first)
    dups = {i: t for i, (e, t) in items.items() if t.kind == "near_duplicate"}
    assert {t.near_duplicate_of.transform.split(":")[0] for t in dups.values()} == {"reencode", "trim-start"}
    for item_id, truth in dups.items():
        link = truth.near_duplicate_of
        source_entry, source = items[link.source_item]
        assert items[item_id][0].source_item == link.source_item
        rate = source.sample_rate
        copy = decode_any(first / truth.audio, rate)
        original = decode_any(first / source.audio, rate)
        assert abs(_best_lag(copy, original, rate) - link.offset) < 0.03
        assert [t.text for t in truth.transmissions] == [t.text for t in source.transmissions]
        for ours, theirs in zip(truth.transmissions, source.transmissions):
            assert ours.start == pytest.approx(max(theirs.start - link.offset, 0.0), abs=0.002)
    trim = next(t for t in dups.values() if t.near_duplicate_of.transform == "trim-start")
    assert 0.9 <= trim.near_duplicate_of.offset <= 1.2


def test_truth_json_has_documented_fields(generated):
    first, _ = generated
    data = json.loads((first / "truth" / f"{DIALOG}-radio.json").read_text(encoding="utf-8"))
    assert data["schema"] == "audita.corpus.item/1"
    assert data["dialog_id"] == DIALOG and data["split"] == "heldout"
    assert {"start", "end", "speaker", "text", "places", "indicators"} <= set(data["transmissions"][0])
