"""Indicator rules: every category on invented positive phrasing, hard negatives silent, negation,
context across transmissions, English, determinism, and the measured dev figures."""

from __future__ import annotations

import json

import pytest

from audita.analysis.glossary import shipped_glossary
from audita.analysis.pipeline import AnalysisOptions, analyze_text, analyze_transcript
from audita.analysis.rules import RuleError, parse_rules
from analysiskit import transcript
from phrasebook import NEGATIVE, POSITIVE

FAST = AnalysisOptions(embeddings=False)


def _flags(text: str, language: str = "ru"):  # type: ignore[no-untyped-def]
    return analyze_text(text, language, FAST).flags


@pytest.mark.parametrize("category, language, text, word", POSITIVE)
def test_category_fires_on_positive_phrasing(category: str, language: str, text: str, word: str) -> None:
    flags = _flags(text, language)
    hits = [f for f in flags if f.category == category and word in f.quote]
    assert hits, f"{category} did not fire on {text!r}: {[(f.category, f.quote) for f in flags]}"
    flag = hits[0]
    assert text[flag.char_start:flag.char_end] == flag.quote
    assert flag.article and flag.title and flag.rule in flag.reason and len(flag.id) == 16
    assert 0.05 <= flag.confidence <= 0.99
    assert {f.category for f in flags} == {category}  # nothing else fires on these sentences


@pytest.mark.parametrize("language, text", NEGATIVE)
def test_hard_negative_stays_silent(language: str, text: str) -> None:
    assert _flags(text, language) == ()


def test_every_category_has_its_article() -> None:
    articles = {f.category: f.article for cat, lang, text, _ in POSITIVE for f in _flags(text, lang)}
    assert articles["killing_hors_de_combat"].startswith("Art. 8(2)")
    assert articles["sexual_violence"] == "Art. 8(2)(b)(xxii)"
    assert articles["human_shields"] == "Art. 8(2)(b)(xxiii)"
    assert articles["starvation"] == "Art. 8(2)(b)(xxv)"
    assert articles["concealment"] == "—"
    assert _flags("Пленных не брать.")[0].article == "Art. 8(2)(b)(xii)"  # denial of quarter has its own clause


def test_negation_suppresses_and_is_explained_away() -> None:
    assert [f.category for f in _flags("Мирных валить.")] == ["attack_on_civilians"]
    assert _flags("Мирных не валить.") == ()
    assert _flags("Стрелять по мирным нельзя.") == ()
    assert _flags("По школе не бить, там дети.") == ()
    assert _flags("Don't shoot the civilians.", "en") == ()
    # a negation that belongs to the phrase is not a negation of it
    assert [f.category for f in _flags("Пленных не брать.")] == ["killing_hors_de_combat"]
    # a negation of another verb does not cancel the order
    assert [f.category for f in _flags("Мирных валить, не жалеть.")] == ["attack_on_civilians"]
    assert [f.category for f in _flags("продукты местным не продавать пусть голодают")] == ["starvation"]
    # an intensifier is not a negation; an auxiliary passes the negation on
    assert [f.category for f in _flags("мирних не шкодувати гатити по всіх", "uk")] == ["attack_on_civilians"]
    assert _flags("Не надо стрелять по мирным.") == ()
    assert _flags("Не будем бить по школе.") == ()
    # refusals, denials and hypotheticals
    assert _flags("Я в мирных стрелять не буду.") == ()
    assert _flags("Нас обвиняют, что мы грабим.") == ()
    assert _flags("Если бы мы стреляли по гражданским, никто бы не выжил.") == ()


def test_lawful_target_in_the_same_sentence_suppresses_objects_only_there() -> None:
    assert _flags("Бьём по опорнику у школы.") == ()
    flags = _flags("Бьём по опорнику. Потом накрыть школу, там люди прячутся.")
    assert [f.category for f in flags] == ["attack_on_protected_objects"] and "школу" in flags[0].quote


def test_context_from_earlier_transmissions() -> None:
    # «бей по машинам» is an attack on civilians only because the cars were said to carry civilians
    doc = transcript("Барс, я Молот. По дороге идут гражданские машины с детьми.", "Понял.", "Бей по машинам.")
    flags = analyze_transcript(doc, FAST).flags
    assert [(f.transmission, f.category) for f in flags] == [(2, "attack_on_civilians")]
    assert "гражданские" in flags[0].reason
    lawful = transcript("Барс, я Молот. По дороге идёт колонна противника.", "Бей по машинам.")
    assert analyze_transcript(lawful, FAST).flags == ()
    # the same «не выпускать» is confinement, or human shields when the exchange is about cover
    held = analyze_transcript(transcript("Гражданских из подвала не выпускать."), FAST).flags
    assert [f.category for f in held] == ["deportation_confinement"]
    shields = analyze_transcript(transcript("Гражданских из подвала не выпускать.", "Пусть сидят, прикроемся ими."),
                                 FAST).flags
    assert {f.category for f in shields} == {"human_shields"}


def test_execution_euphemism_is_stronger_with_captives_in_the_exchange() -> None:
    alone = analyze_transcript(transcript("Этих в расход."), FAST).flags[0]
    with_captives = analyze_transcript(transcript("Трое сдались, руки подняли.", "Этих в расход."), FAST).flags[0]
    assert alone.category == with_captives.category == "killing_hors_de_combat"
    assert with_captives.confidence > alone.confidence
    assert any(s.get("type") == "boost" for s in with_captives.signals)


def test_english_article_text() -> None:
    text = ("In an intercepted call released on Tuesday, a soldier says: \"Take no prisoners.\"\n\n"
            "Another tells his mother they took everything from the houses near Bakhmut.\n\n"
            "The army said it was engaging enemy positions.")
    result = analyze_text(text, None, FAST)
    categories = [(f.category, f.language) for f in result.flags]
    assert categories == [("killing_hors_de_combat", "en"), ("pillage", "en")]
    for flag in result.flags:
        assert text[flag.char_start:flag.char_end] == flag.quote and flag.transmission is None
    assert any(e.type == "place" and e.place and e.place["name"] == "Bakhmut" for e in result.entities)


def test_machine_translation_is_never_read() -> None:
    doc = transcript("Погода хорошая.")
    doc["transmissions"][0]["translations"] = [{"method": "whisper-translate", "text": "Take no prisoners, kill them all"}]
    assert analyze_transcript(doc, FAST).flags == ()


def test_output_is_deterministic() -> None:
    doc = transcript("Гранит, я Сокол. Под Попасной мирных валить, мародёрка.", "Пленных не брать, в расход.")
    first = json.dumps(analyze_transcript(doc, FAST).to_dict(), ensure_ascii=False, sort_keys=True)
    second = json.dumps(analyze_transcript(doc, FAST).to_dict(), ensure_ascii=False, sort_keys=True)
    assert first == second
    assert json.loads(first)["schema"] == "audita.analysis/1"


def test_flag_ids_are_stable_hashes_of_category_span_and_rule() -> None:
    a = _flags("Пленных не брать.")[0]
    b = _flags("Пленных не брать.")[0]
    assert a.id == b.id
    c = analyze_transcript(transcript("Привет.", "Пленных не брать."), FAST).flags[0]
    assert c.id != a.id  # another transmission


def _ruleset(rules: list[dict], classes: dict | None = None, categories: tuple[str, ...] = ("x",)):
    """A rule file of the given rules and classes over one-letter test categories."""
    data = {"categories": {c: {"title": c.upper(), "article": "Art. 8"} for c in categories},
            "classes": classes or {}, "hard_negatives": [], "rules": rules}
    return parse_rules(data, b"", shipped_glossary())


def test_rule_file_errors_are_reported() -> None:
    with pytest.raises(RuleError, match="unknown word class"):
        _ruleset([{"id": "r", "category": "x", "weight": 0.5, "patterns": ["@nope"]}])
    with pytest.raises(RuleError, match="unknown category"):
        _ruleset([{"id": "r", "category": "y", "weight": 0.5, "patterns": ["a"]}])
    with pytest.raises(RuleError, match="duplicate"):
        rule = {"id": "r", "category": "x", "weight": 0.5, "patterns": ["a"]}
        _ruleset([rule, rule])


@pytest.mark.parametrize("text", ["", "   ", "!!! ??? ...", "asdf qwer zxcv", "12345 678", "\x00\x01 ☃☃☃", "а" * 5000])
def test_garbage_text_gives_empty_results(text: str) -> None:
    result = analyze_text(text, None, FAST)
    assert result.flags == ()


def _categories(*turns: str) -> list[tuple[int, str]]:
    return [(f.transmission, f.category) for f in analyze_transcript(transcript(*turns), FAST).flags]


def test_excludes_drop_a_match_when_the_class_is_present() -> None:
    rule = {"id": "r", "category": "x", "weight": 0.7, "patterns": ["накрывай"], "gap": 0,
            "excludes": [{"class": "@gone", "scope": "window"}]}
    rules = _ruleset([rule], {"gone": {"words": ["ушли"]}})
    assert rules.rules[0].excludes and rules.rules[0].excludes[0].scope == "window"


def test_a_context_class_may_hold_a_phrase_inline() -> None:
    # «руки вверх» written inline in a requires class is a phrase (both words, adjacent), not two words
    from audita.analysis.tokens import tokens

    rule = {"id": "r", "category": "x", "weight": 0.7, "patterns": ["огонь"], "gap": 0,
            "requires": [{"class": "руки вверх|@gone", "scope": "sentence"}]}
    element = _ruleset([rule], {"gone": {"words": ["ушли"]}}).rules[0].requires[0].element
    assert element.lengths(tokens("Руки вверх подняли"), 0, {}) == (2,)
    assert element.lengths(tokens("Руки опустили, вверх смотрят"), 0, {}) == ()
    assert element.lengths(tokens("Ушли все"), 0, {}) == (1,)


def test_two_rules_that_yield_to_each_other_both_stand() -> None:
    # «по рынку, потом по больничке»: the crowd rule yields to protected objects and the building rule to
    # civilians; before, each dropped the other and the sentence had no flag at all
    from audita.analysis.rules import SegmentTokens, match_segment
    from audita.analysis.tokens import tokens

    rules = [{"id": "rx", "category": "x", "weight": 0.7, "patterns": ["рынку"], "gap": 0, "yield_to": ["y"]},
             {"id": "ry", "category": "y", "weight": 0.7, "patterns": ["больничке"], "gap": 0, "yield_to": ["x"]},
             {"id": "rz", "category": "z", "weight": 0.7, "patterns": ["клади"], "gap": 0, "yield_to": ["x"]}]
    ruleset = _ruleset(rules, categories=("x", "y", "z"))
    text = "Клади по рынку, потом по больничке."
    matches = match_segment(ruleset, [SegmentTokens(text, tuple(tokens(text)), {})], 0)
    state = {m.rule.id: m.suppressed_by for m in matches}
    assert state == {"rx": None, "ry": None, "rz": "yield:x"}  # a one-way yield still drops the yielding rule


def test_short_strike_order_reads_the_exchange() -> None:
    # the order itself names no target; the exchange before it names civilians or a protected building
    assert (2, "attack_on_civilians") in _categories(
        "Дрон бачить людей біля пункту незламності.", "Там же цивільні грітися приходять.", "Знаю. Кидай.")
    assert (2, "attack_on_protected_objects") in _categories(
        "Больничка на окраине, крест на крыше, машины скорой стоят.", "Военные есть?", "Не видно. Всё равно работай.")
    # civilians gone, or the order is about a military target: silent
    assert _categories("Жильцы ушли ещё в марте.", "Накрывай.") == []
    assert _categories("Там люди ходят.", "Принял, по посадке работай, когда уйдут.") == []
    # an acknowledgement is not an order
    assert _categories("Там люди ходят.", "Плюс. Работаем.") == []


def test_euphemistic_kill_order_after_surrender() -> None:
    assert (2, "killing_hors_de_combat") in _categories(
        "Двое, двое. Автоматы скинули, сидят.", "Что с ними?", "Работай обоих и отходи к точке три.")
    assert (1, "killing_hors_de_combat") in _categories(
        "Four of theirs surrendered, they are on their knees now.", "You heard me. Do them.")
    assert (2, "killing_hors_de_combat") in _categories(
        "Полонених не брати, команда така.", "Один з білою ганчіркою, на коліна став.", "Мінусуй всіх трьох.")
    assert (2, "attack_on_civilians") in _categories("Там в окне бабка, занавеску отодвинула.", "Смотрит на нас?", "Смотрит. Сними её.")


def test_strike_on_protected_object_order_shapes() -> None:
    assert "attack_on_protected_objects" in {c for _, c in _categories("И больничку на Клочковской тоже положи, пару пакетов.")}
    assert "attack_on_protected_objects" in {c for _, c in _categories("Потом перенесёшь на роддом, который с синей крышей.")}
    assert "attack_on_civilians" in {c for _, c in _categories("Люди стояли в черзі за хлібом, а вони з міномета прямо по черзі.")}
    assert _categories("Наших трёхсотых двоих в больничку в Пологах привезли, там врачи местные ещё работают.") == []
    assert _categories("Тут, говорят, хохлы пленным нашим уши режут, но это байки, наверное, никто сам не видел.") == []


def test_lookalikes_from_the_retired_third_heldout() -> None:
    # read after heldout3 was measured once (it is development material now): each fired wrongly
    assert _categories("Работай по их опорнику полным пакетом, пусть сложится.") == []
    # the order only, once; since round 9 the read-back «Разворачиваю» commits to it (ctx.echo): the
    # heldout3 annotator left such replies unmarked, those of heldout8 to heldout10 mark them
    assert _categories("Гуманитарку не пропускать, колонну развернуть.", "Понял. Разворачиваю.") == [
        (0, "starvation"), (1, "starvation")]
    assert _categories("Там же одни гражданские работают.") == []
    assert _categories("У меня тут один ихний трёхсотый, ползёт, без автомата, ноги перебиты.") == []
    assert _categories("Говорит, мобилизованный, просит не убивать.") == []
    assert _categories("Мам, сьогодні бабусь вивозили, евакуація, волонтери довезли до Краматорська.") == []
    assert "pillage" not in {c for _, c in _categories(
        "Мы мужиков из частного сектора собрали, человек двенадцать, призывного возраста. Что с ними?")}
    assert "pillage" not in {c for _, c in _categories(
        "Замполит наш девчонку одну себе из дома забрал, у родителей на глазах.")}
    assert "human_shields" not in {c for _, c in _categories(
        "А в одному підвалі, де жінки з дітьми ховались, гранату кинули, коли заходили.")}


def test_an_echo_question_is_not_a_second_indicator() -> None:
    # the interlocutor repeats the words to ask what they mean: the statement before carries the flag
    flags = _categories("Кто дёргается — в яму, и крышкой закрой, чтоб не нашли.", "В яму — это как?")
    assert flags and all(n == 0 for n, _ in flags)


def test_rules_round4_from_authors_g_and_h() -> None:
    # generalised from training authors G (radio) and H (phone calls); written afresh, not copied
    def cats(*turns: str) -> set[str]:
        return {c for _, c in _categories(*turns)}

    # killing hors de combat: slang for killing when the exchange is about the surrendered or wounded
    assert (1, "killing_hors_de_combat") in _categories("Двое вышли с поднятыми руками, без оружия.", "Обнулите обоих на месте.")
    assert (1, "killing_hors_de_combat") in _categories("У нас тут их раненый лежит, стонет.", "Обнулить и дальше двигаться.")
    assert "killing_hors_de_combat" in cats("The medic said the wounded one was put to sleep, no tourniquet wasted.")
    # concealment: burned in a pit, nobody finds anything
    assert "concealment" in cats("Burn them in the ditch and nobody will ever find anything.")
    # pillage: cleaned out, things taken from a farmhouse or off a local
    assert (1, "pillage") in _categories("Что в аптеке на углу?", "Вынесли подчистую, по машинам раскидали.")
    assert "pillage" in cats("Grab the laptops and the quad bike from that farmhouse.")
    assert "pillage" in cats("Took the car off a local, he did not want to give it.")
    # human shields, sexual violence, torture, deportation, starvation
    assert "human_shields" in cats("Мирных держите в подвале под штабом, туда не ударят.")
    assert (1, "sexual_violence") in _categories("Медсестру ихнюю взяли на блоке.", "Пусть пацаны с ней развлекутся.")
    assert (1, "torture_inhuman_treatment") in _categories("The prisoner still won't talk.", "Tape his eyes and keep him with no food.")
    assert (1, "deportation_confinement") in _categories("What about the men from the village?",
                                                         "Load them onto the buses and take them across the line.")
    assert "starvation" in cats("Бей по насосной, чтоб город без воды сидел.")
    assert "starvation" in cats("Гуманитарку людям не раздавать, всё на склад.")
    # lawful look-alikes stay silent
    assert _categories("Кабан, у нас двое трёхсотых, обнулили их позицию, эвакуация нужна.") == []
    assert _categories("Раненого пленного перевязали, воды дали, обнулять никого не будем.") == []
    assert _categories("У меня тут один ихний трёхсотый, ползёт, без автомата, ноги перебиты.") == []
    assert _categories("Жетоны с погибших переписать и передать на обмен.") == []
    assert _categories("Мы из дома свои вещи забрали, ноутбук и телевизор.") == []
    assert _categories("Гуманитарку пока не раздавать, пока не проверим машины.") == []
    assert _categories("Our guys took the generator from the enemy dugout.") == []
    assert _categories("Гражданских вывели из подвала, эвакуация по коридору.") == []
    assert "attack_on_protected_objects" in cats("Сожгите всю улицу, чтобы им некуда было возвращаться.")
    assert (1, "sexual_violence") in _categories("На хуторе хозяйка с дочкой.", "Дочку не отпускай, вечером мы с Бурым заедем.")
    assert _categories("Выгребли весь мусор из домов перед уходом, чтоб чисто было.") == []
    assert _categories("Вечером заедем за продуктами, хозяйка обещала молоко.") == []


def test_rules_round5_from_the_retired_fourth_heldout_and_author_i() -> None:
    # shapes read in heldout4 after its one measurement (now development material); written afresh
    def cats(*turns: str) -> set[str]:
        return {c for _, c in _categories(*turns)}

    assert "torture_inhuman_treatment" in cats("At night they beat the detainees with hoses.")
    assert (1, "sexual_violence") in _categories("She is in cell two.", "They take her upstairs for the night.")
    assert "sexual_violence" in cats("Наши там девок по подвалам таскают.")
    assert "pillage" in cats("В магазине я себе телик забрал, привезу домой.")
    assert "pillage" in cats("The houses are empty, we just help ourselves.")
    assert "pillage" in cats("I'm sending you a coat from one of the houses.")
    assert "deportation_confinement" in cats("Keep them locked in until the convoy leaves.")
    assert "deportation_confinement" in cats("Людей тримають по тижню в ангарі, поки перевіряють.")
    assert "deportation_confinement" in cats("Не выпускать никого из села до утра.")
    assert (1, "killing_hors_de_combat") in _categories("Their wounded guy is still asking for help.",
                                                      "Leave him, let him bleed out.")
    assert (1, "killing_hors_de_combat") in _categories("Пленных куда, на обмен?", "Лишние рты нам не нужны.")
    assert "attack_on_civilians" in cats("Там во дворе гражданские лежат, которых наши положили.")
    assert (1, "concealment") in _categories("Тела в яму скинули.", "Потом бульдозером заровняем, и всё.")
    assert "concealment" not in cats("Старый окоп бульдозером заровняем, и всё.")  # no grave in the exchange
    assert "starvation" in cats("Колодец заминируйте.")
    assert "starvation" in cats("Тем, у кого нет паспорта, хлеб не дают.")
    assert "human_shields" in cats("Пока они тут, по селу не бьют.")
    # look-alikes stay silent
    assert _categories("Траншею зачистили, у них один двухсотый, двое сдались, ведём.") == []
    assert _categories("Вчера бабушек из Купянска вывозили, эвакуация с волонтерами.") == []
    assert _categories("Our own cellar is full of potatoes, we keep it locked.") == []


def _assert_round(positives: list[tuple[tuple[str, ...], str]], negatives: list[tuple[str, ...]]) -> None:
    """A round of rules: each positive's last turn takes its category; each look-alike stays silent."""
    for turns, category in positives:
        assert (len(turns) - 1, category) in _categories(*turns), turns
    for turns in negatives:
        assert _categories(*turns) == [], turns


def test_rules_round6_from_the_retired_fifth_heldout() -> None:
    # shapes read in heldout5 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Сдались двое, руки подняли.", "Ротный сказал: кормить их нечем."), "killing_hors_de_combat"),
        (("Пленных с собой не тащить, понял?",), "killing_hors_de_combat"),
        (("The ones with their hands up were led off into the trees.", "They never came back."), "killing_hors_de_combat"),
        (("He was shot while trying to escape, write that down.",), "killing_hors_de_combat"),
        (("Take the prisoner out back. Nobody is watching.",), "killing_hors_de_combat"),
        (("Пленного в подвале били всю ночь.", "Под утро один сдох."), "killing_hors_de_combat"),
        (("The prisoners are on their knees.", "Cut the feed for a minute."), "concealment"),
        (("Пленных расстреляли у забора.", "Их документы и телефоны в костёр."), "concealment"),
        (("They hit the hospital last night.", "If anyone asks, it was their own artillery."), "concealment"),
        (("Тела свозят в ров, без могил, без учёта.",), "concealment"),
        (("Трупы в машине, семья целиком.", "Отгоните в посадку, чтобы с дрона не видно было."), "concealment"),
        (("Зерно забрали, велели оформить как закупку.",), "concealment"),
        (("Хозяева сбежали, дом пустой, чего добру пропадать.",), "pillage"),
        (("В серванте золотые кольца были, я их прибрал.",), "pillage"),
        (("Фуру с гуманитаркой забрать на нужды батальона.",), "pillage"),
        (("Вечером по дачам пройдёмся, там коттеджи богатые.",), "pillage"),
        (("Муку со склада повезли продавать в Мелитополь.",), "pillage"),
        (("Аптеку в первую же ночь обчистили.",), "pillage"),
        (("Хліб і воду видаємо тільки тим, у кого російський паспорт.",), "starvation"),
        (("Гуманитарку раздаём по паспортам.", "Остальным ничего."), "starvation"),
        (("Колонна с гуманитаркой на въезде.", "Ничего в город не пускать."), "starvation"),
        (("Hit the pumping station. The town sits dry by morning.",), "starvation"),
        (("Криницю біля школи засипте.",), "starvation"),
        (("Посадите гражданских на броню, человек по шесть.",), "human_shields"),
        (("Детей на головную машину.",), "human_shields"),
        (("Они по колонне с детьми не стреляют.",), "human_shields"),
        (("Мирные на позиции, женщины.", "Сидят за ними и стреляют."), "human_shields"),
        (("Снаряды сложили прямо в больнице, в палатах.",), "human_shields"),
        (("Через пятнадцать минут повтори туда же, когда спасатели приедут.",), "attack_on_civilians"),
        (("Бей по дому, потом по всем, кто выбегать будет.",), "attack_on_civilians"),
        (("Hit the market at noon, when it's full.",), "attack_on_civilians"),
        (("Цель на завтра — городская больница.",), "attack_on_protected_objects"),
        (("Два по больнице, три по рынку.",), "attack_on_protected_objects"),
        (("Детей вывезли, новые документы сделают, фамилии поменяют.",), "deportation_confinement"),
        (("Кто кричать будет — в подвал.",), "deportation_confinement"),
        (("Соседа забрали, мешок на голову и в машину.",), "deportation_confinement"),
        (("Мужчин призывного возраста на автобус и в лагерь.",), "deportation_confinement"),
        (("Пленным на лбу ножом букву вырезали.",), "torture_inhuman_treatment"),
        (("В камере новеньких приёмка: коридор и дубинки.",), "torture_inhuman_treatment"),
        (("Полоненим давали їсти раз на добу.",), "torture_inhuman_treatment"),
        (("Дівчат із підвалу водили до себе в хату на ніч.",), "sexual_violence"),
        (("Their sergeant calls the women his trophies.",), "sexual_violence"),
        (("Ножом біля паху водили, казали, що відріжуть.",), "sexual_violence"),
    ]
    # look-alikes stay silent: lawful requests, own losses, shelter, evacuation, a stopped looting
    negatives = [
        ("Ребята, кормить пленных нечем, везите их быстрее в тыл, на обмен.",),
        ("Разведка ушла вчера.", "Двое не вернулись, ищем."),
        ("Выключи камеру, батарея садится.",),
        ("Сжечь старые карты и шифры перед отходом.",),
        ("Скажи маме, что я в порядке.",),
        ("Танк отогнали в посадку, чтобы с дрона не видно было.",),
        ("Гуманитарку раздаём всем, без паспортов.",),
        ("Колодец для нас, воду кипятить.",),
        ("Раненых на броню, везём в госпиталь.",),
        ("Скорую пропустить, спасатели подъедут — не стрелять.",),
        ("Огонь стоп, по дороге автобус с мирными.",),
        ("Отправили Костю в госпиталь в Донецк, ранен в ногу.",),
        ("Ребята хотели магазин вскрыть, я не дал.",),
        ("Если спросят, скажи, что у нас сухпай кончился.",),
        ("Цель — техника за школой, в поле.",),
        ("Брошенный склад ВСУ зачистили, оружие сдали по описи.",),
        ("Все в подвал, обстрел!",),
        ("Пекарня просила муку, отвезли им два мешка.",),
        ("С раненым всё нормально, перевязали.",),
        ("Мы им хлеба дали, по два батона на семью.",),
        ("Поліція людей вивозить, евакуаційний автобус.",),
    ]
    _assert_round(positives, negatives)
    # flagged, but not as the new rules would have it: an emplacement, a shooting, bodies in a well
    for turns, category in [
        (("Ставим миномёт прямо у детсада.",), "attack_on_protected_objects"),
        (("Вони по машинах з цивільними стріляли.",), "human_shields"),
        (("Трупы в колодец, колодец засыпать.",), "starvation"),
    ]:
        assert category not in {c for _, c in _categories(*turns)}, turns


def test_rules_round7_from_the_retired_sixth_heldout() -> None:
    # shapes read in heldout6 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Двое раненых у дороги, оружие бросили.", "Кончай обоих, некогда."), "killing_hors_de_combat"),
        (("Пленный один остался.", "Прикончи его, и уходим."), "killing_hors_de_combat"),
        (("Тех двоих пленных ночью увели.", "Вопрос с ними решён."), "killing_hors_de_combat"),
        (("Пленных пятеро, конвоя нет.", "Сделай так, чтобы к обеду их не было."), "killing_hors_de_combat"),
        (("Нашли троих у посадки, у каждого выстрел в затылок.",), "killing_hors_de_combat"),
        (("Outside the school there were men lying with their hands tied.",), "killing_hors_de_combat"),
        (("Then we put the stove on him so it looks like he died in the shelling.",), "concealment"),
        (("Записали, что повесился сам.",), "concealment"),
        (("Пленного вчера забили.", "В рапорте напиши, что при обстреле."), "concealment"),
        (("The two prisoners are dead.", "Load them into the BMP and burn it."), "concealment"),
        (("Both detainees are done.", "Nothing on the camera, understood?"), "concealment"),
        (("Його забрали в СІЗО.", "Рідним нічого не кажемо, хай шукають."), "deportation_confinement"),
        (("Сусідів кудись вивезли, ніхто не знає куди.",), "deportation_confinement"),
        (("Всех мужчин согнали в клуб, держат третий день.",), "deportation_confinement"),
        (("В подвале комендатуры сидят уже неделю.", "Без всякого суда."), "deportation_confinement"),
        (("Паспорта у всех забираем, чтоб обратно не уехали.",), "deportation_confinement"),
        (("Колодязь у селі засипали, щоб води не було.",), "starvation"),
        (("Разбомбили хлебозавод, там хлеб раздавали людям.",), "starvation"),
        (("Hiding behind the civilians, that's how they hold the block.",), "human_shields"),
        (("Танки загоняйте во двор школы, туда не ударят.",), "human_shields"),
        (("Каждый гражданский, кто вышел после комендантского, цель.",), "attack_on_civilians"),
        (("Мирные в подвалах?", "Мирные там, тем лучше. Огонь."), "attack_on_civilians"),
        (("Бабка шла за водой, а он её снял с первого выстрела.",), "attack_on_civilians"),
        (("Давай ещё четыре по пятиэтажкам.",), "attack_on_protected_objects"),
        (("Пленному пальцы сломали на допросе.",), "torture_inhuman_treatment"),
        (("Задержанного вчера били.", "Перестарались, сердце не выдержало, не откачали."), "torture_inhuman_treatment"),
        (("Жінку при дітях... Їх було четверо.",), "sexual_violence"),
        (("They held the girls in the school for days, you know what for.",), "sexual_violence"),
        (("Мародерили по полной.", "Потом посылками домой отправляли."), "pillage"),
        (("Из каждого дома всё вынесли, до ложки.",), "pillage"),
        (("Пленного вчера расстреляли.", "В журнал не вносить."), "concealment"),
        (("Пусть местные сидят в подвале. Пока они там, нам спокойно.",), "human_shields"),
        (("Дайте по храму, по колокольне.",), "attack_on_protected_objects"),
        (("Командир ту девушку по ночам к себе забирает.",), "sexual_violence"),
        (("К ней в камеру ходят каждый вечер, сам понимаешь зачем.",), "sexual_violence"),
        (("Задержанную девушку раздели и снимали на телефон.",), "sexual_violence"),
        (("Бейте, только чтоб синяков на лице не было.",), "torture_inhuman_treatment"),
        (("They shelled the house. Everyone knew there were kids inside.",), "attack_on_civilians"),
        (("Квартиры вскрыть, всё ценное в машину.",), "pillage"),
        (("Все, что в хате было, погрузили в КамАЗ.",), "pillage"),
        (("Three of them surrendered.", "We're not taking prisoners today."), "killing_hors_de_combat"),
        (("Беркут, цивільна машина на дорозі. Працюй по ній.", "Відпрацював."), "attack_on_civilians"),
    ]
    # look-alikes stay silent: a rotation settled, own injuries, lawful reports, real fishing, a question, own evacuation
    negatives = [
        ("Кончай болтать, выходим.",),
        ("Вопрос с ротацией решён, в пятницу меняемся.",),
        ("Отработали по опорнику, два блиндажа.", "Отработал."),
        ("Рёбра сломал, упал с брони.",),
        ("Колодец почистили, вода есть.",),
        ("В отчёте напиши расход снарядов.",),
        ("Всю зарплату уже в расход пустил.",),
        ("Мы с ним на рыбалку ездили до войны.",),
        ("Бойца эвакуируем своими силами.",),
        ("Телефон из рук не выпускаю.",),
        ("Any civilians near the target?",),
        ("Мама посылку прислала, носки и сало.",),
        ("Скорую пропустить.",),
        ("Кошмар какой, опять дождь.",),
        ("Технику в лесок стащить, замаскировать.",),
        ("Паспорта проверяем на КПП, всех пропускаем.",),
        ("В журнал не вносить, это учебная стрельба.",),
        ("Пока они там, мы не стреляем.",),
        ("Дай по опорнику ещё два.",),
        ("По ночам к себе в блиндаж кота забирает.",),
        ("Всё ценное своё забрали с собой при отходе.",),
        ("Всё, что в доме было, хозяева сами вывезли.",),
        ("We're not taking anyone on leave this month.",),
        ("Синяков на лице не было, врач осмотрел.",),
        ("Людей собрали у автобуса, эвакуация в Запорожье.",),
    ]
    _assert_round(positives, negatives)
    # flagged, but not as the new rules would have it: prisoners stripped (degrading, not sexual), a water
    # station hit (a protected object, not starvation), elderly civilians «кончай» (an attack on civilians)
    for turns, category in [
        (("Пленных раздели до белья и сняли на видео для отчёта.",), "sexual_violence"),
        (("Водокачку накрыло, воды нет, чиним.",), "starvation"),
        (("Из подвала вышли трое в гражданском, бабка и два деда.", "Кончай их."), "killing_hors_de_combat"),
    ]:
        assert (len(turns) - 1, category) not in _categories(*turns), turns
    # an ambulance struck is a protected object, not a civilian target
    ambulance = _categories("Вчера по скорой положил, прямо в крышу.")
    assert (0, "attack_on_protected_objects") in ambulance and (0, "attack_on_civilians") not in ambulance

def test_a_bare_report_after_a_flagged_order_takes_its_category() -> None:
    # «Работай» / «Вопрос решён» answering a no-quarter order are the only trace that it was carried out
    flags = analyze_transcript(transcript("Трое вышли, руки вверх.", "Пленных не брать. Работай.",
                                          "Вектор, я Зенит. Вопрос решён."), FAST).flags
    answer = [f for f in flags if f.transmission == 2]
    assert [(f.category, f.rule, f.quote) for f in answer] == [("killing_hors_de_combat", "ctx.follow-up", "Вопрос решён")]
    assert "answers the flag killing_hors_de_combat" in answer[0].reason and answer[0].signals[0]["type"] == "follow_up"
    # after a lawful order, a question, a negation or a longer sentence: nothing
    assert _categories("Вижу танк у посадки.", "Работай.") == []
    assert _categories("Пленных не брать.", "Вопрос решён?") == [(0, "killing_hors_de_combat")]
    assert _categories("Пленных не брать.", "Не работай пока.") == [(0, "killing_hors_de_combat")]
    assert _categories("Пленных не брать.", "Принял, вопрос решим позже, когда подъедет колонна.") == [
        (0, "killing_hors_de_combat")]


def test_rules_round8_from_the_retired_seventh_heldout() -> None:
    # shapes read in heldout7 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Двое вышли с поднятыми руками.", "Конвоя нет. Оформляй на месте."), "killing_hors_de_combat"),
        (("Пленных четверо, без оружия.", "Оформи их.", "Четверо оформлены."), "killing_hors_de_combat"),
        (("Полонений без зброї, сидить.", "Працюй по ньому.", "Зроблено, двохсотий."), "killing_hors_de_combat"),
        (("They came out unarmed with hands up.", "Drop them.", "Both down."), "killing_hors_de_combat"),
        (("Раненого старшина пристрелил, чтоб не тащить.",), "killing_hors_de_combat"),
        (("They drove the four men into the field and only the soldiers came back.",), "killing_hors_de_combat"),
        (("Обнулили его и скинули в ставок.",), "killing_hors_de_combat"),
        (("Пленного расстреляли.", "Тело скинули в реку за мостом."), "concealment"),
        (("Пленного добили.", "Видео с телефона удали."), "concealment"),
        (("Тела в котельную, в топку. Чтоб их никогда не нашли.",), "concealment"),
        (("Задержанных вчера расстреляли.", "Документы их я спалил."), "concealment"),
        (("Пленную девчонку пацаны обижали.", "Замни это, чтоб никаких жалоб."), "concealment"),
        (("Затриманий у підвалі.", "Хлопці з ним попрацювали вночі."), "torture_inhuman_treatment"),
        (("Two prisoners with their hands tied.", "The guys kicked them around for an hour."), "torture_inhuman_treatment"),
        (("Пленного раздели и поставили на колени на камеру.",), "torture_inhuman_treatment"),
        (("Задержанного голым на мороз выставили на всю ночь.",), "torture_inhuman_treatment"),
        (("Задержанных везите в комендатуру.", "Покажите им, где раки зимуют."), "torture_inhuman_treatment"),
        (("На допросе противогаз надели и шланг зажали.",), "torture_inhuman_treatment"),
        (("Пленный молчал на допросе.", "Колено ему прострелили, сразу заговорил."), "torture_inhuman_treatment"),
        (("У селі мирні виїжджають.", "Хто поїде з села — стріляємо."), "attack_on_civilians"),
        (("Огонь по остановке, когда люди соберутся.",), "attack_on_civilians"),
        (("Беженцы идут полями.", "Стреляйте по ним, чтоб назад поворачивали."), "attack_on_civilians"),
        (("Местные по подвалам прячутся.", "Подвалы закидать гранатами."), "attack_on_civilians"),
        (("Садочок замінуйте перед відходом, хай повернуться і підірвуться.",), "attack_on_civilians"),
        (("Гражданская легковушка, две женщины.", "Накрыл. Одна выбежала, дострелил."), "attack_on_civilians"),
        (("Трьох біля колонки поклав.",), "attack_on_civilians"),
        (("Колодец держите под прицелом весь день.",), "starvation"),
        (("Ліки не видавати, поки не візьмуть паспорт.",), "starvation"),
        (("Хати їхні спаліть, щоб вертатися було нікуди.",), "attack_on_protected_objects"),
        (("Больницу заминировали, растяжки на входе.",), "attack_on_protected_objects"),
        (("Розібрались: семеро в підвалі комендатури, четверо в гаражах.",), "deportation_confinement"),
        (("Будет возмущаться — на подвал, пусть посидит недельку.",), "deportation_confinement"),
        (("Задержанных завтра на передок, окопы рыть на нуле.",), "human_shields"),
        (("Посадили их у окон второго этажа.", "Стоят по окнам. Хохлы не стреляют."), "human_shields"),
        (("Девушек из общежития офицеры по ночам к себе таскают.",), "sexual_violence"),
        (("Девки местные не против, когда ствол рядом.",), "sexual_violence"),
        (("Пацаны по хатам тащат всё подряд, я телик присмотрел.",), "pillage"),
        (("Я с него часы снял, хорошие.",), "pillage"),
        (("We moved into the farm and nicked their cattle and the tractor.",), "pillage"),
    ]
    # look-alikes stay silent: paperwork on the spot, an own casualty, fishing trips, a shelter, a football score,
    # voluntary evacuation, cover fire, a medic undressing a wounded man, the spotter's "no civilians"
    negatives = [
        ("Документы оформим на месте, в штабе.",),
        ("У нас двухсотый, Вася.",),
        ("Мы в подвале сидим, обстрел.",),
        ("Картошку в погреб спустили, на зиму.",),
        ("Вчера Шахтёр всех в расход пустил, четыре-ноль.",),
        ("Примусово не вивозимо, пишемо відмову.",),
        ("Прикрой огнём, отходим.",),
        ("Раненого раздели, перевязали, на колени не ставить.",),
        ("Подтверди, что в подъездах нет мирных.",),
        ("Целей нет, там рынок.",),
        ("Поработали с ним над документами.",),
        ("Ночью к себе в блиндаж беру только кота.",),
        ("Телефон у него из рук не выпускаю.",),
        ("He kicked off about the rations.",),
        ("Кто поедет за водой — скажи, дам канистру.",),
        ("Оформили по акту, щоб ніхто не сказав, що ми віджали.",),
    ]
    _assert_round(positives, negatives)
    # a rifle butt that drives people into a bus is deportation, not torture
    assert _categories("Кто из местных не хочет ехать — прикладами в автобус.") == [(0, "deportation_confinement")]


def test_rules_round9_from_the_retired_eighth_heldout() -> None:
    # shapes read in heldout8 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Трое раненых в окопе, уже не отстреливаются.", "Контрольный каждому в голову."), "killing_hors_de_combat"),
        (("Полонений вчора на допиті мовчав.", "А вранці Сивий його списав."), "killing_hors_de_combat"),
        (("The prisoner kept quiet all night.", "The sergeant said get rid of him, so the lads did."), "killing_hors_de_combat"),
        (("Пленного током пытали.", "Он затих, не дышит, перестарались."), "killing_hors_de_combat"),
        (("Первый пакет лёг, люди бегут.", "Добавляй ещё по толпе."), "attack_on_civilians"),
        (("Дед на велосипеде ехал за хлебом, хлопці по ньому з кулемета дали.",), "attack_on_civilians"),
        (("Автобус с рынка я птичкой накрыл, прямо в окна.",), "attack_on_civilians"),
        (("Вчера семью на трассе расстреляли, вместе с детьми.",), "attack_on_civilians"),
        (("Старший сказал: якщо будуть рипатися, валити.",), "attack_on_civilians"),
        (("Первые две мины по больнице, потом по штабу.",), "attack_on_protected_objects"),
        (("По садику бей, пока дети там.",), "attack_on_protected_objects"),
        (("Раз по нам тихо, утюжь кварталы по квадратам.",), "attack_on_protected_objects"),
        (("Того, що мовчить, спочатку обробіть, щоб балакучий був.",), "torture_inhuman_treatment"),
        (("Задержанному штыком спину расписали, на видео.",), "torture_inhuman_treatment"),
        (("Сорок человек из посёлка прогнали через фильтр, часть в накопитель.",), "deportation_confinement"),
        (("Поставь миномёт во дворе школы, за спортзалом.",), "human_shields"),
        (("Тела бульдозером засыпали.", "И чтоб язык за зубами, ясно?"), "concealment"),
        (("Раз заартачится — пристрелить и в болото.",), "concealment"),
        (("Drag them into the ditch and cover it, no photos.",), "concealment"),
        (("У місцевих сало й курей позабирали, собі на кухню.",), "pillage"),
        (("Fifty people locked in the gym, one bottle of water a day for all of them.",), "starvation"),
        (("Nobody gets out and no aid convoys go in, the town is starving.",), "starvation"),
        (("Офицеры по ночам берут молоденьких из подвала, возвращают под утро.",), "sexual_violence"),
    ]
    # look-alikes stay silent: a football control shot, a sausage, a septic tank, a fuel pump, a first-aid
    # point at the hospital, aid trucks coming in, a drone on an enemy bus, strikes on a military column
    negatives = [
        ("Контрольная в четверг, по геометрии.",),
        ("Колбасу ножом порезал, на стол поставь.",),
        ("Воду с машины слили в отстойник.",),
        ("Раненых ставь во дворе больницы, там медпункт.",),
        ("Гуманитарку пропускаем, колонна с хлебом в городе.",),
        ("Автобус с пехотой противника птичкой накрыли.",),
        ("Кидай по колонне техники, там БК.",),
        ("Get rid of the old tyres behind the shed.",),
        ("Картоплю з погребів самі господарі вивезли.",),
        ("If he keeps whining about the rations, tell the sergeant.",),
    ]
    _assert_round(positives, negatives)


def test_a_reply_that_commits_to_a_flagged_order_takes_its_category() -> None:
    # the read-back of an unlawful order («Понял, оформляем», «Прийняв, обох») commits to it
    flags = analyze_transcript(transcript("Двое вышли с белым флагом.", "Конвоя нет. Оформи на месте.",
                                          "Понял, оформляем."), FAST).flags
    echo = [f for f in flags if f.transmission == 2]
    assert [(f.category, f.rule, f.quote) for f in echo] == [("killing_hors_de_combat", "ctx.echo", "Понял, оформляем")]
    assert "first person" in echo[0].reason and echo[0].signals[0]["answers"] in {f.id for f in flags if f.transmission == 1}
    # a word of the order said back, then the report chained on the read-back
    said_back = _categories("Двоє вилізли з бліндажа, руки вгору, здаються.", "Валіть обох.", "Прийняв, обох.",
                            "Готово, обидва на місці.")
    assert (2, "killing_hors_de_combat") in said_back and (3, "killing_hors_de_combat") in said_back
    assert (2, "pillage") in _categories("Хозяева уехали.", "Телевизоры и холодильники из квартир — в Урал.",
                                         "Принял. Сделаем до темноты.")
    # a bare acknowledgement, a non-committing verb, a refusal, a question, chat on the phone: nothing
    for reply in ("Принял.", "Понял, ждём.", "Понял, не будем.", "Принял, уточню у старшего.", "Понял, оформляем?",
                  "Всё, целую, батарейка садится."):
        assert _categories("Пленных не брать.", reply) == [(0, "killing_hors_de_combat")], reply
    # the same read-back after a lawful order
    assert _categories("Вижу танк у посадки.", "Работай по танку.", "Понял, сделаем.") == []


def test_rules_round10_from_the_retired_ninth_heldout() -> None:
    # shapes read in heldout9 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Двое с поднятыми руками вышли к нам.", "Уберите их тихо, чтобы без лишних глаз."), "concealment"),
        (("Пленного пристрелили у дороги.", "Сбросили в окоп, сверху землёй присыпали."), "concealment"),
        (("We shot the driver at the crossing.", "Then we burnt the car so no one would find it, no traces."), "concealment"),
        (("Полоненого хлопці побили, на телефон записали.", "Та я вже все видалив."), "concealment"),
        (("Там дві дівчини в кімнаті замкнені.", "Так ці вночі до них ходять, кожну ніч."), "sexual_violence"),
        (("Сусідку вночі забрали на блокпост.", "Вона потім плакала. Що з нею робили, не можу сказати."), "sexual_violence"),
        (("The lieutenant took the girl from the cellar to his room for the night.",), "sexual_violence"),
        (("Сдавшегося вывели за сарай и расстреляли.",), "killing_hors_de_combat"),
        (("Пленных двое, руки связаны.", "Отработай обоих.", "Вопрос по этим двоим закрыт."), "killing_hors_de_combat"),
        (("Задержанному на допросе пакет на голову надели.",), "torture_inhuman_treatment"),
        (("Пленного привязали к дереву на всю ночь.",), "torture_inhuman_treatment"),
        (("Там на обочине двое трёхсотых гражданских.", "Медиков не вызывать, пусть лежат."), "torture_inhuman_treatment"),
        (("Хозяева свалили.", "Мы квартиру вскрыли, всё, что было, в багажник закинули."), "pillage"),
        (("У бабки во дворе кур порезали и забрали на кухню.",), "pillage"),
        (("Сначала фильтр, всех проверили.", "Проверенных — на автобус и в Россию, дальше не наше дело."),
         "deportation_confinement"),
        (("Жителей села согнали в спортзал школы.",), "deportation_confinement"),
        (("Вчора з сусідом на підвал забрали, третій день нема.",), "deportation_confinement"),
        (("Водокачку в поселке разбили специально, чтобы сидели без воды.",), "starvation"),
        (("Цистерну с водой в село больше не пускать.",), "starvation"),
        (("Гражданских поставь у окон, пусть их видно будет.",), "human_shields"),
        (("По укрытию, где люди сидели, из танка били.",), "attack_on_civilians"),
        (("Медпункт с красным крестом тоже накрыть.",), "attack_on_protected_objects"),
    ]
    # look-alikes stay silent: camouflage of one's own vehicle, one's own missing soldier, bought chickens,
    # sheltering in a basement, a pump repaired, a radio read-back about a tank
    negatives = [
        ("Машину загнали в лесок и сеткой накрыли, чтоб с дрона не видно было.",),
        ("Курей у бабки купили, заплатили гривнами.",),
        ("Сидим в подвале, пережидаем обстрел.",),
        ("Водокачку в посёлке починили, вода пошла.",),
        ("Цистерну с водой пропускаем, пусть едет в село.",),
    ]
    _assert_round(positives, negatives)


def test_a_read_back_that_names_a_lawful_target_or_refuses_is_not_a_read_back() -> None:
    order = ("Там люди у магазина, гражданские.", "Насыпай по всему селу.")
    assert (2, "attack_on_civilians") not in _categories(*order, "Принял. Работаю по технике на выезде.")
    assert (2, "attack_on_civilians") not in _categories(*order, "Принял. По магазину не буду, работаю по технике.")


def test_rules_round11_from_the_retired_tenth_heldout() -> None:
    # shapes read in heldout10 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Пленных двое.", "Оформляю обоих."), "killing_hors_de_combat"),
        (("Взяли пленного, он раненый.", "Понял, этого дорабатываю."), "killing_hors_de_combat"),
        (("Пленный ещё живой.", "Сделай так, чтоб не дышал."), "killing_hors_de_combat"),
        (("Ротный приказал: живыми никого не выводить.",), "killing_hors_de_combat"),
        (("Того, що руки підняв, до штабу не довели.",), "killing_hors_de_combat"),
        (("Пленных отработали.", "Двое минус, скинули в окоп."), "killing_hors_de_combat"),
        (("Пленного пристрелили.", "Закопали в воронке, ветками сверху закидали."), "concealment"),
        (("Задержанный ночью умер.", "Вывези к карьеру и брось, как будто под обстрел попал."), "concealment"),
        (("We shot the prisoners behind the barn.", "Then the sergeant burned the logbook."), "concealment"),
        (("Тела вывезли в посадку.", "В списках пишем — выехали сами."), "concealment"),
        (("Кто паспорт не получил, тех с семьями на автобус и за линию.",), "deportation_confinement"),
        (("They left the prisoner tied up outside all night with a sign round his neck.",), "torture_inhuman_treatment"),
        (("Пленного на коленях снимали на видео, как он гимн поёт.",), "torture_inhuman_treatment"),
        (("They told the women that if they aren't nice to the soldiers their kids get no food.",), "sexual_violence"),
        (("Хозяин уехал, а мы его джип забрали, номера скрутили.",), "pillage"),
        (("Присмотри мне там шуруповёрт у кого-нибудь в сарае.",), "pillage"),
        (("Гуманитарку привезли, три фуры.", "Я тоже пару ящиков себе притащил."), "pillage"),
        (("In every house we cleared the guys went straight for the jewelry and the cash.",), "pillage"),
        (("Гуманитарку, что для местных привезли, наши себе растащили.",), "starvation"),
        (("Гуманітарку від Червоного Хреста закрили на складі, хай гниє.",), "starvation"),
        (("Nothing gets through to the village until they give up the spotters.",), "starvation"),
        (("Местных держим в спортзале, это наш бронежилет.",), "human_shields"),
        (("Гражданских выводим во двор, чтоб с дрона видели.",), "human_shields"),
        (("Легковушка с семьёй едет к лесу.", "Останови огнём."), "attack_on_civilians"),
        (("По гражданским на мосту огонь.", "Баба и дед лежат на мосту."), "attack_on_civilians"),
        (("По легковушке отработали.", "Водитель и ребёнок двести."), "attack_on_civilians"),
        (("Больница, на крыше крест. Туда два пакета.",), "attack_on_protected_objects"),
        (("По школе огонь.", "Школа поражена, там много раненых гражданских."), "attack_on_protected_objects"),
        (("Вчера по собору на площади накидывали просто так.",), "attack_on_protected_objects"),
        (("По блиндажу работайте. И заодно по церкви в центре.",), "attack_on_protected_objects"),
        (("The battery spent the whole day on the cathedral across the river.",), "attack_on_protected_objects"),
    ]
    # look-alikes stay silent: captives processed for evacuation, finishing off a position, nobody found alive,
    # a broken-down truck, an enemy crew, own dead buried with a cross, camouflage, a duty log replaced, a
    # passport holder's bus trip, captives fed, shopping, aid handed out, a dead radio, an evacuation flag,
    # an enemy vehicle stopped by fire, a sick grandfather, a school used as a mortar position, enemy shelling
    negatives = [
        ("Пленных двое, раненые.", "Оформляю обоих на эвакуацию в госпиталь."),
        ("Пленный есть.", "Понял, по опорнику дорабатываю."),
        ("Живыми никого в доме не нашли, все ушли ещё весной.",),
        ("Пленных до штаба не довели, машина сломалась, ждём вторую.",),
        ("Танк противника подбит.", "Двое минус у них, экипаж."),
        ("Наши двое минус, вечная память.",),
        ("Пацанов наших похоронили в посадке, крест поставили.",),
        ("Машину ветками закидали, чтоб с дрона не видно.",),
        ("Сжечь старый журнал дежурств, новый завели.",),
        ("В журнал пишем: наших двое трёхсотых.",),
        ("Паспорт получил, сел на автобус до Запорожья.",),
        ("Пленных накормили, они на коленях молились, никто не трогал.",),
        ("Присмотри мне шуруповёрт в магазине, я заплачу.",),
        ("We went straight for the cash machine in town to get money.",),
        ("Гуманитарку для местных раздали по списку.",),
        ("Nothing gets through on the radio, the signal is dead.",),
        ("Чтоб с дрона видели, что мы выводим мирных, поднимите белый флаг.",),
        ("БТР противника едет к лесу.", "Останови огнём."),
        ("Танк подбит, экипаж ушёл.", "Дед в подвале лежит, болеет."),
        ("Школа, там миномёт во дворе. Туда два пакета.",),
        ("Противник с утра бьёт по посёлку.", "Школа поражена, крыша сложилась."),
        ("По позиции работайте. И заодно по мосту.",),
        ("We spent the day at the hospital visiting Sasha.",),
    ]
    _assert_round(positives, negatives)


def test_rules_round12_from_the_retired_eleventh_heldout() -> None:
    # shapes read in heldout11 after its one measurement (now development material); sentences written afresh
    positives = [
        (("Девушек на блокпосту заставляют снимать всё до белья.",), "sexual_violence"),
        (("Two of theirs surrendered, unarmed.", "Finish them off.", "Copy. Finishing them now."),
         "killing_hors_de_combat"),
        (("We shot the prisoner.", "Cover the body with earth.", "Roger, covering it now."), "concealment"),
        (("Close the well in the village so they have no water.",), "starvation"),
        (("Колонку на Шкільній перекрийте, щоб не ходили по воду.",), "starvation"),
        (("Бабку с сумками у магазина положили, нечего шастать.",), "attack_on_civilians"),
        (("Діда на велосипеді поклали просто на дорозі.",), "attack_on_civilians"),
        (("Трёх местных мужиков у магазина положили.",), "attack_on_civilians"),
        (("Бабусю, яка не хотіла віддавати ключі, застрелили на порозі.",), "attack_on_civilians"),
        (("Я с хаты телевизор и микроволновку припёр, хозяева всё равно уехали.",), "pillage"),
        (("Их «Ниву» мы на свои номера перебили.",), "pillage"),
        (("Дівчину з сусідньої хати забрали на ніч, силою.",), "sexual_violence"),
        (("Одну девушку офицер увёл к себе на ночь.",), "sexual_violence"),
        (("Пацаны пленного избили и сняли на телефон.", "Видос удали сейчас же."), "concealment"),
        (("Полоненого били, хтось зняв на відео.", "Відео стерти негайно."), "concealment"),
        (("Пленного связали.", "Пацаны его ногами, по рёбрам."), "torture_inhuman_treatment"),
        (("Накрывай квартал.", "Потом по школе, по спортзалу."), "attack_on_protected_objects"),
        (("Бей по блокпосту, потом по раздаче воды.",), "attack_on_civilians"),
        (("Двухсотый ихний, у него на руке часы золотые.", "Забирай, ему больше не понадобится."), "pillage"),
        (("Вчора знову гатили по школі в центрі.",), "attack_on_protected_objects"),
        (("Гражданских сажаем на броню, пусть едут с нами.",), "human_shields"),
        (("Автобус с беженцами пустим первым, колонна за ним.",), "human_shields"),
        (("В колонии пленным давали кружку воды и корку хлеба в день.",), "torture_inhuman_treatment"),
        (("Хлопця в камері забили до смерті.",), "killing_hors_de_combat"),
        (("На допросах били электрошокером.",), "torture_inhuman_treatment"),
        (("Кто будет возникать — на подвал.",), "deportation_confinement"),
        (("Гуманитарку дают только тем, у кого российский паспорт.",), "starvation"),
        (("Продукты в наш квартал не завозят, потому что мы неблагонадёжные.",), "starvation"),
        (("Put the mortar in the school yard, they won't shoot at a school.",), "human_shields"),
        (("Лодки с продуктами заворачивать, пусть голодают.", "Понял, лодки заворачиваем."), "starvation"),
        (("Бей по скорой у садика.", "Принял, сначала скорая."), "attack_on_protected_objects"),
    ]
    negatives = [
        ("В подвале местные сидят, человек десять.",),
        ("Мы сейчас на фильтрации стоим, под Бердянском.",),
        ("Купил у бабки картошку по сорок рублей.",),
        ("Возьми сигарет, деньги я тебе на карту скинул.",),
        ("На блокпосту машины шмонаем.",),
        ("Беженцев с собой берём, довезём до Запорожья.",),
        ("Сперва бензином заправь, потом в парк.",),
        ("Видео с учений удали, там наши лица.",),
        ("Деда эвакуировали, положили в скорую.",),
        ("Снимай бронежилет, тебе уже не надо, мы в тылу.",),
        ("Колонку на Шкільній полагодили, вода є.",),
        ("Turn the trucks back, the bridge is out.",),
        ("Наших трёхсотых в санчасть, быстро.",),
        ("Телевизор свой я из дома привёз, с Воронежа.",),
        ("Номера на нашу машину новые поставили.",),
        ("Вечером жену к себе забрал на ночь, отпустили в увольнение.",),
        ("Пленного накормили и сняли на видео для обмена.",),
        ("Бьём по миномёту за церковью, как понял.",),
    ]
    _assert_round(positives, negatives)


def test_rules_round13_from_the_retired_twelfth_and_thirteenth_heldouts() -> None:
    # shapes read in heldout12 and heldout13 after their one measurement (now development material);
    # sentences written afresh
    positives = [
        (("Подцепили ему тапик, и он сразу заговорил.",), "torture_inhuman_treatment"),
        (("Полоненого допитували.", "Причепили тапік до вух і крутили."), "torture_inhuman_treatment"),
        (("Пленного допрашивали, пальцы ему плоскогубцами.",), "torture_inhuman_treatment"),
        (("Задержанного в машину, по дороге ногами отработали.",), "torture_inhuman_treatment"),
        (("Двоє поранених лежать біля посадки.", "Доробіть їх і відходьте."), "killing_hors_de_combat"),
        (("Двоих несговорчивых в лес отвезли, и с концами.",), "killing_hors_de_combat"),
        (("Хлібовозку на в'їзді палити, щоб у місто не доїхала.",), "starvation"),
        (("Пусть посёлок посидит без хлеба, станут сговорчивее.",), "starvation"),
        (("Пайки выдавать только по российскому паспорту.",), "starvation"),
        (("Двух девчонок помоложе отбери и к нам в расположение на ночь.",), "sexual_violence"),
        (("Some of the lads had their fun with the women in that cellar.",), "sexual_violence"),
        (("По поликлинике — два снаряда, как понял?",), "attack_on_protected_objects"),
        (("Put a salvo on the old cathedral, then move.",), "attack_on_protected_objects"),
        (("Школу в центре дронами разнесли, сам видел.",), "attack_on_protected_objects"),
        (("Ювелирку на площади вскрыли, пацаны набили карманы.",), "pillage"),
        (("С бабки серёжки сорвали прямо на улице.",), "pillage"),
        (("Мам, я тебе подарков насобирал: шубу, телик и колечко.",), "pillage"),
        (("The boys go through the flats and grab whatever's worth something.",), "pillage"),
        (("Пленных связали и расстреляли.", "Тела в машину и поджечь, будто при обстреле сгорели."), "concealment"),
        (("Трупы облили соляркой и сожгли, чтобы опознать не смогли.",), "concealment"),
        (("Местного деда застрелили у сарая.", "Ночью в огороде прикопали."), "concealment"),
        (("Детей из интерната в Крым вывезли.", "Документы новые сделаем, фамилии сменим, никто не найдёт."),
         "concealment"),
        (("Дітей з табору назад не повертати, хай там вчаться.",), "deportation_confinement"),
        (("Кто митинговал — по подвалам рассадили.",), "deportation_confinement"),
        (("They locked the villagers in the gym under the school, forty of them.",), "deportation_confinement"),
        (("Попереду гнали трьох полонених, за ними йшла штурмова група.",), "human_shields"),
        (("They made the old men walk in front of the column so nobody would fire.",), "human_shields"),
        (("Маршрутка в восемь через мост идёт, по ней и поработаем.",), "attack_on_civilians"),
        (("Вчера бабку на велосипеде дроном гоняли, пока не уложили.",), "attack_on_civilians"),
        (("A van didn't stop, so we emptied a mag into it. Family inside.",), "attack_on_civilians"),
    ]
    negatives = [
        ("Тапик не работает, связи нет, проверь провод.",),
        ("Молотком забей колышки, палатку ставим.",),
        ("Пальцы отморозил, перчатки нужны.",),
        ("Ногами до позиций дойдём, машины нет.",),
        ("Доробимо окоп до вечора, потім змінимося.",),
        ("Хлебовозка пришла, раздавай людям.",),
        ("Девчонок-медиков в палатку к раненым, пусть помогают.",),
        ("По больничке не работать, там наши раненые.",),
        ("First salvo on the enemy battery, second on the trench line.",),
        ("Магаз к автомату пристегни.",),
        ("Обручку зняла, бо пальці опухли.",),
        ("Наши хотели магазин вскрыть, я не дал.",),
        ("We went round the houses to check that everyone had left, then moved on.",),
        ("Ходили по хатах, шукали зброю, нічого не знайшли.",),
        ("Мы сами третий день сидим без хлеба, подвоза нет.",),
        ("Our own guys went round the houses and brought back nothing.",),
    ]
    _assert_round(positives, negatives)


def test_rules_round14_from_the_retired_fourteenth_and_fifteenth_heldouts() -> None:
    # shapes read in heldout14 and heldout15 after their one measurement (now development material);
    # sentences written afresh
    positives = [
        (("Вчера по роддому клали, раза три, наводчик видел.",), "attack_on_protected_objects"),
        (("Три заходи по школі, там дах уже провалився.",), "attack_on_protected_objects"),
        (("Собор в центре раздолбали артой, командир доволен.",), "attack_on_protected_objects"),
        (("Квартали б'ємо, де військових нема, просто по хатах.",), "attack_on_protected_objects"),
        (("Когда приехали спасатели, ударили второй раз по тому же месту.",), "attack_on_civilians"),
        (("Машина з білим прапорцем їхала, по ній відкрили вогонь.",), "attack_on_civilians"),
        (("По всем, кто шевелится у переправы.",), "attack_on_civilians"),
        (("Пакет ушёл по городу, куда попадёт.",), "attack_on_civilians"),
        (("У водоразбора очередь. Кассетой туда.",), "attack_on_civilians"),
        (("Гаубицу загнали во двор садика, там воспитатели с детьми, хохлы туда не бьют.",), "human_shields"),
        (("Жильців з під'їзду не виселяти, хай сидять, поки батарея тут.",), "human_shields"),
        (("Местных выведи перед собой и иди к мосту.",), "human_shields"),
        (("Пацаны девчонок на блоке лапали, те ревели.",), "sexual_violence"),
        (("Пообещал её пропустить, если переспит с ним.",), "sexual_violence"),
        (("Ротный медсестру к себе в блиндаж утащил.",), "sexual_violence"),
        (("Пленного прикували до батареї, так і тримали три дні.",), "torture_inhuman_treatment"),
        (("У него на руках ожоги от тока, ногти сорваны.",), "torture_inhuman_treatment"),
        (("Пистолет к виску приставляли и стреляли рядом, пока не заговорил.",), "torture_inhuman_treatment"),
        (("Противогаз на него, шланг зажали, пока не посинел.",), "torture_inhuman_treatment"),
        (("Ніж у рану, і він одразу все розповів.",), "torture_inhuman_treatment"),
        (("Двері в клуб дошками забили, люди всередині.",), "deportation_confinement"),
        (("Главу поселка забрали, держат в гараже вторую неделю.",), "deportation_confinement"),
        (("Нас із Бердянська вивезли в табір під Таганрогом.",), "deportation_confinement"),
        (("Отжали джип, номера свои повесили и переоформили.",), "pillage"),
        (("Всё, что влезет в Камаз, из магазина вытаскивай.",), "pillage"),
        (("Видео с пленными удалить у всех, при мне.",), "concealment"),
        (("Тіла в яму скинули і засипали, зверху сміттям закидали.",), "concealment"),
        (("Пленных в окоп. Стреляй.", "В донесении пишешь: уничтожены в бою."), "concealment"),
        (("Трупы облили бензином и сожгли.",), "concealment"),
        (("Пленных кормить нечем, девать некуда.",), "killing_hors_de_combat"),
        (("Фури з борошном на блокпосту розвертаємо, хай посидять голодні.",), "starvation"),
        (("Водоканал подорвали, город без воды.",), "starvation"),
        (("Склад с мукой сжечь, чтоб местным не досталось.",), "starvation"),
    ]
    negatives = [
        ("По больнице не работаем, там наши раненые лежат.",),
        ("Очередь из пулемёта по посадке, там ихний расчёт.",),
        ("Гаубицу загнали в лесополосу, маскировку натянули.",),
        ("Разведка доложила: в посёлке военных нет, одни старики.",),
        ("Спасатели приехали, помогли разобрать завал.",),
        ("Лапы у собаки замёрзли, надо ей тряпки намотать.",),
        ("Шланг у бензовоза пережали, течёт.",),
        ("Противогаз надеть, учебная тревога.",),
        ("Двери в казарме закрыть на ночь, дует.",),
        ("Батьків вивезли волонтери в Дніпро, вони в безпеці.",),
        ("Я себе новый ноутбук купил в военторге.",),
        ("Ключ от склада у старшины, видео с дрона скинь ротному.",),
        ("Delete the old maps from the tablet, we got new ones.",),
        ("Водоканал ремонтують, завтра дадуть воду.",),
        ("Хлеб раздаём всем, в очередь становитесь.",),
        ("Порт обстреляли, корабли стоят, зерно не грузят.",),
        ("В отчёте пишешь расход БК и потери, всё как есть.",),
    ]
    _assert_round(positives, negatives)


def test_rules_round15_from_the_retired_sixteenth_and_seventeenth_heldouts() -> None:
    # shapes read in heldout16 and heldout17 after their one measurement (now development material);
    # sentences written afresh
    positives = [
        (("Его в комендатуре держат, фсбшники током пытаются выбить, с кем он связан.",), "torture_inhuman_treatment"),
        (("Особисты его к машинке подцепили, покрутили ручку, сразу заговорил.",), "torture_inhuman_treatment"),
        (("Лікарню на околиці градами накрили, там поранені лежали.",), "attack_on_protected_objects"),
        (("Тіла в ставок, каміння до ніг прив'язали, щоб не спливли.",), "concealment"),
        (("Трупы облили и сожгли, чтоб ни лиц, ни зубов не осталось.",), "concealment"),
        (("После расстрела всё прибрать, чтоб следов не осталось.",), "concealment"),
        (("Жетоны с убитых снять и в костёр, тела в яму.",), "concealment"),
        (("Малых из интерната на оздоровление в Подмосковье, назад никто не повезёт.",), "deportation_confinement"),
        (("В спортзале местных держим, третью неделю, никого не выпускаем.",), "deportation_confinement"),
        (("Сусіда тримають у комендатурі, поки родина не заплатить викуп.",), "deportation_confinement"),
        (("Брата забрали с блокпоста в апреле, до сих пор не знаем, где он.",), "deportation_confinement"),
        (("Девчонок помоложе на личный досмотр в вагончик уводят, по часу держат.",), "sexual_violence"),
        (("Хата ничья теперь, телевизор и котёл себе забрали.",), "pillage"),
        (("Посылки через Беларусь шлём, коробки с техникой из хат.",), "pillage"),
        (("По погребам лазим, у хозяев всего полно.",), "pillage"),
        (("Пусть сидят без еды: чем быстрее кончится жратва, тем быстрее сдадутся.",), "starvation"),
        (("Бабка с тележкой уходила, ей очередь в спину дали.",), "attack_on_civilians"),
    ]
    negatives = [
        ("Покрути ручку на рации, громкость добавь, не слышу тебя.",),
        ("Кассетами по их позициям за посадкой, по технике. Больницу не трогать.",),
        ("Рыбу ловили, камень к ноге привязали от лодки, чтоб не унесло.",),
        ("Чтоб следа не осталось от их опорника — работайте по нему до утра.",),
        ("Нас в детстве на оздоровление в Крым возили, в лагерь, хорошо было.",),
        ("Людей из подвала вывели, в школе в укрытии держим, пока обстрел, потом эвакуация.",),
        ("Мама посылку через Беларусь передала, носки и сало.",),
        ("Если к пятнице кончится еда, быстрее привезите, а то пацаны голодные.",),
        ("Пленного на блоке досмотрели, личный досмотр, потом в тыл отправили, накормили.",),
        ("Ничьё поле, никто не пашет, мины кругом.",),
        ("Командира перевели в інший батальйон, досі не знаємо, де він зараз.",),
        ("Выкупили у деда кабанчика, сами резали, добивать пришлось всех троих поросят.",),
        ("Если меня убьют, утопите мой телефон, шучу.",),
        ("Я на минутку телефон у старшины взял, маме позвонить.",),
        ("They took our passports in Rostov and sent us here.",),
        ("Кто сам захотел — записали, автобусом в Мелитополь стариков вывезли, по их просьбе.",),
        ("Жетоны у наших двухсотых сняли, тела на эвакуацию, родным передадим.",),
        ("Тримаємо оборону біля школи, людей там нема.",),
    ]
    _assert_round(positives, negatives)
