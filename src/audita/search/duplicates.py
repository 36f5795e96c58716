"""Near-duplicate recordings in a case: republications after re-encoding or trimming, and excerpts
inside longer recordings, with the offset.

Every recording gets a chromaprint ``fingerprint`` derivation (stored once, reused). A recording of
at least ``min_fingerprint_seconds`` is aligned against every other recording of the case by
fingerprint agreement; candidate pairs are refined by fingerprinting the shorter recording again at
sub-hop phases (chromaprint is sensitive to where its frames fall, which is what trimming changes),
which also gives the offset to about 10 ms. A shorter clip is matched with the denser spectral bit
print (``audita.search.spectral``); one too short even for that, or that matches nothing with
confidence, is reported ``unmatched`` with the reason. Each queried recording's result is stored as
a ``duplicates`` derivation whose input hash covers its own and every candidate's fingerprint, so an
unchanged case records nothing new.

Offsets follow the corpus convention: time ``t`` in the item is time ``t + offset`` in the other.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import select

from audita.cases import get_case
from audita.derived import Derivation, Provenance, find_reusable, record
from audita.errors import AuditaError, NotFound
from audita.media.decode import decode_audio
from audita.provenance import canonical_json, sha256_hex
from audita.search import fingerprint as chroma
from audita.search import spectral
from audita.store.schema import items
from audita.workspace import Workspace

FINGERPRINT_STAGE = "fingerprint"
DUPLICATES_STAGE = "duplicates"
DUPLICATES_VERSION = "1"
Relation = Literal["same", "trimmed", "excerpt_of", "contains"]
Confidence = Literal["republication", "possible"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DuplicateOptions:
    """Thresholds, measured on the dev corpus and checked on the held-out one (docs/search.md)."""

    republication_agreement: float = 0.93  # chromaprint agreement (1 - bit error rate) for a republication
    possible_agreement: float = 0.80  # same speech, likely another capture or channel: shown as "possible"
    min_coverage: float = 0.8  # the overlap must cover this share of the shorter recording
    same_coverage: float = 0.9  # both covered this much: the same recording (re-encoded or trimmed)
    phases: int = 4  # sub-hop phases tried when refining a candidate pair
    min_fingerprint_seconds: float = 10.0  # shorter clips go to the spectral method
    min_overlap_seconds: float = 5.0
    spectral_match: float = 0.76
    spectral_possible: float = 0.64
    spectral_min_z: float = 9.0  # the peak must stand this many deviations above the other offsets
    min_clip_seconds: float = 1.5  # below this nothing can be compared
    spectral_fallback: bool = True  # False: chromaprint even for short clips (the bench's baseline)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DuplicateMatch:
    item_id: str
    other_id: str
    relation: Relation
    confidence: Confidence
    score: float  # agreement at the aligned offset
    offset: float  # item time t is other time t + offset (seconds)
    overlap: float  # seconds compared
    coverage: float  # share of the item inside the overlap
    other_coverage: float
    method: Literal["chromaprint", "spectral"]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score": round(self.score, 4), "offset": round(self.offset, 3),
                "overlap": round(self.overlap, 2), "coverage": round(self.coverage, 3),
                "other_coverage": round(self.other_coverage, 3)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DuplicateMatch":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ItemDuplicates:
    item_id: str
    duration: float
    method: Literal["chromaprint", "spectral", "none"]
    matches: tuple[DuplicateMatch, ...]
    unmatched_reason: str | None  # set when no match is reported
    best_other: str | None = None  # closest recording when nothing matched
    best_score: float | None = None
    derivation_id: str | None = field(default=None, compare=False)

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "duration": round(self.duration, 3), "method": self.method,
                "matches": [m.to_dict() for m in self.matches], "unmatched_reason": self.unmatched_reason,
                "best_other": self.best_other,
                "best_score": None if self.best_score is None else round(self.best_score, 4),
                "derivation_id": self.derivation_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any], derivation_id: str | None = None) -> "ItemDuplicates":
        return cls(data["item_id"], float(data["duration"]), data["method"],
                   tuple(DuplicateMatch.from_dict(m) for m in data["matches"]), data.get("unmatched_reason"),
                   data.get("best_other"), data.get("best_score"), derivation_id)


@dataclass(frozen=True)
class DuplicateReport:
    case_id: str
    results: tuple[ItemDuplicates, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "results": [r.to_dict() for r in self.results]}


# ---- pure comparison (no store): used by the service, the tests and the bench -----------------------


class AudioSource:
    """Decoded audio of one recording at the two rates the matchers use, decoded lazily."""

    def __init__(self, key: str, loader: Callable[[int], np.ndarray]) -> None:
        self.key = key
        self._loader = loader
        self._cache: dict[int, np.ndarray] = {}

    def samples(self, rate: int) -> np.ndarray:
        if rate not in self._cache:
            self._cache[rate] = self._loader(rate)
        return self._cache[rate]

    def forget(self) -> None:
        self._cache.clear()


@dataclass(frozen=True)
class _Aligned:
    score: float
    offset: float  # query time t = candidate time t + offset
    overlap_points: int
    query_points: int
    candidate_points: int
    point_seconds: float


def _relation(query_seconds: float, candidate_seconds: float, aligned: _Aligned,
              options: DuplicateOptions) -> tuple[Relation, float, float] | None:
    query_cover = aligned.overlap_points / max(aligned.query_points, 1)
    candidate_cover = aligned.overlap_points / max(aligned.candidate_points, 1)
    if query_cover >= options.same_coverage and candidate_cover >= options.same_coverage:
        relation: Relation = "trimmed" if abs(query_seconds - candidate_seconds) > 0.5 else "same"
    elif query_cover >= options.min_coverage:
        relation = "excerpt_of"
    elif candidate_cover >= options.min_coverage:
        relation = "contains"
    else:
        return None
    return relation, query_cover, candidate_cover


class Matcher:
    """Compares recordings pairwise, caching fingerprints, refinements and spectral prints."""

    def __init__(self, options: DuplicateOptions | None = None, *, audio_cache: int = 12) -> None:
        self.options = options or DuplicateOptions()
        self._prints: dict[str, np.ndarray] = {}
        self._durations: dict[str, float] = {}
        self._sources: dict[str, AudioSource] = {}
        self._spectral: OrderedDict[str, spectral.SpectralPrint] = OrderedDict()
        self._decoded: OrderedDict[str, None] = OrderedDict()
        self._audio_cache = audio_cache
        self._pairs: dict[tuple[str, str], Any] = {}

    def add(self, key: str, fingerprint: chroma.Fingerprint, source: AudioSource) -> None:
        self._prints[key] = chroma.bit_planes(fingerprint.values)
        self._durations[key] = fingerprint.duration
        self._sources[key] = source

    def duration(self, key: str) -> float:
        return self._durations[key]

    def _touch(self, key: str) -> AudioSource:
        source = self._sources[key]
        self._decoded[key] = None
        self._decoded.move_to_end(key)
        while len(self._decoded) > self._audio_cache:
            old, _ = self._decoded.popitem(last=False)
            self._sources[old].forget()
        return source

    # chromaprint ---------------------------------------------------------------------------------

    def _coarse(self, query: str, candidate: str) -> chroma.Peak | None:
        q, c = self._prints[query], self._prints[candidate]
        min_points = min(int(self.options.min_overlap_seconds / chroma.ITEM_SECONDS), q.shape[1], c.shape[1])
        if not self.options.spectral_fallback:
            min_points = max(min_points, 1)
        if min_points <= 0:
            return None
        return chroma.best_peak(chroma.agreement_curve(q, c), min_overlap=min_points)

    def _refine(self, query: str, candidate: str, coarse: chroma.Peak) -> _Aligned:
        """Fingerprint the query again at sub-hop phases; keep the best agreement near the coarse offset."""
        samples = self._touch(query).samples(chroma.SAMPLE_RATE)
        hop = 4096 / 3
        c = self._prints[candidate]
        best = _Aligned(coarse.agreement, coarse.offset * chroma.ITEM_SECONDS, coarse.overlap,
                        self._prints[query].shape[1], c.shape[1], chroma.ITEM_SECONDS)
        for phase in range(1, max(self.options.phases, 1)):
            cut = int(round(phase * hop / self.options.phases))
            planes = chroma.bit_planes(chroma.fingerprint_samples(samples[cut:]))
            curve = chroma.agreement_curve(planes, c)
            near = (np.abs(curve.offsets - coarse.offset) <= 2) & (curve.overlap >= min(coarse.overlap, planes.shape[1]) - 2)
            if not near.any():
                continue
            index = int(np.flatnonzero(near)[np.argmax(curve.agreement[near])])
            if curve.agreement[index] > best.score:
                best = _Aligned(float(curve.agreement[index]),
                                float(curve.offsets[index]) * chroma.ITEM_SECONDS - cut / chroma.SAMPLE_RATE,
                                int(curve.overlap[index]), planes.shape[1], c.shape[1], chroma.ITEM_SECONDS)
        return best

    def chromaprint_pair(self, a: str, b: str) -> tuple[str, str, _Aligned] | None:
        """Alignment of the shorter recording (query) inside the other, refined when promising."""
        query, candidate = (a, b) if (self._prints[a].shape[1], a) <= (self._prints[b].shape[1], b) else (b, a)
        key = (query, candidate)
        if key not in self._pairs:
            coarse = self._coarse(query, candidate)
            aligned: _Aligned | None = None
            if coarse is not None:
                aligned = _Aligned(coarse.agreement, coarse.offset * chroma.ITEM_SECONDS, coarse.overlap,
                                   self._prints[query].shape[1], self._prints[candidate].shape[1],
                                   chroma.ITEM_SECONDS)
                covered = coarse.overlap / max(self._prints[query].shape[1], 1)
                if coarse.agreement >= self.options.possible_agreement - 0.05 and covered >= self.options.min_coverage:
                    aligned = self._refine(query, candidate, coarse)
            self._pairs[key] = aligned
        found = self._pairs[key]
        return (query, candidate, found) if found is not None else None

    # spectral ------------------------------------------------------------------------------------

    def spectral_print(self, key: str) -> spectral.SpectralPrint:
        if key not in self._spectral:
            self._spectral[key] = spectral.spectral_print(self._touch(key).samples(spectral.SAMPLE_RATE))
            while len(self._spectral) > 4 * self._audio_cache:
                self._spectral.popitem(last=False)
        return self._spectral[key]

    def spectral_pair(self, query: str, candidate: str) -> tuple[_Aligned, float] | None:
        q = self.spectral_print(query)
        c = self.spectral_print(candidate)
        if q.frames == 0 or c.frames == 0:
            return None
        min_overlap = max(1, int(min(q.frames, c.frames) * 0.9))
        curve = chroma.agreement_curve(q.planes, c.planes)
        peak = chroma.best_peak(curve, min_overlap=min_overlap)
        if peak is None:
            return None
        usable = curve.agreement[curve.overlap >= min_overlap]
        z = (peak.agreement - float(np.median(usable))) / (float(usable.std()) + 1e-9)
        aligned = _Aligned(peak.agreement, peak.offset * spectral.FRAME_SECONDS, peak.overlap, q.frames, c.frames,
                           spectral.FRAME_SECONDS)
        return aligned, z

    # one item against the others -------------------------------------------------------------------

    def _short(self, key: str) -> bool:
        if not self.options.spectral_fallback:
            return False
        points = self._prints[key].shape[1]
        return (self._durations[key] < self.options.min_fingerprint_seconds
                or points < 2 * int(self.options.min_overlap_seconds / chroma.ITEM_SECONDS))

    def pair(self, item: str, other: str) -> tuple[str, _Aligned, float | None] | None:
        """(query, alignment, z) for two recordings: chromaprint when both are long enough, else the
        spectral print of the shorter inside the longer (z: how far the peak stands out)."""
        if self._short(item) or self._short(other):
            query, candidate = (item, other) if (self._durations[item], item) <= (self._durations[other], other) \
                else (other, item)
            key = ("spectral:" + query, candidate)
            if key not in self._pairs:
                self._pairs[key] = self.spectral_pair(query, candidate)
            found = self._pairs[key]
            if found is None:
                return None
            aligned, z = found
            return query, aligned, z
        chromaprint = self.chromaprint_pair(item, other)
        if chromaprint is None:
            return None
        return chromaprint[0], chromaprint[2], None

    def compare(self, item: str, others: list[str]) -> ItemDuplicates:
        options = self.options
        duration = self._durations[item]
        if duration < options.min_clip_seconds:
            return ItemDuplicates(item, duration, "none", (), f"clip of {duration:.1f} s is too short to compare "
                                  f"(at least {options.min_clip_seconds:.1f} s are needed)")
        short = self._short(item)
        matches: list[DuplicateMatch] = []
        best: tuple[float, str, float | None] | None = None
        for other in others:
            if self._durations[other] < options.min_clip_seconds:
                continue
            found = self.pair(item, other)
            if found is None:
                continue
            query, aligned, z = found
            spectral_method = z is not None
            if spectral_method == short and (best is None or aligned.score > best[0]):
                best = (aligned.score, other, z)
            if spectral_method:
                if aligned.score < options.spectral_possible or (z or 0.0) < options.spectral_min_z:
                    continue
                confidence: Confidence = "republication" if aligned.score >= options.spectral_match else "possible"
            else:
                if aligned.score < options.possible_agreement:
                    continue
                confidence = "republication" if aligned.score >= options.republication_agreement else "possible"
            match = self._as_match(item, other, query == item, aligned,
                                   "spectral" if spectral_method else "chromaprint", confidence)
            if match is not None:
                matches.append(match)
        if short:
            reason = (f"clip of {duration:.1f} s is too short for a chromaprint fingerprint (needs "
                      f"{options.min_fingerprint_seconds:.0f} s); the spectral comparison found no recording above "
                      f"{options.spectral_possible:.2f} agreement standing {options.spectral_min_z:.0f} deviations "
                      f"above chance")
            if best is not None:
                reason += f" (closest: {best[1][:12]} at {best[0]:.3f}, {best[2] or 0.0:.1f} deviations)"
        else:
            reason = "no other recording of the case shares this audio"
            if best is not None:
                reason += f" (closest: {best[1][:12]} at {best[0]:.3f} agreement)"
        ordered = tuple(sorted(matches, key=lambda m: (m.confidence != "republication", -m.score, m.other_id)))
        method = "spectral" if short else "chromaprint"
        if ordered:
            return ItemDuplicates(item, duration, method, ordered, None)  # type: ignore[arg-type]
        return ItemDuplicates(item, duration, method, (), reason, best[1] if best else None,  # type: ignore[arg-type]
                              best[0] if best else None)

    def _as_match(self, item: str, other: str, item_is_query: bool, aligned: _Aligned, method: str,
                  confidence: Confidence) -> DuplicateMatch | None:
        query_seconds = self._durations[item] if item_is_query else self._durations[other]
        candidate_seconds = self._durations[other] if item_is_query else self._durations[item]
        shaped = _relation(query_seconds, candidate_seconds, aligned, self.options)
        if shaped is None:
            return None
        relation, query_cover, candidate_cover = shaped
        if not item_is_query:
            relation = {"excerpt_of": "contains", "contains": "excerpt_of"}.get(relation, relation)  # type: ignore[assignment]
            query_cover, candidate_cover = candidate_cover, query_cover
        offset = aligned.offset if item_is_query else -aligned.offset
        return DuplicateMatch(item, other, relation, confidence, aligned.score, offset,
                              aligned.overlap_points * aligned.point_seconds, query_cover, candidate_cover,
                              method)  # type: ignore[arg-type]


# ---- the store ----------------------------------------------------------------------------------------


def _inputs(**values: Any) -> str:
    return sha256_hex(canonical_json(values))


def fingerprint_provenance(blob_sha256: str) -> Provenance:
    return Provenance(stage=FINGERPRINT_STAGE, input_sha256=_inputs(audio=blob_sha256),
                      engine=f"{chroma.fpcalc_version()} (chromaprint, PCM from audita.media.decode)",
                      options={"algorithm": chroma.ALGORITHM, "sample_rate": chroma.SAMPLE_RATE, "length": 0})


def _recordings(workspace: Workspace, case_id: str) -> list[Any]:
    with workspace.reading() as connection:
        return list(connection.execute(
            select(items.c.id, items.c.blob_sha256, items.c.case_id)
            .where(items.c.case_id == case_id, items.c.kind == "recording").order_by(items.c.created_at, items.c.id)
        ).all())


def ensure_fingerprint(workspace: Workspace, item_id: str, blob_sha256: str, case_id: str, *,
                       actor: str) -> tuple[Derivation | None, str | None]:
    """The item's fingerprint row (computed and recorded when missing), or the reason there is none."""
    provenance = fingerprint_provenance(blob_sha256)
    with workspace.reading() as connection:
        found = find_reusable(connection, item_id, provenance)
    if found is not None:
        return found, None
    try:
        samples = decode_audio(workspace.blobs.path_for(blob_sha256), chroma.SAMPLE_RATE)
    except AuditaError as exc:
        return None, f"cannot decode the recording: {exc}"
    values = chroma.fingerprint_samples(samples)
    output = chroma.Fingerprint(values, samples.size / chroma.SAMPLE_RATE).to_dict()
    with workspace.action() as connection:
        found = find_reusable(connection, item_id, provenance)
        row = found or record(workspace, connection, item_id=item_id, case_id=case_id, provenance=provenance,
                              output=output, actor=actor)
    return row, None


def find_duplicates(workspace: Workspace, case: str, item_ids: list[str] | None = None, *, actor: str,
                    options: DuplicateOptions | None = None, progress: Progress | None = None) -> DuplicateReport:
    """Fingerprint the case's recordings and report, for each requested one (default: all), the
    other recordings it republishes, is an excerpt of, or contains; record each result."""
    options = options or DuplicateOptions()
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
    recordings = _recordings(workspace, case_row.id)
    known = {r.id for r in recordings}
    for wanted in item_ids or []:
        if wanted not in known:
            raise NotFound(f"item {wanted} is not a recording of case {case_row.name!r}")
    matcher = Matcher(options)
    fingerprints: dict[str, Derivation] = {}
    failures: dict[str, str] = {}
    total = len(recordings)
    for number, row in enumerate(recordings):
        if progress is not None:
            progress(number, total, f"fingerprint {row.id[:12]}")
        derivation, problem = ensure_fingerprint(workspace, row.id, row.blob_sha256, case_row.id, actor=actor)
        if derivation is None:
            failures[row.id] = problem or "no fingerprint"
            continue
        fingerprints[row.id] = derivation
        blob = row.blob_sha256
        matcher.add(row.id, chroma.Fingerprint.from_dict(derivation.output),
                    AudioSource(row.id, lambda rate, blob=blob: decode_audio(workspace.blobs.path_for(blob), rate)))
    queried = item_ids or [r.id for r in recordings]
    results: list[ItemDuplicates] = []
    for number, item_id in enumerate(queried):
        if progress is not None:
            progress(number, len(queried), f"compare {item_id[:12]}")
        if item_id in failures:
            results.append(ItemDuplicates(item_id, 0.0, "none", (), failures[item_id]))
            continue
        others = [r.id for r in recordings if r.id != item_id and r.id in fingerprints]
        provenance = Provenance(
            stage=DUPLICATES_STAGE,
            input_sha256=_inputs(fingerprint=fingerprints[item_id].output_sha256,
                                 candidates=[[o, fingerprints[o].output_sha256] for o in others]),
            engine=f"audita.search.duplicates/{DUPLICATES_VERSION}; {chroma.fpcalc_version()}",
            options=options.to_dict(), parent_id=fingerprints[item_id].id,
        )
        with workspace.reading() as connection:
            found = find_reusable(connection, item_id, provenance)
        if found is not None:
            results.append(ItemDuplicates.from_dict(found.output, found.id))
            continue
        result = matcher.compare(item_id, others)
        output = {k: v for k, v in result.to_dict().items() if k != "derivation_id"}
        with workspace.action() as connection:
            found = find_reusable(connection, item_id, provenance)
            row = found or record(workspace, connection, item_id=item_id, case_id=case_row.id,
                                  provenance=provenance, output=output, actor=actor)
        results.append(ItemDuplicates.from_dict(row.output, row.id))
    if progress is not None:
        progress(len(queried), len(queried), "done")
    return DuplicateReport(case_row.id, tuple(results))


def latest_duplicates(connection: Any, item_id: str) -> ItemDuplicates | None:
    from audita.derived import latest

    row = latest(connection, item_id, DUPLICATES_STAGE)
    return ItemDuplicates.from_dict(row.output, row.id) if row is not None else None


def compare_files(paths: dict[str, Any], options: DuplicateOptions | None = None) -> dict[str, ItemDuplicates]:
    """Near-duplicates among audio files outside any store (keys are the names reported back)."""
    matcher = Matcher(options)
    for key in sorted(paths):
        path = paths[key]
        samples = decode_audio(path, chroma.SAMPLE_RATE)
        source = AudioSource(key, lambda rate, path=path: decode_audio(path, rate))
        matcher.add(key, chroma.Fingerprint(chroma.fingerprint_samples(samples), samples.size / chroma.SAMPLE_RATE),
                    source)
    keys = sorted(paths)
    return {key: matcher.compare(key, [k for k in keys if k != key]) for key in keys}
