"""Voice suggestions across the recordings of a case.

An analyst names a speaker cluster of one recording (a ``speaker.label`` derivation, e.g. call sign
"Сокол" for S1). The embeddings of the transmissions behind every named cluster become that name's
reference voice; every other transmission of the case with an embedding is ranked against the
references. The result is a list of *suggestions* with scores and margins, never an assertion:
radio hiss pulls voices together and cross-channel matching is weak (docs/speech.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from audita.cases import get_case
from audita.derived import history
from audita.speech.speakers import SpeakerSuggestion, Speakers, suggest_matches
from audita.store.schema import items
from audita.workspace import Workspace


@dataclass(frozen=True)
class VoiceSuggestion:
    item_id: str
    transmission: int
    start: float | None
    end: float | None
    name: str
    score: float
    margin: float
    rank: int
    kind: str = "suggestion"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _named_transmissions(label_rows: list[Any], speakers: Speakers) -> dict[str, set[int]]:
    """name -> transmission indexes, from the newest label per cluster of one recording."""
    newest: dict[str, dict[str, Any]] = {}
    for row in label_rows:  # oldest first: later labels of a cluster replace earlier ones
        newest[str(row.output.get("label"))] = row.output
    named: dict[str, set[int]] = {}
    for label, output in newest.items():
        name = str(output.get("name") or "").strip()
        if not name:
            continue
        listed = output.get("transmissions")
        indexes = {int(i) for i in listed} if listed else {i for i, lab in speakers.labels.items() if lab == label}
        named.setdefault(name, set()).update(indexes)
    return named


def case_voice_suggestions(workspace: Workspace, case: str, *, min_score: float = 0.75,
                           top: int = 3) -> list[VoiceSuggestion]:
    """Rank the analyst-named voices of a case for every unnamed transmission with an embedding."""
    references: dict[str, list[tuple[float, ...]]] = {}
    candidates: dict[str, tuple[float, ...]] = {}
    spans: dict[str, tuple[str, int, float | None, float | None]] = {}
    with workspace.reading() as connection:
        case_id = get_case(connection, case).id
        item_ids = connection.execute(select(items.c.id).where(items.c.case_id == case_id, items.c.kind == "recording")
                                      .order_by(items.c.created_at, items.c.id)).scalars().all()
        for item_id in item_ids:
            rows = history(connection, item_id, "speakers")
            if not rows:
                continue
            speakers = Speakers.from_dict(rows[-1].output)
            transcript = history(connection, item_id, "transcript")
            times = {t["index"]: (t["start"], t["end"]) for t in transcript[-1].output["transmissions"]} \
                if transcript else {}
            named = _named_transmissions(history(connection, item_id, "speaker.label"), speakers)
            named_indexes = set().union(*named.values()) if named else set()
            vectors = {e.index: e.vector for e in speakers.embeddings if e.vector}
            for name, indexes in named.items():
                references.setdefault(name, []).extend(vectors[i] for i in sorted(indexes) if i in vectors)
            for index, vector in vectors.items():
                if index not in named_indexes:
                    key = f"{item_id}#{index}"
                    candidates[key] = vector
                    start, end = times.get(index, (None, None))
                    spans[key] = (item_id, index, start, end)
    ranked: list[SpeakerSuggestion] = suggest_matches(references, candidates, min_score=min_score, top=top)
    return [VoiceSuggestion(item_id=spans[s.candidate][0], transmission=spans[s.candidate][1],
                            start=spans[s.candidate][2], end=spans[s.candidate][3], name=s.reference,
                            score=s.score, margin=s.margin, rank=s.rank) for s in ranked]
