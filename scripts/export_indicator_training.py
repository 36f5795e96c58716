"""Export the development material the learned indicator signal is trained on into package data
(``src/audita/analysis/data/indicator_training.json``): runtime code cannot import the tests.

Sources (development material only): the second phrasebook and its probes
(``tests/analysis/devset.py``: main, probe..probe6, everyday talk), the first phrasebook
(``tests/analysis/phrasebook.py``), the sentences of the dev dialogs dlg-01..dlg-13 (each labelled
by the indicator categories whose quotes fall in it, else negative) and the embedding examples
(``data/prototypes.json``). Held-out dialogs are never read: only ids dlg-01..dlg-13 of
``load_dialogs("dev")`` are used.

Each row: ``text``, ``language``, ``categories`` (empty = negative), ``also`` (a second category a
positive may fairly raise: not counted as a negative of it), ``set`` (the fold used for
cross-validation) and ``kind`` (positive, hard_negative, everyday, dialog, neutral_example).

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

from audita.analysis.tokens import sentence_spans  # noqa: E402
from audita.corpus.dialogs import load_dialogs  # noqa: E402
from audita.text import detect_language  # noqa: E402

DEV_DIALOGS = {f"dlg-{n:02d}" for n in range(1, 14)}
OUT = ROOT / "src" / "audita" / "analysis" / "data" / "indicator_training.json"


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
    for dialog in load_dialogs("dev"):
        if dialog.dialog_id not in DEV_DIALOGS or dialog.split != "dev":
            continue
        language = detect_language(" ".join(t.text for t in dialog.transmissions))
        language = language if language in ("ru", "uk", "en") else "ru"
        for tx in dialog.transmissions:
            for a, b in sentence_spans(tx.text):
                sentence = tx.text[a:b].strip()
                if not any(c.isalpha() for c in sentence):
                    continue
                start = a + tx.text[a:b].index(sentence)
                end = start + len(sentence)
                categories = sorted({i.category for i in tx.indicators if i.char_start < end and start < i.char_end})
                out.append({"text": sentence, "language": language, "categories": categories, "also": [],
                            "set": "dialogs", "kind": "dialog", "dialog": dialog.dialog_id})
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
            "note": "Development material only (tests/analysis/devset.py, tests/analysis/phrasebook.py, dev dialogs "
                    "dlg-01..dlg-13, data/prototypes.json); regenerate with scripts/export_indicator_training.py.",
            "rows": rows()}
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for row in data["rows"]:
        counts[row["set"]] = counts.get(row["set"], 0) + 1
    print(f"{len(data['rows'])} rows -> {OUT}: {counts}")


if __name__ == "__main__":
    main()
