"""Text utilities shared by analysis and search: tokens with offsets, lemmas, language."""

from audita.text.lemmas import Token, lemmatize, normal_forms, tokenize
from audita.text.language import detect_language

__all__ = ["Token", "detect_language", "lemmatize", "normal_forms", "tokenize"]
