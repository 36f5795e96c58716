"""Render dialog scripts into a labelled simulated-intercept corpus (audio + ground truth + index)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from audita.corpus.audio import decode_any, encode, synthesize
from audita.corpus.channels import CHANNELS, Rendered, render_clean, render_phone, render_radio
from audita.corpus.dialogs import RENDERED_SPLITS, Dialog, load_dialogs
from audita.corpus.truth import (
    CorpusIndex,
    DuplicateLink,
    IndexEntry,
    ItemTruth,
    TruthIndicator,
    TruthPlace,
    TruthTransmission,
    write_json,
)
from audita.corpus.voices import voice_for

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20260301
LONG_MIN_SECONDS = 185.0
COMPRESSED = {"clean": "opus", "radio": "mp3", "phone": "mp3"}


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = DEFAULT_SEED
    split: str = "dev"  # "dev" | "heldout" | "all" (heldout2 is text-only: never rendered)
    channels: tuple[str, ...] = CHANNELS
    long: bool = True
    near_duplicates: bool = True
    storage: str = "compressed"  # "compressed" (opus/mp3) or "wav"
    dialog_ids: tuple[str, ...] = ()  # restrict to these dialogs (empty: all of the split)
    dialogs_dir: Path | None = None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    item_id: str


ProgressCallback = Callable[[Progress], None]

_Utterances = dict[tuple[str, str], np.ndarray]


def _rng(seed: int, key: str) -> np.random.Generator:
    """Independent stream per item: results do not depend on which other items are generated."""
    salt = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return np.random.default_rng([seed, salt])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _speech(dialog: Dialog, cache: _Utterances) -> list[np.ndarray]:
    out = []
    for t in dialog.transmissions:
        speaker = dialog.speaker(t.speaker)
        key = (speaker.speaker_id, t.text)
        if key not in cache:
            v = voice_for(speaker.speaker_id, speaker.sex)
            cache[key] = synthesize(t.text, pitch_cents=v.pitch_cents, tempo=v.tempo, tilt_db=v.tilt_db)
        out.append(cache[key])
    return out


def _gaps(channel: str, count: int, rng: np.random.Generator) -> list[float]:
    low, high = {"clean": (0.4, 0.9), "radio": (0.6, 1.4), "phone": (0.25, 0.8)}[channel]
    return [float(rng.uniform(low, high)) for _ in range(max(0, count - 1))]


def _render(channel: str, utterances: list[np.ndarray], gaps: list[float], rng: np.random.Generator,
            speakers: list[str]) -> Rendered:
    lead_in = float(rng.uniform(1.2, 2.0))
    tail = float(rng.uniform(0.8, 1.5))
    if channel == "clean":
        return render_clean(utterances, gaps, rng, lead_in=lead_in, tail=tail)
    if channel == "radio":
        return render_radio(utterances, gaps, rng, lead_in=lead_in, tail=tail)
    first = speakers[0] if speakers else ""
    levels = {s: (1.0 if s == first else float(rng.uniform(0.55, 0.85))) for s in dict.fromkeys(speakers)}
    return render_phone(utterances, gaps, rng, lead_in=lead_in, tail=tail, levels=[levels[s] for s in speakers])


def _transmissions(dialogs: list[Dialog], spans: tuple[tuple[float, float], ...]) -> tuple[TruthTransmission, ...]:
    out: list[TruthTransmission] = []
    pairs = [(d, t) for d in dialogs for t in d.transmissions]
    for index, ((dialog, t), (start, end)) in enumerate(zip(pairs, spans)):
        speaker = dialog.speaker(t.speaker)
        length = len(t.text)

        def at(char: int, s: float = start, e: float = end, n: int = length) -> float:
            return round(s + (e - s) * char / n, 3)

        out.append(TruthTransmission(
            index=index,
            dialog_id=dialog.dialog_id,
            speaker=t.speaker,
            speaker_id=speaker.speaker_id,
            voice=asdict(voice_for(speaker.speaker_id, speaker.sex)),
            start=round(start, 3),
            end=round(end, 3),
            text=t.text,
            indicators=tuple(TruthIndicator(i.category, i.quote, i.char_start, i.char_end, at(i.char_start), at(i.char_end))
                             for i in t.indicators),
            places=tuple(TruthPlace(p.name, p.canonical, p.lat, p.lon, p.char_start, p.char_end) for p in t.places),
        ))
    return tuple(out)


class _Writer:
    """Stores audio + truth files and collects index entries."""

    def __init__(self, out: Path, options: GenerateOptions) -> None:
        self.out = out
        self.options = options
        self.entries: list[IndexEntry] = []
        (out / "audio").mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(parents=True, exist_ok=True)

    def store(self, truth: ItemTruth, samples: np.ndarray, codec: str) -> ItemTruth:
        if self.options.storage == "wav" and truth.kind != "near_duplicate":
            codec = "wav"
        audio = encode(samples, truth.sample_rate, self.out / "audio" / truth.item_id, codec)
        truth = replace(truth, audio=f"audio/{audio.name}", storage=codec)
        truth_rel = f"truth/{truth.item_id}.json"
        write_json(self.out / truth_rel, truth.to_dict())
        link = truth.near_duplicate_of
        self.entries.append(IndexEntry(
            item_id=truth.item_id, kind=truth.kind, split=truth.split, channel=truth.channel,
            audio=truth.audio, truth=truth_rel, duration=truth.duration, sample_rate=truth.sample_rate,
            audio_sha256=_sha256(audio), source_item=link.source_item if link else None,
        ))
        return truth


def _dialog_item(dialog: Dialog, channel: str, speech: list[np.ndarray], seed: int) -> tuple[ItemTruth, np.ndarray]:
    item_id = f"{dialog.dialog_id}-{channel}"
    rng = _rng(seed, item_id)
    speakers = [t.speaker for t in dialog.transmissions]
    rendered = _render(channel, speech, _gaps(channel, len(speech), rng), rng, speakers)
    truth = ItemTruth(
        item_id=item_id, kind="dialog", split=dialog.split, channel=channel, dialog_ids=(dialog.dialog_id,),
        audio="", storage="", sample_rate=rendered.sample_rate,
        duration=round(len(rendered.samples) / rendered.sample_rate, 3), seed=seed,
        channel_params={**rendered.params, "native_channel": dialog.channel},
        transmissions=_transmissions([dialog], rendered.spans),
    )
    return truth, rendered.samples


def _long_item(dialogs: list[Dialog], split: str, speech: dict[str, list[np.ndarray]], seed: int) -> tuple[ItemTruth, np.ndarray]:
    """A >= 3 minute radio channel log: several exchanges separated by long closed-squelch gaps."""
    item_id = f"long-{split}-radio"
    rng = _rng(seed, item_id)
    chosen = [d for d in dialogs if d.channel == "radio"][:6] or dialogs[:6]
    utterances: list[np.ndarray] = []
    gaps: list[float] = []
    for n, dialog in enumerate(chosen):
        inner = _gaps("radio", len(dialog.transmissions), rng)
        if n:
            gaps.append(float(rng.uniform(15.0, 35.0)))
        utterances.extend(speech[dialog.dialog_id])
        gaps.extend(inner)
    speech_seconds = sum(len(u) for u in utterances) / 16000 + sum(gaps)
    tail = max(float(rng.uniform(5.0, 10.0)), LONG_MIN_SECONDS - speech_seconds - 2.0)
    rendered = render_radio(utterances, gaps, rng, lead_in=2.0, tail=tail)
    truth = ItemTruth(
        item_id=item_id, kind="long", split=split, channel="radio",
        dialog_ids=tuple(d.dialog_id for d in chosen), audio="", storage="", sample_rate=rendered.sample_rate,
        duration=round(len(rendered.samples) / rendered.sample_rate, 3), seed=seed,
        channel_params=rendered.params, transmissions=_transmissions(chosen, rendered.spans),
    )
    return truth, rendered.samples


def _window(source: ItemTruth, offset: float, duration: float) -> tuple[TruthTransmission, ...]:
    """Source transmissions seen through a copy window [offset, offset + duration], in copy time."""
    out = []
    for t in source.transmissions:
        if t.end <= offset or t.start >= offset + duration:
            continue
        start, end = max(t.start, offset), min(t.end, offset + duration)

        def shift(x: float) -> float:
            return round(min(max(x - offset, 0.0), duration), 3)

        out.append(replace(
            t, index=len(out), start=shift(start), end=shift(end),
            truncated=start > t.start or end < t.end,
            indicators=tuple(replace(i, start=shift(i.start), end=shift(i.end)) for i in t.indicators),
        ))
    return tuple(out)


def _copy(out: Path, source: ItemTruth, item_id: str, transform: str, offset: float,
          duration: float | None, codec: str) -> tuple[ItemTruth, np.ndarray]:
    rate = source.sample_rate
    samples = decode_any(out / source.audio, rate)[: int(round(source.duration * rate))]
    start = int(round(offset * rate))
    stop = len(samples) if duration is None else start + int(round(duration * rate))
    clip = samples[start:stop]
    length = round(len(clip) / rate, 3)
    truth = ItemTruth(
        item_id=item_id, kind="near_duplicate", split=source.split, channel=source.channel,
        dialog_ids=source.dialog_ids, audio="", storage="", sample_rate=rate, duration=length, seed=source.seed,
        channel_params={**source.channel_params, "copy_codec": codec},
        transmissions=_window(source, offset, length),
        near_duplicate_of=DuplicateLink(source.item_id, transform, round(offset, 3), length),
    )
    return truth, clip


def _gap_start(source: ItemTruth, near: float) -> float:
    """The middle of the first inter-transmission gap that starts after `near` seconds (0.0 if none)."""
    for a, b in zip(source.transmissions, source.transmissions[1:]):
        if a.end >= near:
            return round((a.end + b.start) / 2, 3)
    return 0.0


@dataclass(frozen=True)
class _DupPlan:
    source: ItemTruth
    item_id: str
    transform: str
    offset: float
    duration: float | None
    codec: str


def _plan_duplicates(items: list[ItemTruth], split: str, rng: np.random.Generator) -> list[_DupPlan]:
    dialog_items = [i for i in items if i.kind == "dialog" and i.duration >= 10.0]
    by_channel = {c: [i for i in dialog_items if i.channel == c] for c in CHANNELS}
    plans: list[_DupPlan] = []
    if by_channel["clean"]:
        plans.append(_DupPlan(by_channel["clean"][0], f"dup-{split}-reencode-mp3", "reencode:mp3-8kbps", 0.0, None, "mp3-low"))
    if by_channel["radio"]:
        plans.append(_DupPlan(by_channel["radio"][-1], f"dup-{split}-reencode-ogg", "reencode:vorbis-q-1", 0.0, None, "vorbis-low"))
    phone_or_any = by_channel["phone"] or dialog_items
    if phone_or_any:
        trim = round(float(rng.uniform(0.9, 1.2)), 3)
        plans.append(_DupPlan(phone_or_any[0], f"dup-{split}-trim", "trim-start", trim, None, "mp3"))
    long_items = [i for i in items if i.kind == "long"]
    if long_items:
        source = long_items[0]
        offset = _gap_start(source, float(rng.uniform(40.0, 80.0)))
        end = _gap_start(source, offset + 40.0) or offset + 45.0
        plans.append(_DupPlan(source, f"dup-{split}-excerpt", "excerpt", offset, round(end - offset, 3), "mp3"))
    return plans


def generate_corpus(out: Path, options: GenerateOptions = GenerateOptions(),
                    on_progress: ProgressCallback | None = None) -> CorpusIndex:
    """Generate the corpus into `out` (audio/, truth/, index.json) and return its index."""
    out = Path(out)
    unknown = set(options.channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels: {sorted(unknown)}")
    if options.split not in (*RENDERED_SPLITS, "all"):
        raise ValueError(f"split {options.split!r} is not rendered to audio (text-only evaluation split)")
    dialogs = [d for d in load_dialogs(options.split, options.dialogs_dir) if d.split in RENDERED_SPLITS]
    if options.dialog_ids:
        dialogs = [d for d in dialogs if d.dialog_id in options.dialog_ids]
    if not dialogs:
        raise ValueError("no dialogs selected")
    splits = [s for s in RENDERED_SPLITS if any(d.split == s for d in dialogs)]
    total = len(dialogs) * len(options.channels)
    if options.long:
        total += len(splits)
    if options.near_duplicates:
        total += len(splits) * (4 if options.long else 3)
    done = 0
    writer = _Writer(out, options)
    cache: _Utterances = {}
    speech: dict[str, list[np.ndarray]] = {}

    def tick(item_id: str) -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(Progress(done, total, item_id))

    for split in splits:
        stored: list[ItemTruth] = []
        for dialog in (d for d in dialogs if d.split == split):
            speech[dialog.dialog_id] = _speech(dialog, cache)
            for channel in options.channels:
                truth, samples = _dialog_item(dialog, channel, speech[dialog.dialog_id], options.seed)
                stored.append(writer.store(truth, samples, COMPRESSED[channel]))
                tick(truth.item_id)
        if options.long:
            truth, samples = _long_item([d for d in dialogs if d.split == split], split, speech, options.seed)
            stored.append(writer.store(truth, samples, COMPRESSED["radio"]))
            tick(truth.item_id)
        if options.near_duplicates:
            plans = _plan_duplicates(stored, split, _rng(options.seed, f"dups-{split}"))
            total += len(plans) - (4 if options.long else 3)
            for plan in plans:
                truth, samples = _copy(out, plan.source, plan.item_id, plan.transform, plan.offset,
                                       plan.duration, plan.codec)
                writer.store(truth, samples, plan.codec)
                tick(plan.item_id)
    command = f"python -m audita.corpus generate --out {out} --seed {options.seed} --split {options.split}"
    if not options.long:
        command += " --no-long"
    if options.storage != "compressed":
        command += f" --storage {options.storage}"
    index = CorpusIndex(
        seed=options.seed, split=options.split, channels=tuple(options.channels), storage=options.storage,
        generator_version=GENERATOR_VERSION, command=command, items=tuple(writer.entries),
    )
    write_json(out / "index.json", index.to_dict())
    return index
