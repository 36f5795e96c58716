"""`audita corpus ...` commands (registered in the main CLI by the lead)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from audita.corpus.channels import CHANNELS
from audita.corpus.generate import DEFAULT_SEED, GenerateOptions, generate_corpus
from audita.corpus.generate import Progress as GenerateProgress


@click.group("corpus")
def corpus_group() -> None:
    """Simulated intercept corpus with ground truth (for tests and benchmarks)."""


@corpus_group.command("generate")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int)
@click.option("--split", default="dev", show_default=True, type=click.Choice(["dev", "heldout", "all"]))
@click.option("--long/--no-long", "long_", default=True, show_default=True, help="Add a >= 3 minute radio log.")
@click.option("--channel", "channels", multiple=True, type=click.Choice(list(CHANNELS)),
              help="Channels to render (repeatable; default: all).")
@click.option("--storage", default="compressed", show_default=True, type=click.Choice(["compressed", "wav"]),
              help="compressed: opus (clean) / mp3 (radio, phone); wav: 16-bit PCM.")
@click.option("--dialog", "dialog_ids", multiple=True, help="Only these dialog ids (repeatable).")
def generate_command(out: Path, seed: int, split: str, long_: bool, channels: tuple[str, ...], storage: str,
                     dialog_ids: tuple[str, ...]) -> None:
    """Render the packaged dialog scripts into audio + ground truth + index.json."""
    console = Console(stderr=True)
    options = GenerateOptions(seed=seed, split=split, channels=channels or CHANNELS, long=long_,
                              storage=storage, dialog_ids=dialog_ids)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("generating", total=None)

        def on_progress(p: GenerateProgress) -> None:
            bar.update(task, completed=p.done, total=p.total, description=p.item_id)

        index = generate_corpus(out, options, on_progress)
    seconds = sum(e.duration for e in index.items)
    size = sum((out / e.audio).stat().st_size for e in index.items)
    click.echo(f"{len(index.items)} items, {seconds / 60:.1f} min of audio, {size / 1e6:.2f} MB -> {out / 'index.json'}")
