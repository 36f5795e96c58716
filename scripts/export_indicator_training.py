"""Export the development material the learned indicator signal is trained on into package data
(``src/audita/analysis/data/indicator_training.json``): runtime code cannot import the tests.

Sources (development material only): the second phrasebook and its probes
(``tests/analysis/devset.py``: main, probe..probe6, everyday talk), the first phrasebook
(``tests/analysis/phrasebook.py``), the sentences of the dev dialogs dlg-01..dlg-13, of the first
held-out set dlg-14..dlg-44 (measured twice), of the second, dlg-101..dlg-140, and of the third,
dlg-201..dlg-240, of the fourth, dlg-301..dlg-340, of the fifth, dlg-401..dlg-440, of the sixth,
dlg-501..dlg-540, of the seventh, dlg-601..dlg-640, of the eighth, dlg-701..dlg-740, of the ninth,
dlg-801..dlg-840, of the tenth, dlg-901..dlg-940, of the eleventh, dlg-1001..dlg-1040, of the twelfth,
dlg-1101..dlg-1140, of the thirteenth, dlg-1141..dlg-1180, of the fourteenth, dlg-1181..dlg-1220, of the
fifteenth, dlg-1221..dlg-1260, of the sixteenth, dlg-1261..dlg-1300, and of the seventeenth, dlg-1301..dlg-1340
(each measured once; development material since it was measured; each sentence
labelled by the indicator categories whose quotes fall in it, else negative), the hand-written exchanges of
``tests/analysis/training/*.json`` (one author per file, written without sight of the rules or any evaluation
dialog; authors in ``CHECK_AUTHORS`` are left out) and the embedding examples (``data/prototypes.json``).
Splits not listed in ``DIALOG_SETS`` are never read: the sealed heldout18.

Each row: ``text``, ``language``, ``categories`` (empty = negative), ``also`` (a second category a
positive may fairly raise: not counted as a negative of it), ``previous`` (the turns before the
sentence and the earlier sentences of its own turn; empty for lone sentences), ``set`` (the fold
used for cross-validation: one per phrasebook, dialog split and author) and ``kind`` (positive,
hard_negative, everyday, dialog, neutral_example, authored_negative, authored_context).

    .venv/bin/python scripts/export_indicator_training.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "analysis"))
sys.path.insert(0, str(ROOT / "src"))

import devset  # noqa: E402
import phrasebook  # noqa: E402

from audita.analysis.classifier import CONTEXT_TURNS  # noqa: E402
from audita.analysis.evaluate import dialog_language  # noqa: E402
from audita.analysis.tokens import sentence_spans  # noqa: E402
from audita.corpus.dialogs import load_dialogs  # noqa: E402

# The first held-out set (dlg-14..dlg-44, measured twice), the second (dlg-101..dlg-140), the third
# (dlg-201..dlg-240), the fourth (dlg-301..dlg-340), the fifth (dlg-401..dlg-440), the sixth (dlg-501..dlg-540)
# the seventh (dlg-601..dlg-640), the eighth (dlg-701..dlg-740), the ninth (dlg-801..dlg-840), the tenth
# (dlg-901..dlg-940), the eleventh (dlg-1001..dlg-1040), the twelfth (dlg-1101..dlg-1140), the thirteenth
# (dlg-1141..dlg-1180), the fourteenth (dlg-1181..dlg-1220), the fifteenth (dlg-1221..dlg-1260), the sixteenth
# (dlg-1261..dlg-1300) and the seventeenth (dlg-1301..dlg-1340), each measured once, are development material since
# then (each its own fold); the sealed heldout18 and any split not listed are never read.
DIALOG_SETS = {"dev": "dialogs", "heldout": "heldout1", **{f"heldout{k}": f"heldout{k}" for k in range(2, 18)}}
TRAINING = ROOT / "tests" / "analysis" / "training"
# Authors kept out of the training rows: an unseen check on the rules and the learned signal (author S,
# written 2026-12-07, measured once with round-14 rules and the classifier trained without it).
CHECK_AUTHORS = frozenset({"S"})
OUT = ROOT / "src" / "audita" / "analysis" / "data" / "indicator_training.json"


def _turn_rows(text: str, spans: list[tuple[str, int, int]], before: list[str], language: str, which: str,
               kind: str, source: str) -> list[dict]:
    """One row per sentence of a turn: labelled by the indicator spans it overlaps, with the turns
    before it and the earlier sentences of its own turn as ``previous`` (see classifier.context_text)."""
    out = []
    for a, b in sentence_spans(text):
        sentence = text[a:b].strip()
        if not any(c.isalpha() for c in sentence):
            continue
        start = a + text[a:b].index(sentence)
        end = start + len(sentence)
        categories = sorted({c for c, s, e in spans if s < end and start < e})
        earlier = text[:start].strip()
        out.append({"text": sentence, "language": language, "categories": categories, "also": [],
                    "previous": [*before, earlier] if earlier else list(before), "set": which,
                    "kind": kind if kind == "dialog" else "positive" if categories else kind,
                    "source": source})
    return out


def rows() -> list[dict]:
    out: list[dict] = []
    for which, (positive, negative, also) in devset.SETS.items():
        for category, language, text, _word in positive:
            out.append({"text": text, "language": language, "categories": [category],
                        "also": sorted(also.get(text, frozenset()) - {category}), "set": which, "kind": "positive"})
        for language, text in negative:
            out.append({"text": text, "language": language, "categories": [], "also": [], "set": which,
                        "kind": "everyday" if which == "probe5" else "hard_negative"})
    for category, language, text, _word in phrasebook.POSITIVE:
        out.append({"text": text, "language": language, "categories": [category], "also": [], "set": "phrasebook",
                    "kind": "positive"})
    for language, text in phrasebook.NEGATIVE:
        out.append({"text": text, "language": language, "categories": [], "also": [], "set": "phrasebook",
                    "kind": "hard_negative"})
    for dialog in load_dialogs("all"):
        if dialog.split not in DIALOG_SETS:
            continue  # heldout18 and later splits are not (yet) training material
        language = dialog_language(dialog)
        turns = [t.text for t in dialog.transmissions]
        for n, tx in enumerate(dialog.transmissions):
            out.extend(_turn_rows(tx.text, [(i.category, i.char_start, i.char_end) for i in tx.indicators],
                                  turns[max(0, n - CONTEXT_TURNS):n], language, DIALOG_SETS[dialog.split], "dialog",
                                  dialog.dialog_id))
    for path in sorted(TRAINING.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        author = str(data["author"])
        if author in CHECK_AUTHORS:
            continue
        for item in data["items"]:
            text = item["text"]
            spans = []
            for indicator in item["indicators"]:
                start = text.index(indicator["quote"])
                spans.append((indicator["category"], start, start + len(indicator["quote"])))
            kind = "authored_context" if spans else "authored_negative"
            out.extend(_turn_rows(text, spans, list(item.get("context", []))[-CONTEXT_TURNS:], item["language"],
                                  f"author-{author}", kind, item["id"]))
    prototypes = json.loads((ROOT / "src/audita/analysis/data/prototypes.json").read_text(encoding="utf-8"))
    for category, texts in sorted(prototypes["categories"].items()):
        for text in texts:
            out.append({"text": text, "language": "en" if text.isascii() else "ru", "categories": [category],
                        "also": [], "set": "prototypes", "kind": "positive"})
    for text in prototypes["neutral"]:
        out.append({"text": text, "language": "en" if text.isascii() else "ru", "categories": [], "also": [],
                    "set": "prototypes", "kind": "neutral_example"})
    return out


def main() -> None:
    data = {"schema": "audita.indicator-training/1",
            "note": "Development material only (tests/analysis/devset.py, tests/analysis/phrasebook.py, dialogs "
                    "dlg-01..dlg-44, dlg-101..dlg-140, dlg-201..dlg-240, dlg-301..dlg-340, dlg-401..dlg-440 and "
                    "dlg-501..dlg-540, dlg-601..dlg-640, dlg-701..dlg-740, dlg-801..dlg-840, dlg-901..dlg-940, "
                    "dlg-1001..dlg-1040, dlg-1101..dlg-1140 and dlg-1141..dlg-1340 (dev and the retired first to "
                    "seventeenth held-out sets), tests/analysis/training/*.json but the check authors, "
                    "data/prototypes.json); never heldout18. Regenerate with scripts/export_indicator_training.py.",
            "rows": rows()}
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for row in data["rows"]:
        counts[row["set"]] = counts.get(row["set"], 0) + 1
    print(f"{len(data['rows'])} rows -> {OUT}: {counts}")


if __name__ == "__main__":
    main()
