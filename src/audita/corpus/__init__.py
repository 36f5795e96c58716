"""Simulated intercept corpus: scripted dialogs, festival speech, radio/phone channels, ground truth."""

from audita.corpus.dialogs import CATEGORIES, Dialog, DialogError, load_dialogs
from audita.corpus.generate import DEFAULT_SEED, GenerateOptions, Progress, generate_corpus
from audita.corpus.truth import CorpusIndex, IndexEntry, ItemTruth, load_index, load_item

__all__ = [
    "CATEGORIES",
    "DEFAULT_SEED",
    "CorpusIndex",
    "Dialog",
    "DialogError",
    "GenerateOptions",
    "IndexEntry",
    "ItemTruth",
    "Progress",
    "generate_corpus",
    "load_dialogs",
    "load_index",
    "load_item",
]
