"""Acquisition metadata from manifests (JSON or CSV) and per-file JSON sidecars, validated strictly.

Unknown fields, malformed times, out-of-range coordinates and non-http URLs are errors: a typo in
a manifest must not silently drop a fact an investigator meant to record.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from audita.errors import BadInput

MAX_METADATA_BYTES = 10 * 1024 * 1024
MAX_TEXT = 10_000
CHANNELS = ("radio", "phone", "other")
LANGUAGES = ("ru", "uk", "en", "other")
SIDECAR_SUFFIX = ".json"
MANIFEST_NAMES = ("manifest.json", "manifest.csv")


@dataclass(frozen=True)
class ReceiverLocation:
    lat: float
    lon: float
    description: str | None = None


@dataclass(frozen=True)
class RecordingMetadata:
    """Facts an investigator supplies about one recording; every field optional."""

    intercept_time: str | None = None  # ISO 8601 in UTC ("...Z")
    channel: str | None = None
    frequency_mhz: float | None = None
    source: str | None = None
    source_url: str | None = None
    acquisition_notes: str | None = None
    receiver_location: ReceiverLocation | None = None
    language: str | None = None
    title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def merged(self, override: "RecordingMetadata") -> "RecordingMetadata":
        mine = asdict(self)
        for key, value in asdict(override).items():
            if value is not None:
                mine[key] = value
        location = mine.get("receiver_location")
        if isinstance(location, dict):
            mine["receiver_location"] = ReceiverLocation(**location)
        return RecordingMetadata(**mine)


_FIELDS = {
    "intercept_time", "channel", "frequency_mhz", "source", "source_url", "acquisition_notes",
    "receiver_location", "language", "title",
}
_CSV_ONLY = {"receiver_lat", "receiver_lon", "receiver_description"}
_KEYS = {"file", "sha256"}


def _text(where: str, key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadInput(f"{where}: {key} must be text")
    if len(value) > MAX_TEXT:
        raise BadInput(f"{where}: {key} is longer than {MAX_TEXT} characters")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise BadInput(f"{where}: {key} contains control characters")
    return value.strip()


def _time(where: str, value: Any) -> str | None:
    text = _text(where, "intercept_time", value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{where}: intercept_time {text!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise BadInput(f"{where}: intercept_time {text!r} has no UTC offset (add Z or +03:00)")
    if not 1900 <= parsed.year <= 2100:
        raise BadInput(f"{where}: intercept_time {text!r} is out of range")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _number(where: str, key: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadInput(f"{where}: {key} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: {key} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise BadInput(f"{where}: {key} must be finite")
    return number


def _choice(where: str, key: str, value: Any, allowed: tuple[str, ...]) -> str | None:
    text = _text(where, key, value)
    if text is None:
        return None
    if text.lower() not in allowed:
        raise BadInput(f"{where}: {key} {text!r} is not one of {', '.join(allowed)}")
    return text.lower()


def _url(where: str, value: Any) -> str | None:
    text = _text(where, "source_url", value)
    if text is None:
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BadInput(f"{where}: source_url {text!r} is not an http(s) URL")
    return text


def _location(where: str, value: Any) -> ReceiverLocation | None:
    if value is None or value == "":
        return None
    description = None
    if isinstance(value, str):
        parts = value.split(",")
        if len(parts) != 2:
            raise BadInput(f"{where}: receiver_location {value!r} must be 'lat,lon'")
        lat, lon = (_number(where, "receiver_location", p.strip()) for p in parts)
    elif isinstance(value, dict):
        unknown = set(value) - {"lat", "lon", "description"}
        if unknown:
            raise BadInput(f"{where}: receiver_location has unknown field {sorted(unknown)[0]!r}")
        lat = _number(where, "receiver_location.lat", value.get("lat"))
        lon = _number(where, "receiver_location.lon", value.get("lon"))
        description = _text(where, "receiver_location.description", value.get("description"))
    else:
        raise BadInput(f"{where}: receiver_location must be 'lat,lon' or an object")
    if lat is None or lon is None:
        raise BadInput(f"{where}: receiver_location needs both lat and lon")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise BadInput(f"{where}: receiver_location {lat},{lon} is out of range")
    return ReceiverLocation(lat, lon, description)


def parse_record(record: dict[str, Any], where: str) -> RecordingMetadata:
    """Validate one metadata object (sidecar or manifest row without its key fields)."""
    unknown = set(record) - _FIELDS - _KEYS
    if unknown:
        raise BadInput(f"{where}: unknown field {sorted(unknown)[0]!r}")
    frequency = _number(where, "frequency_mhz", record.get("frequency_mhz"))
    if frequency is not None and not 0 < frequency < 300_000:
        raise BadInput(f"{where}: frequency_mhz {frequency} is out of range")
    return RecordingMetadata(
        intercept_time=_time(where, record.get("intercept_time")),
        channel=_choice(where, "channel", record.get("channel"), CHANNELS),
        frequency_mhz=frequency,
        source=_text(where, "source", record.get("source")),
        source_url=_url(where, record.get("source_url")),
        acquisition_notes=_text(where, "acquisition_notes", record.get("acquisition_notes")),
        receiver_location=_location(where, record.get("receiver_location")),
        language=_choice(where, "language", record.get("language"), LANGUAGES),
        title=_text(where, "title", record.get("title")),
    )


def _decode(data: bytes, where: str) -> str:
    if len(data) > MAX_METADATA_BYTES:
        raise BadInput(f"{where}: larger than {MAX_METADATA_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{where}: not UTF-8 text") from None


def _load_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise BadInput(f"{where}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise BadInput(f"{where}: invalid JSON ({str(exc).split(';')[0]})") from None


def parse_sidecar(data: bytes, where: str) -> RecordingMetadata:
    record = _load_json(_decode(data, where), where)
    if not isinstance(record, dict):
        raise BadInput(f"{where}: a sidecar must be a JSON object")
    return parse_record(record, where)


@dataclass(frozen=True)
class Manifest:
    """Metadata rows keyed by relative file path (POSIX) or by SHA-256 of the content."""

    by_path: dict[str, RecordingMetadata]
    by_sha256: dict[str, RecordingMetadata]

    def lookup(self, relative_path: str, sha256: str) -> RecordingMetadata | None:
        return self.by_sha256.get(sha256) or self.by_path.get(normalise_key(relative_path))

    @property
    def keys(self) -> set[str]:
        return set(self.by_path) | set(self.by_sha256)


def normalise_key(path: str) -> str:
    return str(PurePosixPath(path.replace("\\", "/"))).lstrip("./") or path


def _add(rows: dict[str, dict[str, RecordingMetadata]], record: dict[str, Any], where: str) -> None:
    file_key = record.get("file")
    sha_key = record.get("sha256")
    if not file_key and not sha_key:
        raise BadInput(f"{where}: each entry needs 'file' or 'sha256'")
    metadata = parse_record(record, where)
    if file_key:
        if not isinstance(file_key, str):
            raise BadInput(f"{where}: file must be text")
        key = normalise_key(file_key)
        if key in rows["path"]:
            raise BadInput(f"{where}: file {file_key!r} is listed twice")
        rows["path"][key] = metadata
    if sha_key:
        if not isinstance(sha_key, str) or len(sha_key) != 64 or any(c not in "0123456789abcdef" for c in sha_key.lower()):
            raise BadInput(f"{where}: sha256 {sha_key!r} is not a SHA-256 hex digest")
        rows["sha"][sha_key.lower()] = metadata


def parse_manifest(data: bytes, name: str) -> Manifest:
    text = _decode(data, name)
    rows: dict[str, dict[str, RecordingMetadata]] = {"path": {}, "sha": {}}
    if name.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            header = reader.fieldnames
        except csv.Error as exc:
            raise BadInput(f"{name}: malformed CSV header ({exc})") from None
        if header is None:
            raise BadInput(f"{name}: empty CSV manifest")
        unknown = set(reader.fieldnames) - _FIELDS - _KEYS - _CSV_ONLY
        if unknown:
            raise BadInput(f"{name}: unknown column {sorted(unknown)[0]!r}")
        try:
            for line_number, row in enumerate(reader, start=2):
                if None in row:
                    raise BadInput(f"{name} line {line_number}: more values than columns")
                record: dict[str, Any] = {k: v for k, v in row.items() if k not in _CSV_ONLY and v not in (None, "")}
                lat, lon = row.get("receiver_lat"), row.get("receiver_lon")
                if lat or lon:
                    if "receiver_location" in record:
                        raise BadInput(f"{name} line {line_number}: both receiver_location and receiver_lat/lon")
                    record["receiver_location"] = {
                        "lat": lat, "lon": lon, "description": row.get("receiver_description") or None,
                    }
                _add(rows, record, f"{name} line {line_number}")
        except csv.Error as exc:
            raise BadInput(f"{name}: malformed CSV ({exc})") from None
    else:
        document = _load_json(text, name)
        if isinstance(document, dict) and set(document) == {"files"}:
            document = document["files"]
        if not isinstance(document, list):
            raise BadInput(f"{name}: a JSON manifest is a list of entries or {{\"files\": [...]}}")
        for index, record in enumerate(document):
            if not isinstance(record, dict):
                raise BadInput(f"{name} entry {index + 1}: must be an object")
            _add(rows, record, f"{name} entry {index + 1}")
    return Manifest(by_path=rows["path"], by_sha256=rows["sha"])
