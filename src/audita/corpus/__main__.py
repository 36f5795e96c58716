"""`python -m audita.corpus generate ...` (works before the command is registered in the main CLI)."""

from audita.corpus.cli import corpus_group

if __name__ == "__main__":
    corpus_group()
