"""Incidents: suggested links between intercepts and reports, analyst accept/split, timelines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from audita.cli import cli
from audita.errors import BadInput, NotFound
from audita.ingest.documents import document_metadata, ingest_document
from audita.search.incidents import (
    IncidentOptions,
    Profile,
    decide_link,
    list_incidents,
    score_pair,
    suggest_incidents,
)
from audita.store.schema import custody_entries
from audita.verify import verify_store

from searchkit import add_recording, record_analysis, record_transcript, tx
from testkit import ACTOR

REPORT = """<html><head><meta property="article:published_time" content="2022-05-03T10:00:00+03:00"></head><body>
<p>27 апреля под Попасной украинская разведка перехватила переговоры.</p>
<p>«Пленных не брать. В расход всех троих», — приказал командир с позывным Утёс.</p></body></html>"""
OTHER = """<html><head><meta property="article:published_time" content="2022-09-20T10:00:00+03:00"></head><body>
<p>В Херсоне открылась выставка современного искусства и работает ярмарка.</p></body></html>"""

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL


@pytest.fixture
def scene(workspace, case, tmp_path):
    intercept = add_recording(workspace, case, tmp_path / "a", "intercept.wav", intercept_time="2022-04-27T06:15:00+03:00")
    transcript = record_transcript(workspace, intercept, case.id, [
        tx(0, 1.0, 4.0, "Утёс, я Сокол, что с пленными?", speaker="S1"),
        tx(1, 5.0, 9.0, "Пленных не брать. В расход всех троих.", speaker="S2"),
    ])
    record_analysis(workspace, intercept, case.id, transcript, places=[],
                    entities=[("callsign", "Утёс", 0)])
    unrelated = add_recording(workspace, case, tmp_path / "b", "weather.wav", intercept_time="2022-09-01T10:00:00Z",
                              seed=5)
    record_transcript(workspace, unrelated, case.id, [tx(0, 1.0, 3.0, "Погода нормальная, едем на базу")])
    pages = {}
    for name, body, url in (("report.html", REPORT, "https://example.org/r"), ("other.html", OTHER, "https://example.org/o")):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        pages[name] = ingest_document(workspace, case.name, path, actor=ACTOR,
                                      metadata=document_metadata(url, "2022-09-21T08:00:00Z")).item_id
    return {"intercept": intercept, "unrelated": unrelated, "report": pages["report.html"],
            "other": pages["other.html"]}


def _groups(report) -> list[set[str]]:
    return [set(incident.items) for incident in report.incidents]


def test_suggest_links_the_report_quoting_the_intercept(workspace, case, scene):
    report = suggest_incidents(workspace, case.name, actor=ACTOR)
    assert _groups(report) == [{scene["intercept"], scene["report"]}]
    [incident] = report.incidents
    [link] = incident.links
    kinds = {e.kind for e in link.evidence}
    assert {"quote", "time"} <= kinds and link.status == "suggested" and link.score >= 0.5
    quote = next(e for e in link.evidence if e.kind == "quote")
    assert "Пленных не брать" in quote.detail and "#1" in quote.detail
    assert incident.first == "2022-04-27" or incident.first.startswith("2022-04-27")
    kinds_in_timeline = [e.kind for e in incident.timeline]
    assert kinds_in_timeline[0] in ("intercept", "mentioned") and "published" in kinds_in_timeline
    assert incident.id.startswith("inc-") and report.recorded == 1
    again = suggest_incidents(workspace, case.name, actor=ACTOR)
    assert again.recorded == 0 and _groups(again) == _groups(report)
    assert [i.to_dict() for i in list_incidents(workspace, case.name).incidents] == [i.to_dict() for i in again.incidents]


def test_split_and_accept_are_recorded_decisions(workspace, case, scene):
    suggest_incidents(workspace, case.name, actor=ACTOR)
    decide_link(workspace, case.name, scene["report"], scene["intercept"], "split", actor=ACTOR,
                note="другой эпизод")
    report = list_incidents(workspace, case.name)
    assert report.incidents == ()
    assert [(set(link.items), link.note) for link in report.split] == [({scene["intercept"], scene["report"]},
                                                                        "другой эпизод")]
    decide_link(workspace, case.name, scene["intercept"], scene["unrelated"], "accepted", actor=ACTOR)
    assert _groups(list_incidents(workspace, case.name)) == [{scene["intercept"], scene["unrelated"]}]
    suggest_incidents(workspace, case.name, actor=ACTOR)  # a new run does not undo the split
    assert _groups(list_incidents(workspace, case.name)) == [{scene["intercept"], scene["unrelated"]}]
    decide_link(workspace, case.name, scene["intercept"], scene["report"], "accepted", actor=ACTOR)
    groups = _groups(list_incidents(workspace, case.name))
    assert groups == [{scene["intercept"], scene["unrelated"], scene["report"]}]
    with workspace.reading() as connection:
        actions = [r.action for r in connection.execute(
            select(custody_entries.c.action).where(custody_entries.c.action == "item.reviewed")).all()]
    assert len(actions) == 3
    assert verify_store(workspace).ok


def test_a_split_pair_is_never_joined_through_a_third_item(workspace, case, scene):
    decide_link(workspace, case.name, scene["intercept"], scene["other"], "split", actor=ACTOR)
    decide_link(workspace, case.name, scene["intercept"], scene["unrelated"], "accepted", actor=ACTOR)
    decide_link(workspace, case.name, scene["unrelated"], scene["other"], "accepted", actor=ACTOR)
    groups = _groups(list_incidents(workspace, case.name))
    assert not any({scene["intercept"], scene["other"]} <= group for group in groups)


def test_bad_decisions(workspace, case, scene, tmp_path):
    with pytest.raises(BadInput):
        decide_link(workspace, case.name, scene["intercept"], scene["intercept"], "accepted", actor=ACTOR)
    with pytest.raises(BadInput):
        decide_link(workspace, case.name, scene["intercept"], scene["report"], "maybe", actor=ACTOR)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        decide_link(workspace, case.name, scene["intercept"], "f" * 32, "accepted", actor=ACTOR)


def _profile(item: str, dates: tuple[str, ...], places: frozenset[str] = frozenset(), **kw) -> Profile:
    return Profile(item, kw.get("kind", "recording"), item, dates, dates[0] if dates else None, tuple(places), places,
                   (), frozenset(kw.get("entities", ())), (), (), tuple(kw.get("audio", ())))


def test_scoring_rules():
    options = IncidentOptions()
    place = frozenset({"попасная"})
    score, evidence = score_pair(_profile("a", ("2022-04-27",), place), _profile("b", ("2022-04-28",), place))
    assert score == pytest.approx(options.same_day + options.shared_place)
    far, evidence = score_pair(_profile("a", ("2022-04-27",), place, entities={"callsign:утес"}),
                               _profile("b", ("2022-07-01",), place, entities={"callsign:утес"}))
    assert far == 0.0 and evidence[-1].kind == "far_apart"
    audio, _ = score_pair(_profile("a", ("2022-04-27",), audio=[("b", "republication", 0.97)]),
                          _profile("b", ("2022-07-01",)))
    assert audio == pytest.approx(options.audio_republication)


def test_cli_incidents(settings, case, scene):
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    result = runner.invoke(cli, [*home, "incidents", "suggest", "--case", case.name])
    assert result.exit_code == 0, result.output
    assert "inc-" in result.output and "quote" in result.output
    result = runner.invoke(cli, [*home, "incidents", "split", "--case", case.name, scene["intercept"][:12],
                                 scene["report"][:12], "--note", "разные события"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(cli, [*home, "incidents", "list", "--case", case.name, "--json"]).output)
    assert listed["incidents"] == [] and listed["split"][0]["note"] == "разные события"
    result = runner.invoke(cli, [*home, "incidents", "accept", "--case", case.name, scene["intercept"][:12],
                                 scene["report"][:12]])
    assert result.exit_code == 0
    listed = json.loads(runner.invoke(cli, [*home, "incidents", "list", "--case", case.name, "--json"]).output)
    assert [link["status"] for link in listed["incidents"][0]["links"]] == ["accepted"]
