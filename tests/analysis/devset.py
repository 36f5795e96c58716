"""A second, independent development phrasebook for the indicator rules (written 2026-12-05, before
the rules were generalised against it; not taken from any corpus dialog).

Invented phrasings as Russian and Ukrainian soldiers speak on the radio and the phone (slang,
euphemism, surzhyk, lower case and missing punctuation as speech recognition writes them) and a
few English sentences as quoted in articles. ``POSITIVE`` holds at least 15 per category;
``NEGATIVE`` holds hard negatives that must stay silent: lawful targeting, own casualties,
prisoners taken alive and cared for, evacuation, refusals, denials and hypotheticals, captured
military equipment, «подвал» as a shelter. ``ALSO`` names a second category a positive may
fairly raise (a sentence can indicate two things); any other category is a false positive.

``score`` gives precision and recall per category; ``tests/analysis/test_devset.py`` asserts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# (category, language, text, a word the flag must cover)
POSITIVE: list[tuple[str, str, str, str]] = [
    # ---- killing or wounding persons hors de combat, denial of quarter
    ("killing_hors_de_combat", "ru", "этих двоих на подвал и в расход, потом доложишь", "расход"),
    ("killing_hors_de_combat", "ru", "Пленного задвухсотили ночью, он уже никому не нужен был.", "задвухсотили"),
    ("killing_hors_de_combat", "ru", "сдавшихся обнулили всех командир сказал без разговоров", "обнулили"),
    ("killing_hors_de_combat", "ru", "Языка после допроса в расход пустили.", "расход"),
    ("killing_hors_de_combat", "ru", "раненый укроп ещё дышал ну я его и добил", "добил"),
    ("killing_hors_de_combat", "ru", "Кто с белым флагом вышел, тех положили прям у дороги.", "положили"),
    ("killing_hors_de_combat", "ru", "Командир сказал, пленные нам не нужны, кончайте их.", "кончайте"),
    ("killing_hors_de_combat", "ru", "сдались трое ну мы их и шлепнули за сараем", "шлепнули"),
    ("killing_hors_de_combat", "ru", "А чё с пленными делать? Да вали их, кому они нужны.", "вали"),
    ("killing_hors_de_combat", "ru", "в плен никого всех под ноль", "плен"),
    ("killing_hors_de_combat", "ru", "Сдающихся на месте валить, приказ такой.", "валить"),
    ("killing_hors_de_combat", "ru", "Пленного вывели в посадку и пустили пулю в затылок.", "пулю"),
    ("killing_hors_de_combat", "ru", "Живыми никого не оставлять, понял меня?", "Живыми"),
    ("killing_hors_de_combat", "ru", "пленных отправили к кобзону", "кобзону"),
    ("killing_hors_de_combat", "ru", "Ихнего трёхсотого зачистили, чтоб не тащить.", "зачистили"),
    ("killing_hors_de_combat", "uk", "Полонених розстріляли біля посадки.", "розстріляли"),
    ("killing_hors_de_combat", "uk", "поранених кацапів добивали щоб не мучилися", "добивали"),
    ("killing_hors_de_combat", "uk", "Тих, хто здався, поклали на місці.", "поклали"),
    ("killing_hors_de_combat", "uk", "Полоненого вивели за хату і застрелили.", "застрелили"),
    ("killing_hors_de_combat", "en", "He said the ones with their hands up should be shot.", "shot"),
    ("killing_hors_de_combat", "en", "The soldier describes executing a prisoner who had surrendered.", "executing"),
    # ---- attack on civilians
    ("attack_on_civilians", "ru", "По гражданским отработали, там человек десять было.", "гражданским"),
    ("attack_on_civilians", "ru", "видишь бабку с ведрами сними ее", "сними"),
    ("attack_on_civilians", "ru", "Мирняк бегает по огородам, насыпь туда пару мин.", "насыпь"),
    ("attack_on_civilians", "ru", "Легковушка с гражданскими едет, жги её.", "жги"),
    ("attack_on_civilians", "ru", "Местных, которые на велосипедах катаются, валите без предупреждения.", "валите"),
    ("attack_on_civilians", "ru", "Мужики гражданские из подвала вылезли, мы их и положили.", "положили"),
    ("attack_on_civilians", "ru", "дрон сбросил на женщину у колонки", "сбросил"),
    ("attack_on_civilians", "ru", "Птичкой по гражданским машинам на трассе работаем.", "гражданским"),
    ("attack_on_civilians", "uk", "По цивільних на зупинці вгатили градом.", "вгатили"),
    ("attack_on_civilians", "uk", "мирних не шкодувати гатити по всіх", "гатити"),
    ("attack_on_civilians", "ru", "Снайпер мирных щёлкает как в тире.", "щёлкает"),
    ("attack_on_civilians", "ru", "На блокпосту машину с семьёй расстреляли.", "расстреляли"),
    ("attack_on_civilians", "en", "They were told to shoot any civilian who came out of the basement.", "shoot"),
    ("attack_on_civilians", "en", "the drone operator dropped a grenade on a civilian riding a bicycle", "dropped"),
    ("attack_on_civilians", "ru", "По мирным жителям огонь открыли прямо в очереди за хлебом.", "огонь"),
    ("attack_on_civilians", "ru", "Кто из местных на улице появится, сразу в расход.", "расход"),
    ("attack_on_civilians", "ru", "гражданских тоже зачистили всех подряд", "зачистили"),
    # ---- attack on civilian or protected objects
    ("attack_on_protected_objects", "ru", "По больничке насыпали, пусть горит.", "больничке"),
    ("attack_on_protected_objects", "ru", "школу раскатали в ноль", "раскатали"),
    ("attack_on_protected_objects", "ru", "Церковь с колокольней снести, нечего ей стоять.", "снести"),
    ("attack_on_protected_objects", "ru", "Дай пару градов по жилому массиву.", "жилому"),
    ("attack_on_protected_objects", "ru", "по девятиэтажкам в центре отработаем ночью", "девятиэтажкам"),
    ("attack_on_protected_objects", "ru", "Роддом надо накрыть, приказ сверху.", "Роддом"),
    ("attack_on_protected_objects", "ru", "Шарахнули по рынку в самый час пик.", "рынку"),
    ("attack_on_protected_objects", "ru", "ракетой в торговый центр зашли", "центр"),
    ("attack_on_protected_objects", "ru", "Частный сектор весь выжгли фосфором.", "выжгли"),
    ("attack_on_protected_objects", "uk", "По лікарні вгатили двома ракетами.", "лікарні"),
    ("attack_on_protected_objects", "uk", "рознесли школу вщент", "школу"),
    ("attack_on_protected_objects", "uk", "Житлові квартали накрили касетами.", "квартали"),
    ("attack_on_protected_objects", "en", "They deliberately shelled the kindergarten.", "shelled"),
    ("attack_on_protected_objects", "en", "Fire at the residential blocks until there is nothing left.", "residential"),
    ("attack_on_protected_objects", "ru", "Бахнули по дому культуры, там гуманитарку раздавали.", "Бахнули"),
    ("attack_on_protected_objects", "ru", "укрытие в драмтеатре накрыли авиабомбой", "накрыли"),
    ("attack_on_protected_objects", "ru", "По пятиэтажкам хуярьте.", "пятиэтажкам"),
    # ---- torture, inhuman treatment, outrages upon personal dignity
    ("torture_inhuman_treatment", "ru", "С языком на подвале поговорим по-другому.", "поговорим"),
    ("torture_inhuman_treatment", "ru", "пленному пальцы плоскогубцами ломали", "ломали"),
    ("torture_inhuman_treatment", "ru", "Крутили ему тапик, пока не запел.", "тапик"),
    ("torture_inhuman_treatment", "ru", "Задержанного отпиздили так, что встать не мог.", "отпиздили"),
    ("torture_inhuman_treatment", "ru", "держали его в яме и каждый день лупили", "лупили"),
    ("torture_inhuman_treatment", "ru", "Пленных заставляли на коленях гимн петь и били.", "били"),
    ("torture_inhuman_treatment", "ru", "Пленному прострелили колено, чтобы не убежал.", "прострелили"),
    ("torture_inhuman_treatment", "ru", "Задержанного подвесили за руки на всю ночь.", "подвесили"),
    ("torture_inhuman_treatment", "ru", "душили его пакетом пока не сознался", "душили"),
    ("torture_inhuman_treatment", "ru", "Сигаретами прижигали пленному руки.", "прижигали"),
    ("torture_inhuman_treatment", "uk", "Затриманих били кийками і пускали струм.", "струм"),
    ("torture_inhuman_treatment", "uk", "його тримали зв'язаним і знущалися", "знущалися"),
    ("torture_inhuman_treatment", "en", "They beat detainees with rifle butts and applied electric shocks.", "beat"),
    ("torture_inhuman_treatment", "en", "the prisoners were forced to kneel for hours and kicked", "kicked"),
    ("torture_inhuman_treatment", "ru", "Пленного раздели и поливали водой на морозе.", "раздели"),
    ("torture_inhuman_treatment", "ru", "с ним на подвале поработали теперь всё рассказывает", "поработали"),
    ("torture_inhuman_treatment", "ru", "Хохлу пленному ухо отрезали и фоткали.", "отрезали"),
    # ---- sexual violence
    ("sexual_violence", "ru", "Насиловали её по очереди.", "Насиловали"),
    ("sexual_violence", "ru", "девку в подвал затащили и по кругу", "кругу"),
    ("sexual_violence", "ru", "Пацаны хозяйку оприходовали.", "оприходовали"),
    ("sexual_violence", "ru", "С девчонкой поразвлеклись ночью, она орала.", "поразвлеклись"),
    ("sexual_violence", "ru", "Заставили её раздеться при всех.", "раздеться"),
    ("sexual_violence", "ru", "жену его при нём изнасиловали", "изнасиловали"),
    ("sexual_violence", "ru", "Трахнули её и отпустили.", "Трахнули"),
    ("sexual_violence", "uk", "Жінку зґвалтували троє солдатів.", "зґвалтували"),
    ("sexual_violence", "uk", "дівчину ґвалтували кілька днів у підвалі", "ґвалтували"),
    ("sexual_violence", "en", "The soldier admitted that they raped a teenage girl.", "raped"),
    ("sexual_violence", "en", "He told his wife it was fine to rape Ukrainian women.", "rape"),
    ("sexual_violence", "ru", "мама тут пацаны местных баб насилуют", "насилуют"),
    ("sexual_violence", "ru", "Пленному угрожали изнасилованием палкой.", "изнасилованием"),
    ("sexual_violence", "ru", "её по кругу пустили потом выкинули", "кругу"),
    ("sexual_violence", "ru", "Девочку малолетнюю попользовали.", "попользовали"),
    ("sexual_violence", "ru", "Отымели хозяйку всем отделением.", "Отымели"),
    # ---- pillage
    ("pillage", "ru", "Разобрали хату по винтику, всё в камаз.", "Разобрали"),
    ("pillage", "ru", "я тут стиралку затрофеил пришлю с оказией", "затрофеил"),
    ("pillage", "ru", "У мужика тачку отжали, теперь катаемся.", "отжали"),
    ("pillage", "ru", "По дачам прошлись, набрали инструмента.", "дачам"),
    ("pillage", "ru", "мам я тебе золотишко собрал сережки колечки", "золотишко"),
    ("pillage", "ru", "Ночью магазин вскрыли, сигареты и бухло вынесли.", "вынесли"),
    ("pillage", "ru", "Квартиры вскрываем, что ценное — в мешки.", "вскрываем"),
    ("pillage", "ru", "хабар с хат делим поровну", "хабар"),
    ("pillage", "ru", "На почте посылки отправляем: телики, ноуты, ковры.", "телики"),
    ("pillage", "ru", "Шмонали дома, забирали всё, что блестит.", "забирали"),
    ("pillage", "uk", "Кацапи винесли з хати все, навіть унітаз.", "винесли"),
    ("pillage", "uk", "розграбували магазин і аптеку", "розграбували"),
    ("pillage", "uk", "У людей забирали машини і телефони.", "забирали"),
    ("pillage", "en", "They were shipping home washing machines taken from Ukrainian homes.", "taken"),
    ("pillage", "en", "soldiers plundered the village and took the jewellery", "plundered"),
    ("pillage", "ru", "Затрофеили у деда мотоблок и бензопилу.", "Затрофеили"),
    ("pillage", "ru", "всё что можно с хаты выгребли", "выгребли"),
    # ---- deportation, forcible transfer, unlawful confinement
    ("deportation_confinement", "ru", "Мужиков всех на подвал до выяснения.", "подвал"),
    ("deportation_confinement", "ru", "её увезли на фильтрацию и с тех пор не выходила", "фильтрацию"),
    ("deportation_confinement", "ru", "Местных мужчин силой мобилизовали и отправили на передок.", "мобилизовали"),
    ("deportation_confinement", "ru", "Детей из детдома вывезли в Подмосковье, родителям не сказали.", "вывезли"),
    ("deportation_confinement", "ru", "сорок человек держат в подвале школы уже месяц", "держат"),
    ("deportation_confinement", "ru", "Паспорта забрали, всех в автобусы и в Таганрог.", "автобусы"),
    ("deportation_confinement", "ru", "Кто не прошёл фильтр — в Оленовку.", "фильтр"),
    ("deportation_confinement", "ru", "В гаражах у нас человек двадцать сидят, местные.", "сидят"),
    ("deportation_confinement", "ru", "учителя забрали на подвал до сих пор там", "подвал"),
    ("deportation_confinement", "uk", "Людей тримали в підвалі школи місяць.", "тримали"),
    ("deportation_confinement", "uk", "дітей вивезли до росії без батьків", "вивезли"),
    ("deportation_confinement", "uk", "Чоловіків примусово забрали на фільтрацію.", "фільтрацію"),
    ("deportation_confinement", "en", "Civilians were held in a basement for 28 days.", "held"),
    ("deportation_confinement", "en", "They took the children across the border to Russia.", "took"),
    ("deportation_confinement", "ru", "Всё село вывезли в Крым, назад не пускают.", "вывезли"),
    ("deportation_confinement", "ru", "местных силком мобилизуем пусть воюют", "мобилизуем"),
    ("deportation_confinement", "ru", "Задержанных закрыли в ангаре, пусть посидят.", "закрыли"),
    ("deportation_confinement", "ru", "Население эвакуировать в Россию принудительно.", "эвакуировать"),
    # ---- human shields
    ("human_shields", "ru", "Ставим арту между домами, где люди живут.", "арту"),
    ("human_shields", "ru", "бэху загнали во двор школы там беженцы", "бэху"),
    ("human_shields", "ru", "С мирными в подвале сидим, по нам не долбанут.", "мирными"),
    ("human_shields", "ru", "Пусть гражданские идут впереди, мы за ними.", "впереди"),
    ("human_shields", "ru", "Местных поставили на броню, чтобы не стреляли.", "броню"),
    ("human_shields", "ru", "заложников перед колонной гоним", "перед"),
    ("human_shields", "ru", "Штаб разместили в больнице, пусть попробуют ударить.", "Штаб"),
    ("human_shields", "ru", "Прикрываемся бабками, укропы бить не будут.", "Прикрываемся"),
    ("human_shields", "uk", "Ховаються за цивільними, стріляють з-за людей.", "Ховаються"),
    ("human_shields", "uk", "поставили танк біля лікарні де цивільні", "танк"),
    ("human_shields", "en", "They positioned their tanks in the school yard where families were sheltering.", "tanks"),
    ("human_shields", "en", "Use the hostages as cover.", "cover"),
    ("human_shields", "ru", "Миномёт поставили у детского сада, там дети.", "Миномёт"),
    ("human_shields", "ru", "держим гражданских на базе чтобы по нам не прилетало", "гражданских"),
    ("human_shields", "ru", "Живым щитом людей выставили.", "щитом"),
    # ---- starvation of civilians
    ("starvation", "ru", "Гуманитарку не пускаем, пусть жрут что есть.", "Гуманитарку"),
    ("starvation", "ru", "воду городу перекрыть пускай сдаются", "перекрыть"),
    ("starvation", "ru", "Склады с зерном сжечь, чтобы им жрать было нечего.", "зерном"),
    ("starvation", "ru", "Колонну с хлебом развернули на блокпосту.", "хлебом"),
    ("starvation", "ru", "Гуманитарную помощь на блокпосту отобрали и раздали своим.", "отобрали"),
    ("starvation", "ru", "в Мариуполь продукты не пропускать ни одной машины", "продукты"),
    ("starvation", "ru", "Пусть с голоду пухнут, сами виноваты.", "голоду"),
    ("starvation", "ru", "Колодцы отравить перед уходом.", "отравить"),
    ("starvation", "uk", "Гуманітарку не пропускати, хай голодують.", "голодують"),
    ("starvation", "uk", "воду місту відключили люди п'ють з калюж", "відключили"),
    ("starvation", "en", "They blocked food deliveries to the besieged town.", "blocked"),
    ("starvation", "en", "starve the city into surrender", "starve"),
    ("starvation", "ru", "Скот перестреляли, поля заминировали, чтоб жрать было нечего.", "нечего"),
    ("starvation", "ru", "Конвой Красного Креста не пропускать.", "пропускать"),
    ("starvation", "ru", "продукты местным не продавать пусть голодают", "голодают"),
    # ---- concealment of bodies or evidence
    ("concealment", "ru", "Жмуров в посадке прикопали по-тихому.", "прикопали"),
    ("concealment", "ru", "трупы в машину и в карьер чтобы никто не видел", "трупы"),
    ("concealment", "ru", "Тела облили соляркой и подожгли.", "подожгли"),
    ("concealment", "ru", "Закопали всех в одной яме за фермой.", "Закопали"),
    ("concealment", "ru", "После расстрела следы зачистили, гильзы собрали.", "следы"),
    ("concealment", "ru", "тело в колодец скинули и гранату сверху", "тело"),
    ("concealment", "ru", "Никому ни слова, что тут было с пленными.", "слова"),
    ("concealment", "ru", "Ихних двухсотых в реку скинули, чтобы не считали.", "скинули"),
    ("concealment", "uk", "Тіла спалили в лісі.", "спалили"),
    ("concealment", "uk", "закопали їх у посадці щоб ніхто не знайшов", "закопали"),
    ("concealment", "en", "They buried the bodies in a mass grave behind the school.", "buried"),
    ("concealment", "en", "Burn everything so there is no evidence.", "evidence"),
    ("concealment", "ru", "Трупак в лесополосу оттащить и закидать ветками.", "Трупак"),
    ("concealment", "ru", "видео удалить телефоны сжечь чтобы ничего не осталось", "удалить"),
    ("concealment", "ru", "В передвижной крематорий их, и концы в воду.", "концы"),
    ("concealment", "ru", "Тела завалили землёй бульдозером.", "Тела"),
]

# a second category a positive may fairly raise
ALSO: dict[str, frozenset[str]] = {
    "этих двоих на подвал и в расход, потом доложишь": frozenset({"deportation_confinement"}),
    "С языком на подвале поговорим по-другому.": frozenset({"deportation_confinement"}),
    "держали его в яме и каждый день лупили": frozenset({"deportation_confinement"}),
    "Заставили её раздеться при всех.": frozenset({"torture_inhuman_treatment"}),
    "Пленному угрожали изнасилованием палкой.": frozenset({"torture_inhuman_treatment"}),
    "девку в подвал затащили и по кругу": frozenset({"deportation_confinement"}),
    "дівчину ґвалтували кілька днів у підвалі": frozenset({"deportation_confinement"}),
    "Затриманих били кийками і пускали струм.": frozenset({"deportation_confinement"}),
    "його тримали зв'язаним і знущалися": frozenset({"deportation_confinement"}),
    "Пленного вывели в посадку и пустили пулю в затылок.": frozenset({"concealment"}),
    "Никому ни слова, что тут было с пленными.": frozenset({"killing_hors_de_combat"}),
    "После расстрела следы зачистили, гильзы собрали.": frozenset({"killing_hors_de_combat", "attack_on_civilians"}),
    "Закопали всех в одной яме за фермой.": frozenset({"deportation_confinement"}),
    "Гуманитарную помощь на блокпосту отобрали и раздали своим.": frozenset({"pillage"}),
    "Склады с зерном сжечь, чтобы им жрать было нечего.": frozenset({"attack_on_protected_objects"}),
    "Бахнули по дому культуры, там гуманитарку раздавали.": frozenset({"attack_on_civilians"}),
    "Кто из местных на улице появится, сразу в расход.": frozenset({"killing_hors_de_combat"}),
    "С мирными в подвале сидим, по нам не долбанут.": frozenset({"deportation_confinement"}),
    "держим гражданских на базе чтобы по нам не прилетало": frozenset({"deportation_confinement"}),
    "бэху загнали во двор школы там беженцы": frozenset(),
    "Паспорта забрали, всех в автобусы и в Таганрог.": frozenset({"pillage"}),
    "Мужики гражданские из подвала вылезли, мы их и положили.": frozenset(),
    "Частный сектор весь выжгли фосфором.": frozenset({"attack_on_civilians"}),
}

# (language, text): must raise no flag at all
NEGATIVE: list[tuple[str, str]] = [
    # lawful targeting of military objectives
    ("ru", "По опорнику их отработали, два попадания."),
    ("ru", "птичкой сбросили на их блиндаж двое укропов затрёхсотили"),
    ("ru", "Накрыли их арту в лесополосе."),
    ("ru", "Дрон повесили над их позициями, корректируем огонь."),
    ("ru", "валим по их пехоте они в зелёнке"),
    ("ru", "В школе их опорник, работаем по школе."),
    ("ru", "Танк ихний сожгли у моста."),
    ("ru", "Кассетами по колонне противника на марше."),
    ("ru", "снайпер ихний в многоэтажке отработай по окну"),
    ("ru", "Задвухсотили их расчёт миномёта."),
    ("ru", "Зачистили посадку, укропов там больше нет."),
    ("ru", "Отжали у укропов опорник, закрепляемся."),
    ("uk", "Накрили їхній розрахунок біля ферми."),
    ("en", "Enemy troops were dug in near the hospital; we hit their trenches."),
    ("en", "We struck an ammunition depot near the railway station."),
    # own casualties
    ("ru", "У нас двое двухсотых, один трёхсотый тяжёлый."),
    ("ru", "двухсотых наших вывезти надо тела в морг"),
    ("ru", "Пацана задвухсотило прилётом, мама, я не знаю, как сказать."),
    ("ru", "Похоронили своих за посадкой, крест поставили."),
    ("ru", "Убрать тела наших пацанов с поля, отвезти в морг."),
    ("uk", "Маємо двох двохсотих і трьох трьохсотих."),
    # prisoners taken alive and cared for
    ("ru", "Взяли двоих в плен, накормили, сидят ждут обмена."),
    ("ru", "Пленного не трогать, отправить в тыл живым."),
    ("ru", "пленные у нас в безопасности медик их осмотрел"),
    ("ru", "Языка взяли живым, везём в штаб на допрос."),
    ("ru", "Пленных кормим тем же, что сами едим."),
    ("uk", "Полонених передали на обмін, всі живі."),
    ("en", "We captured three Russians, gave them water and handed them over."),
    # evacuation of civilians
    ("ru", "Мирных вывозим автобусами в Запорожье, кто хочет ехать."),
    ("ru", "Эвакуация мирного населения по гуманитарному коридору в десять ноль-ноль."),
    ("ru", "бабушку из подвала вывели отвезли к волонтёрам"),
    ("ru", "Раненых гражданских вывезли в больницу."),
    ("uk", "Евакуювали цивільних з Бахмута."),
    # refusals, denials, hypotheticals
    ("ru", "Я в мирных стрелять не буду, хоть расстреливайте."),
    ("ru", "Ни в коем случае по жилым домам не работать."),
    ("ru", "Мы никогда не стреляли по мирным, это всё фейки."),
    ("ru", "нас обвиняют что мы грабим но мы ничего не брали"),
    ("ru", "Пленных у нас никто пальцем не тронул."),
    # captured military equipment (lawful booty)
    ("ru", "Трофейный танк пригнали с поля, на ходу."),
    ("ru", "затрофеили у укров птур и два автомата"),
    ("ru", "Забрали с их позиций БК и пулемёт."),
    ("uk", "Трофейна бмп вже у нас в батальйоні."),
    # «подвал» as a shelter or a store
    ("ru", "Сидим в подвале, обстрел не стихает."),
    ("ru", "в подвале переждём арту потом выходим"),
    ("ru", "Бабки в подвале живут, носим им еду."),
    ("ru", "На подвале у нас склад, тушёнка там."),
    ("uk", "Ховаємося в підвалі, бо обстріл."),
    # other words that look like indicators
    ("ru", "Фильтр на машину поменять надо."),
    ("ru", "Валить отсюда надо, нас засекли."),
    ("ru", "Два ящика патронов списали в расход."),
    ("ru", "Мирные на блокпосту проверены, пропустили."),
    ("ru", "Колонну с гуманитаркой пропустили, машины разгрузили в городе."),
    ("ru", "Гуманитарку раздали местным в очереди."),
    ("ru", "Мама, не переживай, кормят, одели, всё есть."),
    ("ru", "Шмон у пленных провели, ножи и гранаты изъяли."),
    ("ru", "Ставим миномёт в лесополосе, подальше от домов."),
]


# ---- probe: written after the first round of rule changes, measured once before any further change
# (an honest out-of-sample estimate for the first round; see docs/analysis.md)
PROBE_POSITIVE: list[tuple[str, str, str, str]] = [
    ("killing_hors_de_combat", "ru", "ну мы их построили у стенки и всё", "стенки"),
    ("killing_hors_de_combat", "ru", "Пленный пытался бежать, пришлось его убрать.", "убрать"),
    ("killing_hors_de_combat", "ru", "с поднятыми руками выходили а их косили из пулемета", "косили"),
    ("killing_hors_de_combat", "ru", "Того контуженого пленного пристрелили, чтоб не мучился.", "пристрелили"),
    ("killing_hors_de_combat", "uk", "Полонених нам не треба, валіть їх.", "валіть"),
    ("killing_hors_de_combat", "uk", "хлопці тих що здалися постріляли", "постріляли"),
    ("killing_hors_de_combat", "en", "Russian soldiers shot the surrendering Ukrainian troops at point-blank range.", "shot"),
    ("killing_hors_de_combat", "ru", "Обоих пленных обнулить и в посадку.", "обнулить"),
    ("attack_on_civilians", "ru", "там дед на огороде копается снимай его", "снимай"),
    ("attack_on_civilians", "ru", "По толпе у гуманитарки вжарь.", "толпе"),
    ("attack_on_civilians", "ru", "Всех, кто в машинах, валите без разбора.", "валите"),
    ("attack_on_civilians", "ru", "женщина с коляской бежит стреляй", "стреляй"),
    ("attack_on_civilians", "uk", "По мирних б'ють з танка прямою наводкою.", "мирних"),
    ("attack_on_civilians", "en", "He ordered them to open fire on the cars full of refugees.", "fire"),
    ("attack_on_civilians", "ru", "Мирных накрыли кассетами возле магазина.", "Мирных"),
    ("attack_on_civilians", "ru", "птичка скинула гранату на бабку с козой", "скинула"),
    ("attack_on_protected_objects", "ru", "По больнице три прилёта, всё как заказывали.", "больнице"),
    ("attack_on_protected_objects", "ru", "школу в каменке сровняли", "сровняли"),
    ("attack_on_protected_objects", "ru", "Долбите по жилухе.", "жилухе"),
    ("attack_on_protected_objects", "ru", "Церковь накрыли градом ещё утром.", "Церковь"),
    ("attack_on_protected_objects", "uk", "бомбили пологовий будинок", "пологовий"),
    ("attack_on_protected_objects", "en", "They fired rockets into apartment buildings.", "apartment"),
    ("attack_on_protected_objects", "ru", "По детсаду отработали, как приказано.", "детсаду"),
    ("attack_on_protected_objects", "ru", "дай по высоткам пару залпов", "высоткам"),
    ("torture_inhuman_treatment", "ru", "Пленному зубы плоскогубцами рвали.", "рвали"),
    ("torture_inhuman_treatment", "ru", "задержанного держали в наручниках сутки и пиздили", "пиздили"),
    ("torture_inhuman_treatment", "ru", "Ему ток подавали на уши.", "ток"),
    ("torture_inhuman_treatment", "ru", "Пленных заставляли ползать и лаять.", "ползать"),
    ("torture_inhuman_treatment", "uk", "Полоненому ламали пальці.", "ламали"),
    ("torture_inhuman_treatment", "en", "Detainees were subjected to mock executions and beatings.", "mock"),
    ("torture_inhuman_treatment", "ru", "языка подвесили на дыбу и всю ночь кололи", "подвесили"),
    ("torture_inhuman_treatment", "ru", "Мешок на голову, руки скотчем, и прикладом по рёбрам.", "прикладом"),
    ("sexual_violence", "ru", "С бабой этой по очереди развлекались.", "развлекались"),
    ("sexual_violence", "ru", "девчонку затащили в машину и изнасиловали", "изнасиловали"),
    ("sexual_violence", "ru", "Мы её по кругу пускали.", "кругу"),
    ("sexual_violence", "uk", "Солдати ґвалтували матір на очах у дитини.", "ґвалтували"),
    ("sexual_violence", "en", "Prosecutors say the soldier raped a woman after killing her husband.", "raped"),
    ("sexual_violence", "ru", "местную девку отымели", "отымели"),
    ("sexual_violence", "ru", "К хозяйке полезли ночью вдвоём, она кричала.", "полезли"),
    ("sexual_violence", "ru", "тут пацаны девок насилуют по подвалам", "насилуют"),
    ("pillage", "ru", "Вынесли с хаты всё, даже люстру.", "Вынесли"),
    ("pillage", "ru", "мародёрим потихоньку командир не против", "мародёрим"),
    ("pillage", "ru", "У бабки корову забрали, на мясо.", "забрали"),
    ("pillage", "ru", "По квартирам лазим, деньги ищем.", "квартирам"),
    ("pillage", "uk", "Забрали з магазину все, що було.", "Забрали"),
    ("pillage", "en", "They stole everything from the houses, even the toilets.", "stole"),
    ("pillage", "ru", "тачку у местного отжал на ней теперь гоняю", "отжал"),
    ("pillage", "ru", "С дач натаскали инструмент и генераторы.", "натаскали"),
    ("deportation_confinement", "ru", "Мужиков с села вывезли в Курск, на фильтр.", "вывезли"),
    ("deportation_confinement", "ru", "детей из интерната забрали в россию на усыновление", "усыновление"),
    ("deportation_confinement", "ru", "Местных держим в подвале комендатуры, человек тридцать.", "держим"),
    ("deportation_confinement", "ru", "Всех на фильтрацию, кто не пройдёт — в Оленовку.", "фильтрацию"),
    ("deportation_confinement", "uk", "людей тримали в спортзалі місяць", "тримали"),
    ("deportation_confinement", "en", "Civilians were forcibly deported to Russia.", "deported"),
    ("deportation_confinement", "ru", "Жителей силой погрузили в автобусы и вывезли в Ростов.", "погрузили"),
    ("deportation_confinement", "ru", "учительницу забрали на подвал за украинский язык", "подвал"),
    ("human_shields", "ru", "Технику поставили во дворах между жилыми домами.", "Технику"),
    ("human_shields", "ru", "пусть бабки у бэхи стоят хохлы не будут стрелять", "бабки"),
    ("human_shields", "ru", "Используем мирных как прикрытие.", "прикрытие"),
    ("human_shields", "ru", "Стреляем из-за спин гражданских.", "спин"),
    ("human_shields", "uk", "Ставлять гармати біля шкіл та лікарень.", "гармати"),
    ("human_shields", "en", "They hid their artillery among apartment blocks full of civilians.", "artillery"),
    ("human_shields", "ru", "Гоните пленных и местных перед собой по минному полю.", "перед"),
    ("human_shields", "ru", "в школе сидим с людьми по нам не работают", "людьми"),
    ("starvation", "ru", "Хлеб в Изюм не завозить до особого.", "Хлеб"),
    ("starvation", "ru", "гуманитарку сжечь нахрен", "гуманитарку"),
    ("starvation", "ru", "Воду и свет городу отрубить, пусть сидят.", "отрубить"),
    ("starvation", "uk", "Не пропускати продукти в місто.", "продукти"),
    ("starvation", "en", "The blockade was meant to starve the population.", "starve"),
    ("starvation", "ru", "пусть передохнут с голоду в своём мариуполе", "голоду"),
    ("starvation", "ru", "Гумконвой завернули, водителей отправили назад.", "завернули"),
    ("starvation", "ru", "Элеватор взорвать, чтоб им жрать нечего было.", "Элеватор"),
    ("concealment", "ru", "трупы в яму и засыпать быстро", "трупы"),
    ("concealment", "ru", "Тела вывезти и сжечь, чтоб никто не нашёл.", "сжечь"),
    ("concealment", "ru", "Машину с телами в реку.", "телами"),
    ("concealment", "ru", "Гильзы собрать, следы замести.", "следы"),
    ("concealment", "uk", "тіла закопали в лісосмузі", "закопали"),
    ("concealment", "en", "The soldiers dug a pit and buried the bodies.", "buried"),
    ("concealment", "ru", "Никто не должен знать, что было в подвале.", "знать"),
    ("concealment", "ru", "жмуров в воронку скинули и присыпали", "скинули"),
]

PROBE_ALSO: dict[str, frozenset[str]] = {
    "Мирных накрыли кассетами возле магазина.": frozenset({"attack_on_protected_objects"}),
    "Prosecutors say the soldier raped a woman after killing her husband.": frozenset({"attack_on_civilians"}),
    "Гоните пленных и местных перед собой по минному полю.": frozenset({"torture_inhuman_treatment"}),
    "в школе сидим с людьми по нам не работают": frozenset({"deportation_confinement"}),
    "Никто не должен знать, что было в подвале.": frozenset({"torture_inhuman_treatment"}),
    "учительницу забрали на подвал за украинский язык": frozenset({"torture_inhuman_treatment"}),
}

PROBE_NEGATIVE: list[tuple[str, str]] = [
    ("ru", "Накрыли их миномётный расчёт у фермы."),
    ("ru", "По их опорнику в школе работаем, там пулемёт."),
    ("ru", "Двое наших двухсотых, тела в морге."),
    ("ru", "Трёхсотых вывезли, один тяжёлый."),
    ("ru", "Пленного перевязали, везём в тыл."),
    ("ru", "Пленных обменяли, все живы."),
    ("ru", "Мирных вывезли по коридору в Запорожье."),
    ("ru", "Гуманитарку привезли в посёлок, раздали людям."),
    ("ru", "Бабушек из подвала эвакуировали волонтёры."),
    ("ru", "Я по гражданским работать не стану."),
    ("ru", "Нас обвиняют в мародёрстве, а мы ничего не трогали."),
    ("ru", "Трофейную бэху отремонтировали."),
    ("ru", "Затрофеили два миномёта и ящик гранат."),
    ("ru", "В подвале сидим, ждём, пока арта утихнет."),
    ("ru", "Наших пацанов похоронили у дороги."),
    ("ru", "Фильтр топливный забился."),
    ("ru", "Дрон сбросил гранату на их окоп."),
    ("ru", "Отработали по их технике в посадке."),
    ("ru", "Воды нет, еды нет, нам ничего не привозят."),
    ("ru", "Раненого пленного отправили в госпиталь."),
    ("ru", "Гражданским помогли, дали воды и хлеба."),
    ("ru", "Мирные живут в подвале школы, мы им носим еду."),
    ("ru", "Ставим танк в посадке, подальше от села."),
    ("ru", "Снайпер ихний сидит в больнице, отрабатываем по окну."),
    ("ru", "Колонну с гуманитаркой пропустили на блокпосту."),
    ("uk", "Полонених нагодували і передали на обмін."),
    ("en", "We evacuated the families before the shelling started."),
    ("en", "The enemy shelled our positions near the school."),
]


# ---- second probe: written after the second round, measured once before the third round
PROBE2_POSITIVE: list[tuple[str, str, str, str]] = [
    ("killing_hors_de_combat", "ru", "Двоих укропов взяли, командир говорит: не довезём, решай на месте.", "решай"),
    ("killing_hors_de_combat", "ru", "ихнего раненого оставили а потом вернулись и контрольный ему", "контрольный"),
    ("killing_hors_de_combat", "ru", "Пленные нам обуза, отработайте их за лесополосой.", "отработайте"),
    ("killing_hors_de_combat", "uk", "тих хто вийшов з білим прапором поклали всіх", "поклали"),
    ("killing_hors_de_combat", "en", "One of the men says they executed the Ukrainians who had laid down their weapons.", "executed"),
    ("killing_hors_de_combat", "ru", "Сдавшегося пацана грохнули прямо в окопе.", "грохнули"),
    ("killing_hors_de_combat", "ru", "Этого в расход, он всё равно уже не жилец, тяжёлый.", "расход"),
    ("attack_on_civilians", "ru", "По гражданским машинам на выезде из села работаем, приказ.", "гражданским"),
    ("attack_on_civilians", "ru", "там мужик на велике едет вальни его", "вальни"),
    ("attack_on_civilians", "ru", "Расстреляли семью прямо в машине, дети тоже были.", "Расстреляли"),
    ("attack_on_civilians", "uk", "Снайпер валить всіх, хто йде по воду.", "валить"),
    ("attack_on_civilians", "en", "They shot at civilians queuing for bread.", "shot"),
    ("attack_on_civilians", "ru", "Мирняк разбегается, добавь ещё пару мин по ним.", "ним"),
    ("attack_on_civilians", "ru", "стрелял по бабкам с пакетами ржал", "стрелял"),
    ("attack_on_protected_objects", "ru", "Три прилёта по школе, как и планировали.", "школе"),
    ("attack_on_protected_objects", "ru", "Ракеты легли в жилой квартал, как ты и хотел.", "квартал"),
    ("attack_on_protected_objects", "ru", "по роддому шарахнули ну и что", "роддому"),
    ("attack_on_protected_objects", "uk", "Накрили церкву під час служби.", "церкву"),
    ("attack_on_protected_objects", "en", "The battalion deliberately targeted a kindergarten and a hospital.", "targeted"),
    ("attack_on_protected_objects", "ru", "ебашим по пятиэтажкам пусть валят оттуда", "пятиэтажкам"),
    ("torture_inhuman_treatment", "ru", "Пленного всю ночь мордовали, к утру признался.", "мордовали"),
    ("torture_inhuman_treatment", "ru", "Ему пальцы молотком отбили.", "отбили"),
    ("torture_inhuman_treatment", "ru", "языка к батарее приковали и не кормили трое суток", "кормили"),
    ("torture_inhuman_treatment", "uk", "Полоненого били струмом, поки не підписав.", "струмом"),
    ("torture_inhuman_treatment", "en", "Witnesses say detainees were beaten and given electric shocks during interrogations.", "beaten"),
    ("torture_inhuman_treatment", "ru", "Задержанным пакеты на головы и на колени в снег.", "пакеты"),
    ("torture_inhuman_treatment", "ru", "пленного кастрировали и сняли на видео", "кастрировали"),
    ("sexual_violence", "ru", "Пацаны женщину в подвале держали и насиловали.", "насиловали"),
    ("sexual_violence", "ru", "хозяйку дома изнасиловали при детях", "изнасиловали"),
    ("sexual_violence", "uk", "Ґвалтували жінок у підвалі школи.", "Ґвалтували"),
    ("sexual_violence", "en", "She said two soldiers sexually assaulted her at gunpoint.", "sexually"),
    ("sexual_violence", "ru", "девок местных по кругу пустили", "кругу"),
    ("sexual_violence", "ru", "Снасильничали девчонку и ушли.", "Снасильничали"),
    ("pillage", "ru", "Мам, у меня теперь айфон и ноут, с хаты одной забрал.", "забрал"),
    ("pillage", "ru", "Магазин обнесли подчистую, даже кассу унесли.", "обнесли"),
    ("pillage", "ru", "трактор у фермера отжали продали на запчасти", "отжали"),
    ("pillage", "uk", "З квартир виносять техніку і золото.", "виносять"),
    ("pillage", "en", "Soldiers were filmed loading stolen washing machines onto trucks.", "stolen"),
    ("pillage", "ru", "Всё ценное с хат собрали и на камазах в Белгород.", "собрали"),
    ("deportation_confinement", "ru", "Всех мужчин от шестнадцати до шестидесяти в автобусы и на фильтрационный пункт.", "фильтрационный"),
    ("deportation_confinement", "ru", "детей из херсона вывозят в лагеря в крыму", "вывозят"),
    ("deportation_confinement", "ru", "Задержанных держим в гаражах до особого распоряжения.", "держим"),
    ("deportation_confinement", "uk", "Людей примусово вивезли до Росії.", "вивезли"),
    ("deportation_confinement", "en", "Thousands of Ukrainians were forcibly transferred to Russia after filtration.", "transferred"),
    ("deportation_confinement", "ru", "Местных в ПВР под Пензой отправили, назад не пускают.", "отправили"),
    ("human_shields", "ru", "Град поставили прямо во дворе многоэтажки.", "Град"),
    ("human_shields", "ru", "Мирных из подвала не выпускаем, пока мы тут стоим, по нам не ударят.", "выпускаем"),
    ("human_shields", "uk", "вони ставлять техніку між житловими будинками", "техніку"),
    ("human_shields", "en", "Russian troops used residents as human shields while retreating.", "shields"),
    ("human_shields", "ru", "Заложников посадили на броню, так и поехали.", "броню"),
    ("human_shields", "ru", "пусть местные идут первыми за ними мы", "первыми"),
    ("starvation", "ru", "Гуманитарку в Мариуполь не пускать, приказ.", "Гуманитарку"),
    ("starvation", "ru", "Запасы муки на складе сжечь перед отходом.", "муки"),
    ("starvation", "uk", "воду в місто не подавати", "воду"),
    ("starvation", "en", "Aid convoys were turned back at the checkpoint.", "turned"),
    ("starvation", "ru", "Пусть сидят без еды и воды, быстрее сдадутся.", "еды"),
    ("starvation", "ru", "Поля заминировали, урожай не соберут.", "заминировали"),
    ("concealment", "ru", "Жмуров в ров стащили и бульдозером засыпали.", "засыпали"),
    ("concealment", "ru", "тела вывезли ночью чтобы журналисты не нашли", "нашли"),
    ("concealment", "ru", "Всё сжечь вместе с трупами.", "трупами"),
    ("concealment", "uk", "Тіла скинули в колодязь.", "скинули"),
    ("concealment", "en", "They tried to hide the bodies by burning them.", "hide"),
    ("concealment", "ru", "Могилу сровняли, чтоб не нашли.", "Могилу"),
]

PROBE2_ALSO: dict[str, frozenset[str]] = {
    "Мирных из подвала не выпускаем, пока мы тут стоим, по нам не ударят.": frozenset({"deportation_confinement"}),
    "Пацаны женщину в подвале держали и насиловали.": frozenset({"deportation_confinement"}),
    "языка к батарее приковали и не кормили трое суток": frozenset({"deportation_confinement"}),
    "Расстреляли семью прямо в машине, дети тоже были.": frozenset(),
    "Ґвалтували жінок у підвалі школи.": frozenset({"deportation_confinement"}),
}

PROBE2_NEGATIVE: list[tuple[str, str]] = [
    ("ru", "Колонна противника на марше, три коробочки, накрываем."),
    ("ru", "Их ДРГ в посадке, отработай по ним."),
    ("ru", "Шлёпнули их наблюдателя на крыше элеватора."),
    ("ru", "Двоих наших зацепило, тяжёлые, везём в госпиталь."),
    ("ru", "Груз двести отправили домой, в Бурятию."),
    ("ru", "Пленного допросили и передали в комендатуру."),
    ("ru", "Пленных не бить, командир сказал: на обмен."),
    ("ru", "Накормили пленного, сигарету дали."),
    ("ru", "Мирных вывозим по зелёному коридору, кто хочет."),
    ("ru", "Гуманитарку раздаём у школы в десять."),
    ("ru", "Ночью в подвале прятались от обстрела, все целы."),
    ("ru", "Мы никого не расстреливали, это фейк."),
    ("ru", "Трофейный БТР забрали с поля, на ходу."),
    ("ru", "Затрофеили их миномёт и ящик мин."),
    ("ru", "Если бы мы стреляли по гражданским, никто бы не выжил."),
    ("ru", "Я не буду стрелять по мирным, хоть что делай."),
    ("ru", "Фильтрационную установку для воды привезли."),
    ("ru", "Валим отсюда, арта работает."),
    ("ru", "Укропы бьют по нашим позициям из района школы."),
    ("ru", "По нам прилетает, сидим в подвале больницы."),
    ("ru", "Забрали раненых из больницы и уехали."),
    ("ru", "Деду помогли дрова наколоть."),
    ("ru", "Вода кончилась, нам не подвозят."),
    ("ru", "Хлеба нет, сидим голодные третий день."),
    ("ru", "Взяли пленного, он ранен, перевязали."),
    ("uk", "Наших двохсотих забрали з поля."),
    ("en", "We engaged an enemy tank near the church."),
    ("en", "Prisoners were fed and given medical care."),
    ("ru", "Окопались возле фермы, ждём подвоза."),
    ("ru", "Командир роты приказал беречь гражданских."),
]


# ---- third probe: written after the third round, measured once before the fourth round
PROBE3_POSITIVE: list[tuple[str, str, str, str]] = [
    ("killing_hors_de_combat", "ru", "мам ну тут такое было пленных ихних короче всех положили никого не оставили", "положили"),
    ("killing_hors_de_combat", "ru", "Раненого хохла не повезли, прикончили на месте.", "прикончили"),
    ("killing_hors_de_combat", "uk", "ти шо полонених в розход і всьо", "розход"),
    ("killing_hors_de_combat", "en", "We were ordered to kill anyone who surrendered.", "kill"),
    ("killing_hors_de_combat", "ru", "Сдался, не сдался — один хрен всех валим.", "валим"),
    ("killing_hors_de_combat", "ru", "Пленного пустили в расход за то, что пытался бежать.", "расход"),
    ("attack_on_civilians", "ru", "Мирные по улице идут, жахни по ним из агса.", "жахни"),
    ("attack_on_civilians", "ru", "бабы с детьми в машине ехали ну мы и отработали", "отработали"),
    ("attack_on_civilians", "ru", "По гражданским бьют специально, чтобы боялись.", "гражданским"),
    ("attack_on_civilians", "uk", "Він розстріляв цивільного на велосипеді.", "розстріляв"),
    ("attack_on_civilians", "en", "The commander told them to fire on anyone on the street, soldier or civilian.", "fire"),
    ("attack_on_civilians", "ru", "Всех местных мужиков в селе перестреляли.", "перестреляли"),
    ("attack_on_protected_objects", "ru", "Кладём по больнице, пусть знают.", "больнице"),
    ("attack_on_protected_objects", "ru", "дай градом по центру города где жилые дома", "жилые"),
    ("attack_on_protected_objects", "ru", "Школу и садик снесли артой.", "снесли"),
    ("attack_on_protected_objects", "uk", "гатили по багатоповерхівках цілу ніч", "багатоповерхівках"),
    ("attack_on_protected_objects", "en", "Russian forces shelled a maternity hospital in Mariupol.", "shelled"),
    ("attack_on_protected_objects", "ru", "По храму отработали, купол снесло.", "храму"),
    ("torture_inhuman_treatment", "ru", "Пленного на допросе током пытали.", "пытали"),
    ("torture_inhuman_treatment", "ru", "задержанного месили ногами полчаса", "месили"),
    ("torture_inhuman_treatment", "uk", "Затриманому відрізали палець.", "відрізали"),
    ("torture_inhuman_treatment", "en", "Prisoners said they were beaten daily and forced to sing the Russian anthem.", "beaten"),
    ("torture_inhuman_treatment", "ru", "ему на голову пакет и в подвал там поговорят", "пакет"),
    ("torture_inhuman_treatment", "ru", "Пленных держали на морозе голыми всю ночь.", "голыми"),
    ("sexual_violence", "ru", "Она сказала, что её изнасиловал военный.", "изнасиловал"),
    ("sexual_violence", "ru", "пацаны с бабой местной поразвлекались силой", "поразвлекались"),
    ("sexual_violence", "uk", "Військові зґвалтували дівчину на блокпосту.", "зґвалтували"),
    ("sexual_violence", "en", "The woman was raped by two soldiers in front of her child.", "raped"),
    ("sexual_violence", "ru", "Её насиловали несколько дней.", "насиловали"),
    ("sexual_violence", "ru", "заставили её раздеться и снимали на телефон", "раздеться"),
    ("pillage", "ru", "Мародерили всю ночь по квартирам.", "Мародерили"),
    ("pillage", "ru", "У людей с машин снимали колёса и аккумуляторы.", "снимали"),
    ("pillage", "ru", "тащим всё что плохо лежит", "тащим"),
    ("pillage", "uk", "Забирали в людей телефони і гроші.", "Забирали"),
    ("pillage", "en", "They looted shops and homes before retreating.", "looted"),
    ("pillage", "ru", "Из дома напротив я тебе микроволновку взял.", "взял"),
    ("deportation_confinement", "ru", "Жителей из Мариуполя через фильтрацию в Россию.", "фильтрацию"),
    ("deportation_confinement", "ru", "Мужиков в подвал комендатуры, пусть посидят до проверки.", "подвал"),
    ("deportation_confinement", "ru", "детей увезли в россию родителей не спросили", "увезли"),
    ("deportation_confinement", "uk", "Людей силоміць вивозять у Росію.", "вивозять"),
    ("deportation_confinement", "en", "Civilians from the village were detained in a school basement for weeks.", "detained"),
    ("deportation_confinement", "ru", "Всех, кто против, на подвал.", "подвал"),
    ("human_shields", "ru", "Танки ставим в жилом секторе, там люди, по нам не будут.", "Танки"),
    ("human_shields", "ru", "Пленных впереди пустим, по минам.", "впереди"),
    ("human_shields", "ru", "Прикрываемся местными, у нас выбора нет.", "Прикрываемся"),
    ("human_shields", "uk", "Розмістили РСЗВ у дворі школи, де ховаються люди.", "РСЗВ"),
    ("human_shields", "en", "They set up firing positions inside a hospital full of patients.", "positions"),
    ("human_shields", "ru", "держим мирных в подвале под штабом чтоб не бомбили", "мирных"),
    ("starvation", "ru", "Хлеб в село не возить, пусть сами думают.", "Хлеб"),
    ("starvation", "ru", "Гуманитарку забираем себе, местным ничего.", "Гуманитарку"),
    ("starvation", "ru", "колодец отравили перед отходом", "отравили"),
    ("starvation", "uk", "Не пускати гуманітарні колони в місто.", "гуманітарні"),
    ("starvation", "en", "They cut off water and electricity to the city to force a surrender.", "cut"),
    ("starvation", "ru", "Пусть голодают, быстрее сдадутся.", "голодают"),
    ("concealment", "ru", "Тела бульдозером закатали.", "закатали"),
    ("concealment", "ru", "трупы в реку скинули ночью", "трупы"),
    ("concealment", "ru", "Записи с камер стереть, чтобы никто не видел, что тут было.", "стереть"),
    ("concealment", "uk", "Тіла спалили, щоб не знайшли.", "спалили"),
    ("concealment", "en", "The bodies were dumped in a ditch and covered with soil.", "dumped"),
    ("concealment", "ru", "Закопайте их за огородами, по-тихому.", "Закопайте"),
]

PROBE3_ALSO: dict[str, frozenset[str]] = {
    "ему на голову пакет и в подвал там поговорят": frozenset({"deportation_confinement"}),
    "держим мирных в подвале под штабом чтоб не бомбили": frozenset({"deportation_confinement"}),
    "Гуманитарку забираем себе, местным ничего.": frozenset({"pillage"}),
    "Пленных держали на морозе голыми всю ночь.": frozenset({"deportation_confinement"}),
    "Пленных впереди пустим, по минам.": frozenset({"torture_inhuman_treatment"}),
}

PROBE3_NEGATIVE: list[tuple[str, str]] = [
    ("ru", "Накрыли их АГС на опорнике."),
    ("ru", "Отработали по их пехоте в зелёнке, двое двухсотых у них."),
    ("ru", "У нас один двухсотый, тело вывезли."),
    ("ru", "Пленного отвезли в госпиталь, жить будет."),
    ("ru", "Пленным дали воды и сухпай."),
    ("uk", "Полонених передали СБУ."),
    ("ru", "Эвакуировали бабушек из подвала на автобусе."),
    ("ru", "Гуманитарку довезли до села, люди довольны."),
    ("ru", "Мы не стреляем по мирным, у нас приказ."),
    ("ru", "Трофейный танк отогнали в тыл."),
    ("ru", "Забрали у противника два миномёта."),
    ("ru", "Сидим в подвале с местными, прячемся от обстрела."),
    ("ru", "Окопы роем возле посадки."),
    ("ru", "Фильтры на броне забились пылью."),
    ("ru", "Батарея разрядилась, связи нет."),
    ("ru", "Нас кормят плохо, воды мало."),
    ("ru", "Разведка доложила: в школе их штаб, работаем по школе."),
    ("ru", "Своих двухсотых похоронили по-человечески."),
    ("ru", "Мирных не трогаем, пропускаем через блокпост."),
    ("ru", "Пленного допросили, он всё рассказал сам."),
    ("ru", "Дрон сбросил на их блиндаж две гранаты."),
    ("ru", "Валить надо отсюда, пока не накрыли."),
    ("en", "We hit an enemy ammunition depot."),
    ("en", "The prisoners were exchanged yesterday."),
    ("ru", "Мама, не переживай, я в тылу, тут тихо."),
]


@dataclass
class CategoryScore:
    tp: int = 0  # flags of the category on a positive of that category (or its ALSO)
    fp: int = 0  # flags of the category anywhere else (other positives, hard negatives)
    found: int = 0  # positives of the category caught with the given word covered
    total: int = 0
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 1.0


def categories() -> list[str]:
    return sorted({c for c, _, _, _ in POSITIVE})


SETS: dict[str, tuple[list[tuple[str, str, str, str]], list[tuple[str, str]], dict[str, frozenset[str]]]] = {
    "main": (POSITIVE, NEGATIVE, ALSO),
    "probe": (PROBE_POSITIVE, PROBE_NEGATIVE, PROBE_ALSO),
    "probe2": (PROBE2_POSITIVE, PROBE2_NEGATIVE, PROBE2_ALSO),
    "probe3": (PROBE3_POSITIVE, PROBE3_NEGATIVE, PROBE3_ALSO),
}


def score(flags_of: Callable[[str, str], Iterable[Any]], which: str = "main") -> dict[str, CategoryScore]:
    """Precision and recall per category (and ``all``) on one of ``SETS``; ``flags_of(text, language)``
    gives the flags."""
    positive, negative, also = SETS[which]
    result = {c: CategoryScore() for c in categories()}
    for category, language, text, word in positive:
        flags = list(flags_of(text, language))
        allowed = {category} | also.get(text, frozenset())
        result[category].total += 1
        if any(f.category == category and word in f.quote for f in flags):
            result[category].found += 1
        else:
            result[category].missed.append(text)
        for flag in flags:
            counts = result.setdefault(flag.category, CategoryScore())
            if flag.category in allowed:
                counts.tp += 1
            else:
                counts.fp += 1
                counts.false.append(text)
    for language, text in negative:
        for flag in flags_of(text, language):
            counts = result.setdefault(flag.category, CategoryScore())
            counts.fp += 1
            counts.false.append(text)
    overall = CategoryScore()
    for counts in result.values():
        overall.tp += counts.tp
        overall.fp += counts.fp
        overall.found += counts.found
        overall.total += counts.total
    result["all"] = overall
    return result
