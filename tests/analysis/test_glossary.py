"""The slang glossary: shipped data, hits in analyses, per-case edits as custody-logged rows that
supersede or withdraw terms and feed the rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audita.analysis.glossary import GlossaryError, add_entry, load_glossary, shipped_glossary, withdraw_entry
from audita.analysis.pipeline import AnalysisOptions, analyze_text, analyze_transcript
from audita.errors import BadInput
from audita.store.schema import custody_entries, glossary_entries
from analysiskit import transcript
from testkit import ACTOR

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL

FAST = AnalysisOptions(embeddings=False)


def test_shipped_glossary_glosses_slang() -> None:
    glossary = shipped_glossary()
    assert len(glossary.entries) >= 100
    [kia] = glossary.lookup("двухсотый")
    assert "killed in action" in kia.gloss and kia.category == "casualty" and kia.source == "shipped"
    assert {e.language for e in glossary.entries} >= {"ru", "uk"}


def test_glossary_hits_are_shown_with_the_transcript() -> None:
    doc = transcript("У меня два двухсотых и трёхсотый, мотолыга на подходе.", "Груз 200 отправили.")
    hits = analyze_transcript(doc, FAST).glossary_hits
    found = {(h.transmission, h.text, h.term) for h in hits}
    assert {(0, "двухсотых", "двухсотый"), (0, "трёхсотый", "трёхсотый"), (0, "мотолыга", "мотолыга"),
            (1, "Груз 200", "груз 200")} <= found
    for hit in hits:
        assert doc["transmissions"][hit.transmission]["text"][hit.char_start:hit.char_end] == hit.text
    # an own casualty report is glossed but is not an indicator
    assert analyze_transcript(doc, FAST).flags == ()


def test_case_edits_are_rows_with_who_and_when(workspace, case) -> None:  # type: ignore[no-untyped-def]
    added = add_entry(workspace, case.name, "отправить к Кобзону", "ru", "to kill (euphemism)", "execution",
                      "heard in this case's intercepts", ACTOR)
    assert added.source == "case" and added.created_by == ACTOR and added.created_at
    with workspace.reading() as connection:
        glossary = load_glossary(connection, case.id)
        assert [e.gloss for e in glossary.lookup("отправить к кобзону")] == ["to kill (euphemism)"]
        assert load_glossary(connection, None).lookup("отправить к кобзону") == []  # other cases unaffected
        logged = connection.execute(select(custody_entries.c.action).where(custody_entries.c.action == "glossary.edited")).all()
        assert len(logged) == 1
    # supersede a shipped gloss, then withdraw a shipped term
    add_entry(workspace, case.id, "двухсотый", "ru", "dead (any side)", "casualty", "", ACTOR)
    withdraw_entry(workspace, case.name, "мотолыга", "ru", ACTOR, note="not used here")
    with workspace.reading() as connection:
        glossary = load_glossary(connection, case.id)
        assert [e.gloss for e in glossary.lookup("двухсотый")] == ["dead (any side)"]
        assert glossary.lookup("мотолыга") == []
        rows = connection.execute(select(glossary_entries).order_by(glossary_entries.c.created_at)).all()
        assert [(r.term, r.active) for r in rows] == [("отправить к Кобзону", True), ("двухсотый", True), ("мотолыга", False)]
    assert glossary.sha256 != shipped_glossary().sha256


def test_a_term_added_to_the_case_is_used_by_the_rules(workspace, case) -> None:  # type: ignore[no-untyped-def]
    text = "Этого отправить на рыбалку."
    assert analyze_text(text, "ru", FAST).flags == ()
    add_entry(workspace, case.name, "отправить на рыбалку", "ru", "to kill (euphemism)", "execution", "", ACTOR)
    with workspace.reading() as connection:
        glossary = load_glossary(connection, case.id)
    flags = analyze_text(text, "ru", FAST, glossary=glossary).flags
    assert [f.category for f in flags] == ["killing_hors_de_combat"]
    hits = analyze_text(text, "ru", FAST, glossary=glossary).glossary_hits
    assert [(h.term, h.source) for h in hits] == [("отправить на рыбалку", "case")]


def test_bad_glossary_edits(workspace, case) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadInput):
        add_entry(workspace, case.name, "  ", "ru", "x", "killing", "", ACTOR)
    with pytest.raises(BadInput):
        add_entry(workspace, case.name, "слово", "de", "x", "killing", "", ACTOR)
    with pytest.raises(BadInput):
        add_entry(workspace, case.name, "слово", "ru", "x", "Not A Category!", "", ACTOR)
    with pytest.raises(GlossaryError):
        withdraw_entry(workspace, case.name, "несуществующее", "ru", ACTOR)
    with pytest.raises(GlossaryError):
        add_entry(workspace, "no such case", "слово", "ru", "x", "killing", "", ACTOR)
