"""The bundled sample case's order (samples/popasna-demo), as spoken and as whisper-base heard it:
the brief's own example («make them go forever, so no one ever sees them again») must be flagged."""

from __future__ import annotations

import pytest

from audita.analysis.pipeline import AnalysisOptions, analyze_text

RULES_ONLY = AnalysisOptions(embeddings=False)


def _flags(text: str, language: str = "ru") -> set[tuple[str, str]]:
    return {(f.category, f.quote) for f in analyze_text(text, language, RULES_ONLY).flags}


@pytest.mark.parametrize("text, language, quote", [
    ("Пленных не брать. Отправить их навсегда, чтобы никто их больше не видел.", "ru", "Отправить их навсегда"),
    ("Ленных не брать, отправить их навсегда, чтобы никто их больше не видел.", "ru", "отправить их навсегда"),
    ("Відправити їх назавжди, щоб ніхто їх більше не бачив.", "uk", "Відправити їх назавжди"),
])
def test_send_them_forever_is_killing_and_concealment(text: str, language: str, quote: str) -> None:
    flags = _flags(text, language)
    assert ("killing_hors_de_combat", quote) in flags
    assert any(category == "concealment" and ("никто" in q or "ніхто" in q) for category, q in flags)


def test_sending_home_forever_is_not_flagged() -> None:
    assert _flags("Контракт закончился, отправить их навсегда домой.") == set()
