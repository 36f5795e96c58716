"""Ground-truth records for generated items and the corpus index (JSON on disk)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ITEM_SCHEMA = "audita.corpus.item/1"
INDEX_SCHEMA = "audita.corpus.index/1"


@dataclass(frozen=True)
class TruthIndicator:
    category: str
    quote: str
    char_start: int
    char_end: int
    start: float  # seconds in the item; proportional to character position (see docs/corpus.md)
    end: float


@dataclass(frozen=True)
class TruthPlace:
    name: str
    canonical: str
    lat: float
    lon: float
    char_start: int
    char_end: int


@dataclass(frozen=True)
class TruthTransmission:
    index: int
    dialog_id: str
    speaker: str
    speaker_id: str
    voice: dict[str, float]
    start: float
    end: float
    text: str
    indicators: tuple[TruthIndicator, ...] = ()
    places: tuple[TruthPlace, ...] = ()
    truncated: bool = False


@dataclass(frozen=True)
class DuplicateLink:
    source_item: str
    transform: str
    offset: float  # copy time t corresponds to source time t + offset
    duration: float


@dataclass(frozen=True)
class ItemTruth:
    item_id: str
    kind: str  # "dialog" | "long" | "near_duplicate"
    split: str
    channel: str  # "clean" | "radio" | "phone"
    dialog_ids: tuple[str, ...]
    audio: str  # file name relative to the corpus folder
    storage: str  # storage codec key
    sample_rate: int
    duration: float
    seed: int
    channel_params: dict[str, Any]
    transmissions: tuple[TruthTransmission, ...]
    near_duplicate_of: DuplicateLink | None = None
    schema: str = ITEM_SCHEMA

    @property
    def dialog_id(self) -> str | None:
        return self.dialog_ids[0] if len(self.dialog_ids) == 1 else None

    @property
    def reference_text(self) -> str:
        return " ".join(t.text for t in self.transmissions if not t.truncated)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["dialog_id"] = self.dialog_id
        return data


def item_from_dict(data: dict[str, Any]) -> ItemTruth:
    transmissions = tuple(
        TruthTransmission(
            **{
                **t,
                "indicators": tuple(TruthIndicator(**i) for i in t.get("indicators", [])),
                "places": tuple(TruthPlace(**p) for p in t.get("places", [])),
            }
        )
        for t in data["transmissions"]
    )
    link = data.get("near_duplicate_of")
    return ItemTruth(
        item_id=data["item_id"],
        kind=data["kind"],
        split=data["split"],
        channel=data["channel"],
        dialog_ids=tuple(data["dialog_ids"]),
        audio=data["audio"],
        storage=data["storage"],
        sample_rate=int(data["sample_rate"]),
        duration=float(data["duration"]),
        seed=int(data["seed"]),
        channel_params=dict(data.get("channel_params", {})),
        transmissions=transmissions,
        near_duplicate_of=DuplicateLink(**link) if link else None,
        schema=data.get("schema", ITEM_SCHEMA),
    )


@dataclass(frozen=True)
class IndexEntry:
    item_id: str
    kind: str
    split: str
    channel: str
    audio: str
    truth: str
    duration: float
    sample_rate: int
    audio_sha256: str
    source_item: str | None = None


@dataclass(frozen=True)
class CorpusIndex:
    seed: int
    split: str
    channels: tuple[str, ...]
    storage: str
    generator_version: str
    command: str
    items: tuple[IndexEntry, ...] = field(default_factory=tuple)
    schema: str = INDEX_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def load_index(corpus_dir: Path) -> CorpusIndex:
    data = json.loads((Path(corpus_dir) / "index.json").read_text(encoding="utf-8"))
    if data.get("schema") != INDEX_SCHEMA:
        raise ValueError(f"{corpus_dir}: not an audita corpus index ({data.get('schema')!r})")
    return CorpusIndex(
        seed=int(data["seed"]),
        split=data["split"],
        channels=tuple(data["channels"]),
        storage=data["storage"],
        generator_version=data["generator_version"],
        command=data["command"],
        items=tuple(IndexEntry(**e) for e in data["items"]),
        schema=data["schema"],
    )


def load_item(corpus_dir: Path, entry: IndexEntry) -> ItemTruth:
    return item_from_dict(json.loads((Path(corpus_dir) / entry.truth).read_text(encoding="utf-8")))
