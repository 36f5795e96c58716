"""Benchmark sections (registered on import): ``near_duplicates`` and ``search``.

``near_duplicates``: every audio file of the corpus against every other; the truth is each
near-duplicate's ``near_duplicate_of`` link. Recall and precision count republication matches;
the baseline is chromaprint alone (one frame phase, same threshold). Offsets are checked against
the truth. Short clips: 2 s and 5 s cut from each dialog item at a seeded position and re-encoded
(MP3, 16 kbit/s); recall of the source with the offset within 0.1 s, and false matches when every
item with the clip's dialog is removed from the candidates. Baseline: chromaprint alone on the clip.

``search``: the corpus truth transcripts (one rendering per dialog) indexed like transcripts; place
queries in dictionary form must find every transmission that names the place in any inflection,
and indicator quotes re-inflected word by word (into the dictionary form, and into another form of
the same word) must find their transmission. When the bench runs a speech system, the same queries
also go against its machine transcripts of the dialog items (recognition errors included).
Baseline: the same FTS5 index without lemmas (surface forms only).
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from audita.bench.sections import BenchContext, register_section
from audita.bench.table import Row, compared
from audita.corpus.truth import ItemTruth, load_index, load_item
from audita.media.decode import decode_audio
from audita.search import fingerprint as chroma
from audita.search.api import run_query
from audita.search.duplicates import AudioSource, DuplicateOptions, Matcher, compare_files
from audita.search.index import SearchIndex, add_entries, create_schema
from audita.search.query import parse_query, surface
from audita.search.sources import Entry
from audita.text import tokenize

CLIP_LENGTHS = (2.0, 5.0)
OFFSET_TOLERANCE = 0.1
BASELINE = "chromaprint, one phase"
FTS_BASELINE = "FTS5 without lemmas"


def _corpus(ctx: BenchContext) -> list[ItemTruth]:
    index = load_index(ctx.corpus_dir)
    return [load_item(ctx.corpus_dir, entry) for entry in index.items]


def _truth_pairs(items: list[ItemTruth]) -> dict[frozenset[str], float]:
    """Unordered pair -> offset of the copy in its source."""
    return {frozenset((i.item_id, i.near_duplicate_of.source_item)): i.near_duplicate_of.offset
            for i in items if i.near_duplicate_of is not None}


def _pair_rows(results: dict[str, Any], truth: dict[frozenset[str], float],
               items: dict[str, ItemTruth]) -> dict[str, float]:
    found: dict[frozenset[str], float] = {}
    possible: set[frozenset[str]] = set()
    for key, result in results.items():
        for match in result.matches:
            pair = frozenset((key, match.other_id))
            if match.confidence == "republication":
                copy = items[key]
                if copy.near_duplicate_of is not None and copy.near_duplicate_of.source_item == match.other_id:
                    found[pair] = abs(match.offset - copy.near_duplicate_of.offset)
                else:
                    found.setdefault(pair, float("nan"))
            else:
                possible.add(pair)
    true_found = [p for p in found if p in truth]
    errors = [found[p] for p in true_found if found[p] == found[p]]
    same_speech = [p for p in possible if p not in truth and set.intersection(*(set(items[k].dialog_ids) for k in p))]
    return {
        "recall": len(true_found) / len(truth) if truth else 0.0,
        "precision": len(true_found) / len(found) if found else 0.0,
        "offset error max (s)": max(errors) if errors else float("nan"),
        "possible matches": float(len(possible)),
        "possible: same dialog": len(same_speech) / len(possible) if possible else 1.0,
    }


def _encode_mp3(samples: np.ndarray, rate: int, out: Path) -> Path:
    raw = out.with_suffix(".raw")
    raw.write_bytes(chroma.to_pcm16(samples))
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i",
                    str(raw), "-b:a", "16k", str(out)], check=True, capture_output=True)
    raw.unlink()
    return out


def _clip_rows(items: list[ItemTruth], corpus: Path, seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    matcher = Matcher(DuplicateOptions(), audio_cache=len(items) + 8)
    forced = Matcher(DuplicateOptions(spectral_fallback=False, phases=1, min_overlap_seconds=1.0),
                     audio_cache=len(items) + 8)
    for item in items:
        path = corpus / item.audio
        samples = decode_audio(path, chroma.SAMPLE_RATE)
        fingerprint = chroma.Fingerprint(chroma.fingerprint_samples(samples), samples.size / chroma.SAMPLE_RATE)
        for target in (matcher, forced):
            target.add(item.item_id, fingerprint, AudioSource(item.item_id, lambda rate, path=path: decode_audio(path, rate)))
    hits = {"audita": 0, "baseline": 0}
    false = {"audita": 0, "baseline": 0}
    dialogs = [i for i in items if i.kind == "dialog"]
    everything = [i.item_id for i in items]
    with tempfile.TemporaryDirectory() as folder:
        for item in dialogs:
            samples = decode_audio(corpus / item.audio, chroma.SAMPLE_RATE)
            seed = int(hashlib.sha256(item.item_id.encode()).hexdigest()[:8], 16)
            latest_start = max(0.6, samples.size / chroma.SAMPLE_RATE - seconds - 0.5)
            start = float(np.random.default_rng(seed).uniform(0.5, latest_start))
            piece = samples[int(start * chroma.SAMPLE_RATE): int((start + seconds) * chroma.SAMPLE_RATE)]
            path = _encode_mp3(piece, chroma.SAMPLE_RATE, Path(folder) / f"{item.item_id}-{seconds:g}.mp3")
            clip = decode_audio(path, chroma.SAMPLE_RATE)
            key = f"clip{seconds:g}:{item.item_id}"
            fingerprint = chroma.Fingerprint(chroma.fingerprint_samples(clip), clip.size / chroma.SAMPLE_RATE)
            unrelated = [i.item_id for i in items if not set(i.dialog_ids) & set(item.dialog_ids)]
            for name, target in (("audita", matcher), ("baseline", forced)):
                target.add(key, fingerprint, AudioSource(key, lambda rate, path=path: decode_audio(path, rate)))
                result = target.compare(key, everything)
                if any(m.other_id == item.item_id and m.confidence == "republication"
                       and abs(m.offset - start) <= OFFSET_TOLERANCE for m in result.matches):
                    hits[name] += 1
                if any(m.confidence == "republication" for m in target.compare(key, unrelated).matches):
                    false[name] += 1
    count = max(len(dialogs), 1)
    return ({"recall": hits["audita"] / count, "false match rate": false["audita"] / count},
            {"recall": hits["baseline"] / count, "false match rate": false["baseline"] / count})


@register_section("near_duplicates")
def near_duplicates_section(ctx: BenchContext) -> list[Row]:
    """Republication recall/precision and offsets on the corpus' re-encoded, trimmed and excerpted copies."""
    items = _corpus(ctx)
    truth = _truth_pairs(items)
    if not truth:
        return []
    by_id = {i.item_id: i for i in items}
    paths = {i.item_id: ctx.corpus_dir / i.audio for i in items}
    ours = _pair_rows(compare_files(paths), truth, by_id)
    base = _pair_rows(compare_files(paths, DuplicateOptions(phases=1)), truth, by_id)
    rows: list[Row] = []
    subset = f"{len(truth)} copies / {len(items)} files"
    for metric in ("recall", "precision", "offset error max (s)", "possible matches", "possible: same dialog"):
        rows.append(Row("near_duplicates", metric, subset, BASELINE, base[metric]))
        rows.append(compared("near_duplicates", metric, subset, ctx.system_label, ours[metric], base[metric]))
    for seconds in CLIP_LENGTHS:
        clip_ours, clip_base = _clip_rows(items, ctx.corpus_dir, seconds)
        subset = f"{seconds:g} s clips, mp3 16k ({sum(1 for i in items if i.kind == 'dialog')})"
        for metric in ("recall", "false match rate"):
            rows.append(Row("near_duplicates", metric, subset, "chromaprint only", clip_base[metric]))
            rows.append(compared("near_duplicates", metric, subset, ctx.system_label, clip_ours[metric],
                                 clip_base[metric]))
    return rows


# ---- search lemma recall ------------------------------------------------------------------------------


def _surface_index(connection: sqlite3.Connection, entries: list[Entry]) -> None:
    for entry in entries:
        cursor = connection.execute(
            'INSERT INTO entries (item_id, case_id, item_kind, item_name, source, derivation_id, transmission, '
            'categories, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (entry.item_id, entry.case_id, entry.item_kind, entry.item_name, entry.source, entry.derivation_id,
             entry.transmission, "", entry.text))
        connection.execute("INSERT INTO fts (rowid, lemmas) VALUES (?, ?)",
                           (cursor.lastrowid, " ".join(surface(w) for w, _, _ in tokenize(entry.text))))


def _other_form(word: str) -> tuple[str, str]:
    """(dictionary form, another inflected form) of a Russian word, chosen deterministically."""
    from audita.text import lemmas

    parse = lemmas._analyzer("ru").parse(word.lower())[0]
    forms = [f.word for f in parse.lexeme if f.word not in (word.lower(), parse.normal_form)]
    forms = list(dict.fromkeys(forms))
    if not forms:
        return parse.normal_form, parse.normal_form
    pick = int(hashlib.sha256(word.encode()).hexdigest()[:8], 16) % len(forms)
    return parse.normal_form, forms[pick]


def _queries(items: list[ItemTruth]) -> tuple[list[Entry], dict[str, list[tuple[str, set[str]]]]]:
    entries: list[Entry] = []
    seen: set[tuple[str, int]] = set()
    places: dict[str, set[str]] = {}
    quotes: list[tuple[str, str]] = []
    for item in items:
        if item.kind != "dialog":
            continue
        for transmission in item.transmissions:
            key = (transmission.dialog_id, transmission.index)
            if key in seen:
                continue
            seen.add(key)
            entry_id = f"{transmission.dialog_id}#{transmission.index}"
            entries.append(Entry(item_id=entry_id, case_id="bench", item_kind="recording", item_name=entry_id,
                                 source="transcript", derivation_id="truth", text=transmission.text, language="ru",
                                 transmission=transmission.index))
            for place in transmission.places:
                places.setdefault(place.canonical, set()).add(entry_id)
            for indicator in transmission.indicators:
                quotes.append((indicator.quote, entry_id))
    sets: dict[str, list[tuple[str, set[str]]]] = {
        "place, dictionary form": [(name, ids) for name, ids in sorted(places.items())],
        "quote, dictionary forms": [], "quote, other inflection": [],
    }
    for quote, entry_id in quotes:
        words = [w for w, _, _ in tokenize(quote)]
        lemma_words, other_words = [], []
        for word in words:
            if len(word) >= 4:
                normal, other = _other_form(word)
                lemma_words.append(normal)
                other_words.append(other)
            else:
                lemma_words.append(word)
                other_words.append(word)
        sets["quote, dictionary forms"].append((" ".join(lemma_words), {entry_id}))
        sets["quote, other inflection"].append((" ".join(other_words), {entry_id}))
    return entries, sets


def _measure(index: SearchIndex, queries: list[tuple[str, set[str]]]) -> tuple[float, float]:
    wanted = found = returned = relevant_returned = 0
    for text, relevant in queries:
        hits = run_query(index, parse_query(text), [], [], 500)
        ids = {h.item_id for h in hits}
        wanted += len(relevant)
        found += len(ids & relevant)
        returned += len(ids)
        relevant_returned += len(ids & relevant)
    return (found / wanted if wanted else 0.0, relevant_returned / returned if returned else 1.0)


def _machine_queries(ctx: BenchContext) -> tuple[list[Entry], dict[str, list[tuple[str, set[str]]]]]:
    """Each dialog item's machine transcript (the system under test) as one passage; the same
    queries, relevant when the item's truth holds the place or the quote."""
    entries: list[Entry] = []
    places: dict[str, set[str]] = {}
    quotes: list[tuple[str, str]] = []
    for item in ctx.items:
        if item.kind != "dialog" or ctx.system is None:
            continue
        text = ctx.transcript(ctx.system, item).text
        entries.append(Entry(item_id=item.item_id, case_id="bench", item_kind="recording", item_name=item.item_id,
                             source="transcript", derivation_id="asr", text=text, language="ru"))
        for transmission in item.transmissions:
            for place in transmission.places:
                places.setdefault(place.canonical, set()).add(item.item_id)
            for indicator in transmission.indicators:
                quotes.append((indicator.quote, item.item_id))
    sets: dict[str, list[tuple[str, set[str]]]] = {"place, dictionary form": sorted(places.items())}
    sets["quote, other inflection"] = [(" ".join(_other_form(w)[1] if len(w) >= 4 else w
                                                 for w, _, _ in tokenize(quote)), {item_id}) for quote, item_id in quotes]
    return entries, sets


def _search_rows(ctx: BenchContext, entries: list[Entry], query_sets: dict[str, list[tuple[str, set[str]]]],
                 label: str) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        ours = SearchIndex(Path(folder) / "lemmas.db")
        plain = SearchIndex(Path(folder) / "surface.db")
        for index, fill in ((ours, add_entries), (plain, _surface_index)):
            with index.connect() as connection:
                create_schema(connection)
                connection.execute("BEGIN")
                fill(connection, entries)
                connection.execute("COMMIT")
        for name, queries in query_sets.items():
            if not queries:
                continue
            recall, precision = _measure(ours, queries)
            base_recall, base_precision = _measure(plain, queries)
            subset = f"{name} ({len(queries)} queries{label})"
            rows.append(Row("search", "recall", subset, FTS_BASELINE, base_recall))
            rows.append(compared("search", "recall", subset, ctx.system_label, recall, base_recall))
            if name.startswith("place"):
                rows.append(Row("search", "precision", subset, FTS_BASELINE, base_precision))
                rows.append(compared("search", "precision", subset, ctx.system_label, precision, base_precision))
    return rows


@register_section("search")
def search_section(ctx: BenchContext) -> list[Row]:
    """Lemma recall (and precision for places) of search on the corpus' truth transcripts and, when
    the bench has a speech system, on its machine transcripts of the dialog items."""
    entries, query_sets = _queries(_corpus(ctx))
    if not entries:
        return []
    rows = _search_rows(ctx, entries, query_sets, "")
    if ctx.system is not None and any(i.kind == "dialog" for i in ctx.items):
        machine, machine_sets = _machine_queries(ctx)
        rows += _search_rows(ctx, machine, machine_sets, f", {ctx.system.name} transcripts")
    return rows
