"""Regions as people name them: the list's labels in each language and alphabet, and a reader for
what they type, full or short, in Kazakh, Russian or English ("Туркестанская область",
"Туркестанская обл.", "Turkestan region", "Астана қаласы", "Шымкент қ.").

"Алматы" alone is both a city and a region: the reader says so (AMBIGUOUS) and the dialog asks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from dialogs.text import Text, msg

AMBIGUOUS = "?"  # what `read_region` returns for "Almaty" without "city" or "region"

REGION_NAMES: dict[str, Text] = {
    "astana": msg("Astana"),
    "almaty": msg("Almaty city"),
    "shymkent": msg("Shymkent"),
    "abai": msg("Abai"),
    "akmola": msg("Akmola"),
    "aktobe": msg("Aktobe"),
    "almaty_region": msg("Almaty region"),
    "atyrau": msg("Atyrau"),
    "east_kazakhstan": msg("East Kazakhstan"),
    "jetisu": msg("Jetisu"),
    "karaganda": msg("Karaganda"),
    "kostanay": msg("Kostanay"),
    "kyzylorda": msg("Kyzylorda"),
    "mangystau": msg("Mangystau"),
    "north_kazakhstan": msg("North Kazakhstan"),
    "pavlodar": msg("Pavlodar"),
    "turkistan": msg("Turkistan"),
    "ulytau": msg("Ulytau"),
    "west_kazakhstan": msg("West Kazakhstan"),
    "zhambyl": msg("Zhambyl"),
}

# Names people type, in any of the three languages, to the region's code (staff's caseload
# import reads region cells with it too). The Kazakh and Russian adjectives and the regional
# centres are here; "область", "облысы", "region", "қаласы", "г." and the like are taken off
# first (see `read_region`).
REGION_WORDS: dict[str, str] = {
    "астана": "astana", "astana": "astana", "нур-султан": "astana", "нұр-сұлтан": "astana",
    "nur-sultan": "astana", "акмола қаласы": "astana",
    "алматы": "almaty", "almaty": "almaty", "алма-ата": "almaty", "alma-ata": "almaty",
    "шымкент": "shymkent", "shymkent": "shymkent", "chimkent": "shymkent",
    "абай": "abai", "abai": "abai", "abay": "abai", "абайская": "abai", "семей": "abai",
    "semey": "abai",
    "ақмола": "akmola", "акмола": "akmola", "akmola": "akmola", "aqmola": "akmola",
    "акмолинская": "akmola", "көкшетау": "akmola", "кокшетау": "akmola", "kokshetau": "akmola",
    "ақтөбе": "aktobe", "актобе": "aktobe", "aktobe": "aktobe", "aqtobe": "aktobe",
    "актюбинская": "aktobe", "актюбинск": "aktobe",
    "алматы облысы": "almaty_region", "алматинская": "almaty_region", "қонаев": "almaty_region",
    "конаев": "almaty_region",
    "konaev": "almaty_region",
    "атырау": "atyrau", "atyrau": "atyrau", "атырауская": "atyrau",
    "шығыс қазақстан": "east_kazakhstan", "шыгыс казакстан": "east_kazakhstan",
    "восточно-казахстанская": "east_kazakhstan", "восточный казахстан": "east_kazakhstan",
    "east kazakhstan": "east_kazakhstan", "вко": "east_kazakhstan", "өскемен": "east_kazakhstan",
    "оскемен": "east_kazakhstan", "усть-каменогорск": "east_kazakhstan",
    "oskemen": "east_kazakhstan",
    "жетісу": "jetisu", "жетысу": "jetisu", "jetisu": "jetisu", "zhetysu": "jetisu",
    "талдықорған": "jetisu", "талдыкорган": "jetisu", "taldykorgan": "jetisu",
    "қарағанды": "karaganda", "караганды": "karaganda", "караганда": "karaganda",
    "карагандинская": "karaganda", "karaganda": "karaganda", "karagandy": "karaganda",
    "qaragandy": "karaganda",
    "қостанай": "kostanay", "костанай": "kostanay", "костанайская": "kostanay",
    "kostanay": "kostanay", "qostanay": "kostanay",
    "қызылорда": "kyzylorda", "кызылорда": "kyzylorda", "кызылординская": "kyzylorda",
    "kyzylorda": "kyzylorda", "qyzylorda": "kyzylorda",
    "маңғыстау": "mangystau", "мангыстау": "mangystau", "мангистау": "mangystau",
    "мангистауская": "mangystau", "mangystau": "mangystau", "mangistau": "mangystau",
    "ақтау": "mangystau", "актау": "mangystau", "aktau": "mangystau",
    "солтүстік қазақстан": "north_kazakhstan", "солтустик казакстан": "north_kazakhstan",
    "северо-казахстанская": "north_kazakhstan", "северный казахстан": "north_kazakhstan",
    "north kazakhstan": "north_kazakhstan", "ско": "north_kazakhstan",
    "петропавл": "north_kazakhstan", "петропавловск": "north_kazakhstan",
    "petropavl": "north_kazakhstan",
    "павлодар": "pavlodar", "pavlodar": "pavlodar", "павлодарская": "pavlodar",
    "южно-казахстанская": "turkistan", "юко": "turkistan", "оңтүстік қазақстан": "turkistan",
    "түркістан": "turkistan", "туркистан": "turkistan", "туркестан": "turkistan",
    "туркестанская": "turkistan", "turkistan": "turkistan", "turkestan": "turkistan",
    "ұлытау": "ulytau", "улытау": "ulytau", "ulytau": "ulytau", "улытауская": "ulytau",
    "жезқазған": "ulytau", "жезказган": "ulytau", "zhezkazgan": "ulytau",
    "батыс қазақстан": "west_kazakhstan", "батыс казакстан": "west_kazakhstan",
    "западно-казахстанская": "west_kazakhstan", "западный казахстан": "west_kazakhstan",
    "west kazakhstan": "west_kazakhstan", "зко": "west_kazakhstan", "орал": "west_kazakhstan",
    "уральск": "west_kazakhstan", "oral": "west_kazakhstan", "uralsk": "west_kazakhstan",
    "жамбыл": "zhambyl", "zhambyl": "zhambyl", "jambyl": "zhambyl", "жамбылская": "zhambyl",
    "тараз": "zhambyl", "taraz": "zhambyl",
}  # fmt: skip

# Words around a name that say "region" or "city", full and short, in the three languages.
_REGION_MARKS = frozenset({"область", "обл", "облысы", "обл-сы", "region", "oblast", "province"})
_CITY_MARKS = frozenset({"город", "г", "гор", "қаласы", "қала", "қ", "каласы", "city"})


def _words(text: str) -> list[str]:
    lowered = text.lower().replace("ё", "е")
    return re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", lowered)


def read_region(text: str) -> str | None:
    """The region's code, AMBIGUOUS for Almaty without "city" or "region", None if unknown."""
    words = _words(text[:200])
    region = any(w in _REGION_MARKS for w in words)
    city = any(w in _CITY_MARKS for w in words)
    name = " ".join(w for w in words if w not in _REGION_MARKS and w not in _CITY_MARKS)
    code = REGION_WORDS.get(name)
    if code == "almaty":
        if region and not city:
            return "almaty_region"
        if not city and name in ("алматы", "almaty"):
            return AMBIGUOUS
    return code


# The order of the letters in each language; anything else sorts after them, spaces first.
ALPHABETS = {
    "kk": "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "en": "abcdefghijklmnopqrstuvwxyz",
}


_ORDER = {
    language: {letter: i for i, letter in enumerate(letters)}
    for language, letters in ALPHABETS.items()
}


def collation_key(text: str, language: str) -> tuple[int, ...]:
    order = _ORDER.get(language, _ORDER["en"])
    return tuple(
        -1 if not c.isalnum() else order.get(c, 1000 + ord(c)) for c in text.lower().strip()
    )


def sorted_regions(
    codes: Iterable[str], language: str, label_of: Callable[[Text, str], str]
) -> list[str]:
    """Region codes in the order of their names in the person's own alphabet."""
    return sorted(codes, key=lambda c: collation_key(label_of(REGION_NAMES[c], language), language))
