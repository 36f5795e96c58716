from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from audita.analysis.entities import find_mentions
from audita.analysis.pipeline import AnalysisOptions, analyze_text, analyze_transcript, span_times
from audita.analysis.places import find_places
from audita.analysis.service import NoTranscript, analyze_item
from audita.cli import cli
from audita.derived import Provenance, history, record
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.store.schema import items
from testkit import ACTOR, tone, write_wav


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def _categories(text: str, language: str = "ru") -> set[str]:
    return {f["category"] for f in analyze_text(text, language).flags}


def test_inflected_place_resolves_to_popasna() -> None:
    found = find_places("Работаем под Попасной, потом в Буче.", "ru")
    assert [m.city.name for m in found] == ["Popasna", "Bucha"]
    assert _km(found[0].city.lat, found[0].city.lon, 48.632, 38.371) < 5
    assert found[0].text == "Попасной"


def test_stop_list_words_are_not_places() -> None:
    assert find_places("Вышли из леса, бой идёт за поле, мир нам.", "ru") == []


def test_callsign_unit_count_grid() -> None:
    mentions = find_mentions("Гранит, я Сокол, приём. 155-я бригада и 237 мсп взяли двоих пленных в квадрате 12-34.")
    by_type = {(m.type, m.normalized) for m in mentions}
    assert ("callsign", "Гранит") in by_type and ("callsign", "Сокол") in by_type
    assert any(t == "unit" and "155" in n for t, n in by_type) and any(t == "unit" and "мсп" in n for t, n in by_type)
    count = next(m for m in mentions if m.type == "count")
    assert count.extra["value"] == 2
    assert any(m.type == "grid" for m in mentions)
    assert any(m.type == "callsign" and m.normalized == "Кедр" for m in find_mentions("Позывной Кедр на связи"))


@pytest.mark.parametrize("category, text, language", [
    ("killing_hors_de_combat", "Пленных не брать, ясно?", "ru"),
    ("killing_hors_de_combat", "Этих двоих отправь навсегда.", "ru"),
    ("killing_hors_de_combat", "Полонених не брати.", "uk"),
    ("attack_on_civilians", "Там мирные бегут, валите всех.", "ru"),
    ("attack_on_protected_objects", "Накрой больницу, бей туда.", "ru"),
    ("torture_inhuman_treatment", "Задержанного поработайте, пусть будет больно, пытайте.", "ru"),
    ("sexual_violence", "Девок пустили по кругу.", "ru"),
    ("pillage", "Парни забирают всё из домов.", "ru"),
    ("pillage", "Опять мародёрка на районе.", "ru"),
    ("deportation_confinement", "Мужчин на фильтрацию, остальных вывезти население в тыл.", "ru"),
    ("human_shields", "Прикроемся мирными, пусть стоят у брони.", "ru"),
    ("starvation", "Гуманитарку не пропускать в город.", "ru"),
    ("concealment", "Закопайте тела, чтобы никто не нашёл.", "ru"),
    ("attack_on_civilians", "Take out the two in civilian clothes.", "en"),
    ("killing_hors_de_combat", "No prisoners today.", "en"),
])
def test_each_category_fires(category: str, text: str, language: str) -> None:
    flags = analyze_text(text, language).flags
    assert category in {f["category"] for f in flags}
    flag = next(f for f in flags if f["category"] == category)
    assert text[flag["char_start"]:flag["char_end"]] == flag["quote"]
    assert flag["rule"] in flag["reason"] and flag["article"] and len(flag["id"]) == 16


@pytest.mark.parametrize("text", [
    "Работаем по позициям, огонь по технике противника.",
    "У нас двое двухсотых, трое трёхсотых, эвакуируем.",
    "Пленного доставили живым, накормили.",
    "Огонь по готовности, по жилому сектору не работать.",
    "Бьём по опорнику у школы.",
])
def test_hard_negatives_do_not_fire(text: str) -> None:
    assert analyze_text(text, "ru").flags == []


def test_negation_suppresses() -> None:
    assert "attack_on_civilians" in _categories("Мирных валить.")
    assert "attack_on_civilians" not in _categories("Мирных не валить.")


def test_word_time_mapping() -> None:
    text = "Пленных не брать, понял."
    words = [{"word": " Пленных", "start": 1.0, "end": 1.4}, {"word": " не", "start": 1.4, "end": 1.5},
             {"word": " брать,", "start": 1.5, "end": 1.9}, {"word": " понял.", "start": 2.0, "end": 2.4}]
    transcript = {"transmissions": [{"index": 3, "text": text, "language": "ru", "words": words,
                                     "translations": [{"text": "Take no prisoners"}]}]}
    flags = analyze_transcript(transcript).flags
    assert len(flags) == 1 and flags[0]["transmission"] == 3
    assert (flags[0]["start"], flags[0]["end"]) == (1.0, 1.9)
    assert span_times(text, [{"word": "zzz", "start": 0, "end": 1}], 0, 5) == (None, None)
    assert analyze_text(text, "ru").flags[0]["start"] is None


def test_only_intelligible_source_text() -> None:
    transcript = {"transmissions": [
        {"index": 0, "text": "", "unintelligible": True, "translations": [{"text": "no prisoners"}]},
        {"index": 1, "text": "Пленных не брать.", "unintelligible": True},
    ]}
    assert analyze_transcript(transcript).flags == []


def test_output_deterministic() -> None:
    text = "Гранит, я Сокол. Под Попасной мирных валить, мародёрка."
    a = json.dumps(analyze_text(text, "ru").to_dict(), sort_keys=True, ensure_ascii=False)
    b = json.dumps(analyze_text(text, "ru").to_dict(), sort_keys=True, ensure_ascii=False)
    assert a == b and json.loads(a)["schema"] == "audita.analysis/1"


TRANSCRIPT = {"schema": "audita.speech/1", "transmissions": [
    {"index": 0, "text": "Гранит, я Сокол, приём.", "language": "ru", "words": []},
    {"index": 1, "text": "Под Попасной пленных не брать.", "language": "ru", "words": []},
]}


def _item_with_transcript(tmp_path: Path, workspace, case) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    path = write_wav(tmp_path / "x.wav", tone(1.0, seed=5))
    ingest_paths(workspace, case.name, [path], actor=ACTOR)
    item_id = list_items(workspace, case.name)[0].id
    from sqlalchemy import select

    with workspace.action() as connection:
        case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar_one()
        transcript = record(workspace, connection, item_id=item_id, case_id=case_id, output=TRANSCRIPT, actor=ACTOR,
                            provenance=Provenance(stage="transcript", input_sha256="0" * 64, engine="test", options={}))
    return item_id, transcript.id


def test_analyze_item_records_and_reuses(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id, transcript_id = _item_with_transcript(tmp_path, workspace, case)
    first = analyze_item(workspace, item_id, actor=ACTOR)
    assert first.provenance.parent_id == transcript_id and first.provenance.stage == "analysis"
    assert first.provenance.engine.startswith("audita-rules/")
    assert [f["category"] for f in first.output["flags"]] == ["killing_hors_de_combat"]
    second = analyze_item(workspace, item_id, actor=ACTOR)
    assert second.id == first.id
    other = analyze_item(workspace, item_id, actor=ACTOR, options=AnalysisOptions(min_confidence=0.95))
    assert other.id != first.id and other.output["flags"] == []
    with workspace.reading() as connection:
        assert len(history(connection, item_id, "analysis")) == 2


def test_analyze_item_without_transcript(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    ingest_paths(workspace, case.name, [write_wav(tmp_path / "y.wav", tone(1.0, seed=6))], actor=ACTOR)
    item_id = list_items(workspace, case.name)[0].id
    with pytest.raises(NoTranscript):
        analyze_item(workspace, item_id, actor=ACTOR)


def test_cli(tmp_path: Path, settings, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id, _ = _item_with_transcript(tmp_path, workspace, case)
    runner = CliRunner()
    base = ["--home", str(settings.home), "--actor", ACTOR]
    out = runner.invoke(cli, [*base, "analyze", "--case", case.name])
    assert out.exit_code == 0, out.output
    assert "1 flags" in out.output
    text = tmp_path / "t.txt"
    text.write_text("Take out the two in civilian clothes.", encoding="utf-8")
    out = runner.invoke(cli, [*base, "analyze", "--text", str(text), "--language", "en"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["flags"][0]["category"] == "attack_on_civilians"
