"""Language of a text: ru, uk, en or other (lingua, restricted to the languages that matter here)."""

from __future__ import annotations

from functools import lru_cache

_UKRAINIAN_ONLY = set("іїєґ")
_RUSSIAN_ONLY = set("ыэъё")


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.RUSSIAN, Language.UKRAINIAN, Language.ENGLISH, Language.BELARUSIAN, Language.BULGARIAN
    ).build()


def detect_language(text: str) -> str:
    """"ru", "uk", "en" or "other"; "other" for text with no letters."""
    letters = [c for c in text.lower() if c.isalpha()]
    if not letters:
        return "other"
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    if cyrillic < len(letters) / 2:
        latin = sum(c.isascii() for c in letters)
        return "en" if latin >= len(letters) / 2 else "other"
    chars = set(letters)
    if chars & _UKRAINIAN_ONLY and not chars & _RUSSIAN_ONLY:
        return "uk"
    if chars & _RUSSIAN_ONLY and not chars & _UKRAINIAN_ONLY:
        return "ru"
    from lingua import Language

    found = _detector().detect_language_of(text)
    return {Language.RUSSIAN: "ru", Language.UKRAINIAN: "uk", Language.ENGLISH: "en"}.get(found, "other")
