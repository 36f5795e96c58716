"""What the case overview shows: recordings with their review state, open flags, places on an
offline map (an SVG of Ukraine's bounding box with a graticule, no tiles), a timeline.

Flags and places come from the current ``analysis`` of each recording (``audita.analysis``) and,
for documents, from their ``document.extract`` row (``audita.documents``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from audita.review.history import history
from audita.review.reading import flag_decisions, flagging_row
from audita.store.schema import acquisitions, items, media_facts
from audita.web.recording import article_label

# Map frame: Ukraine's bounding box, equirectangular with x scaled by cos(48°).
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 22.0, 40.5, 44.0, 52.5
MAP_W = 740
MAP_H = round(MAP_W * (LAT_MAX - LAT_MIN) / ((LON_MAX - LON_MIN) * 0.669))
# A few cities, drawn faintly so that points can be placed by eye (approximate coordinates).
REFERENCE = (("Kyiv", 50.45, 30.52), ("Lviv", 49.84, 24.03), ("Kharkiv", 49.99, 36.23), ("Odesa", 46.48, 30.72),
             ("Dnipro", 48.46, 35.04), ("Donetsk", 48.0, 37.8), ("Luhansk", 48.57, 39.31), ("Mariupol", 47.1, 37.55),
             ("Zaporizhzhia", 47.84, 35.14), ("Kherson", 46.64, 32.61), ("Sevastopol", 44.6, 33.52),
             ("Chernihiv", 51.49, 31.29), ("Sumy", 50.91, 34.8))
TIMELINE_W = 740


def project(lat: float, lon: float) -> tuple[float, float]:
    x = (lon - LON_MIN) / (LON_MAX - LON_MIN) * MAP_W
    y = (LAT_MAX - lat) / (LAT_MAX - LAT_MIN) * MAP_H
    return round(x, 1), round(y, 1)


def inside(lat: float, lon: float) -> bool:
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


@dataclass(frozen=True)
class MapPoint:
    name: str
    lat: float
    lon: float
    x: float
    y: float
    kind: str  # "place" (mentioned) | "receiver"
    item_id: str
    item_name: str


@dataclass(frozen=True)
class Recording:
    id: str
    name: str
    kind: str
    created_at: str
    duration: float | None
    intercept_time: str | None
    channel: str | None
    versions: int
    review_status: str  # of the current version; "" when not transcribed
    open_flags: int


@dataclass(frozen=True)
class OpenFlag:
    item_id: str
    item_name: str
    flag_id: str
    category: str
    article: str
    title: str
    quote: str
    confidence: float | None


@dataclass(frozen=True)
class TimelineMark:
    item_id: str
    name: str
    time: str
    x: float
    y: float


@dataclass(frozen=True)
class Overview:
    recordings: tuple[Recording, ...]
    documents: tuple[Recording, ...]
    open_flags: tuple[OpenFlag, ...]
    points: tuple[MapPoint, ...]
    outside: tuple[MapPoint, ...]
    timeline: tuple[TimelineMark, ...]
    timeline_ticks: tuple[tuple[float, str], ...]
    undated: tuple[Recording, ...]


def item_metadata(connection: Connection, item_id: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for raw in connection.execute(select(acquisitions.c.metadata_json).where(acquisitions.c.item_id == item_id)
                                  .order_by(acquisitions.c.acquired_at)).scalars():
        for key, value in json.loads(raw).items():
            merged.setdefault(key, value)
    return merged


def _duration(connection: Connection, sha256: str) -> float | None:
    raw = connection.execute(select(media_facts.c.facts_json).where(media_facts.c.blob_sha256 == sha256)
                             .order_by(media_facts.c.id).limit(1)).scalar()
    value = json.loads(raw).get("decoded_duration") if raw else None
    return float(value) if isinstance(value, (int, float)) else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _places(entities: Any, item_id: str, item_name: str) -> list[MapPoint]:
    """Map points for the geocoded places among ``entities`` (analysis or document extraction)."""
    points = []
    for entity in entities if isinstance(entities, list) else []:
        place = entity.get("place") if isinstance(entity, dict) else None
        if isinstance(place, dict) and _number(place.get("lat")) is not None and _number(place.get("lon")) is not None:
            lat, lon = float(place["lat"]), float(place["lon"])
            x, y = project(lat, lon)
            name = str(place.get("name") or entity.get("normalized") or entity.get("text") or "")
            points.append(MapPoint(name, lat, lon, x, y, "place", item_id, item_name))
    return points


def build_overview(connection: Connection, case_id: str) -> Overview:
    rows = connection.execute(select(items).where(items.c.case_id == case_id).order_by(items.c.created_at)).all()
    recordings: list[Recording] = []
    documents: list[Recording] = []
    flags: list[OpenFlag] = []
    points: list[MapPoint] = []
    for row in rows:
        meta = item_metadata(connection, row.id)
        chain = history(connection, row.id) if row.kind == "recording" else []
        open_here = 0
        analysis, stage = flagging_row(connection, row.id, row.kind)
        if analysis is not None and isinstance(analysis.output, dict):
            decided = flag_decisions(connection, row.id, analysis.id, stage=stage)
            for flag in analysis.output.get("flags") or []:
                if not isinstance(flag, dict) or str(flag.get("id")) in decided:
                    continue
                open_here += 1
                flags.append(OpenFlag(row.id, row.display_name, str(flag.get("id")), str(flag.get("category", "")),
                                      article_label(str(flag.get("article", ""))), str(flag.get("title", "")),
                                      str(flag.get("quote", "")), _number(flag.get("confidence"))))
            if stage == "analysis":
                points += _places(analysis.output.get("entities"), row.id, row.display_name)
            else:
                points += _places(analysis.output.get("places"), row.id, row.display_name)
        receiver = meta.get("receiver_location")
        if isinstance(receiver, dict) and _number(receiver.get("lat")) is not None and _number(receiver.get("lon")) is not None:
            lat, lon = float(receiver["lat"]), float(receiver["lon"])
            x, y = project(lat, lon)
            label = str(receiver.get("description") or "receiver")
            points.append(MapPoint(label, lat, lon, x, y, "receiver", row.id, row.display_name))
        entry = Recording(
            id=row.id, name=row.display_name, kind=row.kind, created_at=row.created_at,
            duration=_duration(connection, row.blob_sha256), intercept_time=meta.get("intercept_time"),
            channel=meta.get("channel"), versions=len(chain),
            review_status=chain[-1].review_status if chain else "", open_flags=open_here,
        )
        (recordings if row.kind == "recording" else documents).append(entry)
    timeline, ticks, undated = _timeline(recordings)
    unique: dict[tuple[str, str, float, float], MapPoint] = {}
    for p in points:
        unique.setdefault((p.item_id, p.name, p.lat, p.lon), p)
    placed = [p for p in unique.values() if inside(p.lat, p.lon)]
    outside = [p for p in unique.values() if not inside(p.lat, p.lon)]
    return Overview(tuple(recordings), tuple(documents), tuple(flags), tuple(placed), tuple(outside), timeline,
                    ticks, undated)


def _timeline(recordings: list[Recording]) -> tuple[tuple[TimelineMark, ...], tuple[tuple[float, str], ...],
                                                      tuple[Recording, ...]]:
    dated = [(t, r) for r in recordings if (t := _parse_time(r.intercept_time)) is not None]
    undated = tuple(r for r in recordings if _parse_time(r.intercept_time) is None)
    if not dated:
        return (), (), undated
    dated.sort(key=lambda pair: pair[0])
    first, last = dated[0][0].timestamp(), dated[-1][0].timestamp()
    span = max(last - first, 1.0)
    margin = 40.0
    width = TIMELINE_W - 2 * margin

    def x_of(stamp: float) -> float:
        return round(margin + (stamp - first) / span * width if last > first else TIMELINE_W / 2, 1)

    marks = tuple(TimelineMark(r.id, r.name, t.strftime("%Y-%m-%d %H:%M UTC"), x_of(t.timestamp()), 30 + 16 * (n % 4))
                  for n, (t, r) in enumerate(dated))
    ticks: list[tuple[float, str]] = []
    steps = 4 if last > first else 0
    for k in range(steps + 1):
        stamp = first + span * k / steps if steps else first
        label = datetime.fromtimestamp(stamp, tz=dated[0][0].tzinfo).strftime("%Y-%m-%d %H:%M")
        ticks.append((x_of(stamp), label))
    return marks, tuple(ticks), undated


def graticule() -> dict[str, Any]:
    """Lines and reference cities of the map frame, precomputed for the template."""
    lons = [project(LAT_MIN, lon)[0] for lon in range(int(LON_MIN), int(LON_MAX) + 1, 2)]
    lats = [(project(lat, LON_MIN)[1], lat) for lat in range(int(LAT_MIN), int(LAT_MAX) + 1)]
    lon_labels = [(project(LAT_MIN, lon)[0], lon) for lon in range(int(LON_MIN) + 2, int(LON_MAX), 2)]
    cities = [(name, *project(lat, lon)) for name, lat, lon in REFERENCE]
    return {"width": MAP_W, "height": MAP_H, "lon_x": lons, "lat_y": lats, "lon_labels": lon_labels, "cities": cities}
