"""The bench sections run on a corpus and report their rows (a small slice of the dev corpus here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audita.bench.sections import SECTIONS, BenchContext

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "dev"

pytestmark = pytest.mark.skipif(not (CORPUS / "index.json").is_file(), reason="dev corpus not present")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    index = json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))
    keep = {"dlg-01-phone", "dup-dev-trim", "dlg-09-radio", "dlg-02-clean"}
    index["items"] = [item for item in index["items"] if item["item_id"] in keep]
    (folder / "index.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    (folder / "audio").symlink_to(CORPUS / "audio")
    (folder / "truth").symlink_to(CORPUS / "truth")
    return folder


def _context(corpus: Path) -> BenchContext:
    import audita.search.bench  # noqa: F401  (registers the sections)

    return BenchContext(corpus_dir=corpus, items=[], baseline=None, system=None)


def _value(rows, metric: str, subset_start: str, system: str = "audita") -> float:
    return next(r.value for r in rows if r.metric == metric and r.subset.startswith(subset_start) and r.system == system)


def test_search_section_reports_lemma_recall(small_corpus):
    context = _context(small_corpus)
    rows = SECTIONS["search"](context)
    assert _value(rows, "recall", "quote, other inflection") == 1.0
    assert _value(rows, "recall", "quote, other inflection", "FTS5 without lemmas") < 0.5


def test_near_duplicate_section(small_corpus):
    context = _context(small_corpus)
    rows = SECTIONS["near_duplicates"](context)
    assert _value(rows, "recall", "1 copies") == 1.0 and _value(rows, "precision", "1 copies") == 1.0
    assert _value(rows, "offset error max (s)", "1 copies") < 0.05
    assert _value(rows, "recall", "2 s clips") == 1.0
    assert _value(rows, "recall", "2 s clips", "chromaprint only") == 0.0  # no fingerprint at 2 s
    assert _value(rows, "false match rate", "5 s clips") == 0.0
