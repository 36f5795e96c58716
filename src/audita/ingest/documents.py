"""Ingest one open-source document (text, HTML, Telegram export, PDF) into a case.

Like a recording: the bytes are hashed while staged, stored write-once under their SHA-256 as an
item of kind ``document`` with an acquisition (source URL, capture time, title, publisher) and a
custody entry. The text and the extracted claims are recorded as derivations (``document.text``,
``document.extract``) in the same transaction. The document is parsed before anything is written:
an unreadable or malformed file raises ``BadInput`` and leaves nothing behind. The same bytes from
the same URL and capture time record nothing new; the same bytes from elsewhere are a second
acquisition of the same item.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from sqlalchemy import insert, select

from audita.cases import get_case
from audita.documents.claims import ExtractOptions, extract_claims
from audita.documents.extract import DocumentText, parse_document
from audita.documents.service import parser_tools, record_document_derivations
from audita.errors import BadInput
from audita.provenance import canonical_json, code_version, sha256_hex, utc_now
from audita.store.blobs import StagedBlob
from audita.store.schema import acquisitions, blobs, items, media_facts
from audita.workspace import Workspace, new_id

MAX_DOCUMENT_FILE_BYTES = 64 << 20
MAX_FIELD = 2000
LANGUAGES = ("ru", "uk", "en", "other")
DocumentStatus = Literal["ingested", "duplicate", "already"]


@dataclass(frozen=True)
class DocumentMetadata:
    """Where and when a document was captured; validated by ``document_metadata``."""

    source_url: str
    captured_at: str  # ISO 8601 UTC with Z
    title: str | None = None
    publisher: str | None = None
    language: str | None = None
    notes: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _field(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        return None
    if len(value) > MAX_FIELD:
        raise BadInput(f"{name} is longer than {MAX_FIELD} characters")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n" for ch in value):
        raise BadInput(f"{name} contains control characters")
    return value


def parse_capture_time(value: str) -> str:
    """ISO 8601 with a UTC offset (or Z) -> UTC with Z; anything else is refused."""
    text = (value or "").strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadInput(f"captured-at {value!r} is not an ISO 8601 date-time (e.g. 2022-05-03T10:15:00+03:00)")
    if parsed.tzinfo is None:
        raise BadInput(f"captured-at {value!r} has no UTC offset (add Z or +03:00)")
    if not 1990 <= parsed.year <= 2100:
        raise BadInput(f"captured-at {value!r} is out of range")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def document_metadata(source_url: str, captured_at: str, *, title: str | None = None, publisher: str | None = None,
                      language: str | None = None, notes: str | None = None) -> DocumentMetadata:
    url = _field("url", source_url)
    if url is None:
        raise BadInput("a document needs the URL it was captured from")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or re.search(r"\s", url):
        raise BadInput(f"url {url!r} is not an http(s) URL")
    lang = _field("language", language)
    if lang is not None and lang.lower() not in LANGUAGES:
        raise BadInput(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return DocumentMetadata(source_url=url, captured_at=parse_capture_time(captured_at),
                            title=_field("title", title), publisher=_field("publisher", publisher),
                            language=lang.lower() if lang else None, notes=_field("notes", notes))


@dataclass(frozen=True)
class DocumentOutcome:
    source: str
    status: DocumentStatus
    item_id: str
    sha256: str
    format: str
    paragraphs: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "warnings": list(self.warnings)}


def _facts(document: DocumentText, size: int) -> dict[str, Any]:
    return {"kind": "document", "format": document.format, "encoding": document.encoding, "pages": document.pages,
            "paragraphs": len(document.paragraphs), "characters": len(document.text), "size": size,
            "warnings": list(document.warnings)}


def ingest_document(workspace: Workspace, case: str, path: Path, *, metadata: DocumentMetadata, actor: str,
                    extract_options: ExtractOptions | None = None) -> DocumentOutcome:
    """Store one document file with its capture metadata, text and extracted claims."""
    path = Path(path)
    if path.is_symlink():
        raise BadInput(f"{path}: symbolic links are not followed")
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
    try:
        with open(path, "rb") as handle:
            staged = workspace.blobs.stage(handle, max_bytes=MAX_DOCUMENT_FILE_BYTES)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return _ingest_staged(workspace, case_row.id, path, staged, metadata, actor, extract_options)
    finally:
        workspace.blobs.discard(staged)


def _ingest_staged(workspace: Workspace, case_id: str, path: Path, staged: StagedBlob, metadata: DocumentMetadata,
                   actor: str, extract_options: ExtractOptions | None) -> DocumentOutcome:
    data = staged.path.read_bytes()
    try:
        document = parse_document(data)
    except BadInput as exc:
        raise BadInput(f"{path.name}: {exc}; nothing stored") from None
    source_path = str(path.resolve())
    fingerprint = sha256_hex(canonical_json({
        "case": case_id, "sha256": staged.sha256, "source": source_path, "member": None,
        "metadata": metadata.as_dict(), "kind": "document",
    }))
    with workspace.reading() as connection:
        existing = connection.execute(
            select(acquisitions.c.item_id).where(acquisitions.c.fingerprint == fingerprint)
        ).first()
    if existing is not None:
        return DocumentOutcome(str(path), "already", existing.item_id, staged.sha256, document.format,
                               len(document.paragraphs), ("already ingested from this source",))
    extraction = extract_claims(document, captured_at=metadata.captured_at, language=metadata.language,
                                options=extract_options)
    created: list[str] = []
    try:
        with workspace.action() as connection:
            if connection.execute(select(blobs.c.sha256).where(blobs.c.sha256 == staged.sha256)).first() is None:
                connection.execute(insert(blobs).values(sha256=staged.sha256, size=staged.size, stored_at=utc_now()))
            if workspace.blobs.commit(staged):
                created.append(staged.sha256)
            row = connection.execute(
                select(items.c.id, items.c.kind).where(items.c.case_id == case_id, items.c.blob_sha256 == staged.sha256)
            ).first()
            if row is not None and row.kind != "document":
                raise BadInput(f"{path.name}: the same bytes are already item {row.id} of kind {row.kind}")
            duplicate = row is not None
            item_id = row.id if row is not None else new_id()
            now = utc_now()
            if not duplicate:
                connection.execute(insert(items).values(
                    id=item_id, case_id=case_id, blob_sha256=staged.sha256, kind="document",
                    display_name=path.name, parent_item_id=None, created_at=now, created_by=actor,
                ))
            acquisition_id = new_id()
            connection.execute(insert(acquisitions).values(
                id=acquisition_id, item_id=item_id, fingerprint=fingerprint, source_path=source_path,
                original_name=path.name, archive_item_id=None, archive_member=None,
                metadata_json=json.dumps(metadata.as_dict(), ensure_ascii=False, sort_keys=True),
                metadata_sources_json="[]", acquired_at=now, acquired_by=actor, code_version=code_version(),
            ))
            if connection.execute(select(media_facts.c.id).where(media_facts.c.blob_sha256 == staged.sha256)).first() is None:
                connection.execute(insert(media_facts).values(
                    blob_sha256=staged.sha256, facts_json=json.dumps(_facts(document, staged.size), sort_keys=True),
                    tool=parser_tools(), options_json=json.dumps({"parser": document.format}),
                    code_version=code_version(), created_at=now,
                ))
            workspace.record(
                connection, "item.reacquired" if duplicate else "item.ingested", actor, case_id=case_id,
                item_id=item_id, details={
                    "sha256": staged.sha256, "size": staged.size, "original_name": path.name,
                    "source_path": source_path, "archive_member": None, "archive_item_id": None,
                    "acquisition_id": acquisition_id, "metadata": metadata.as_dict(), "metadata_sources": [],
                    "kind": "document", "format": document.format,
                },
            )
            record_document_derivations(workspace, connection, item_id=item_id, case_id=case_id,
                                        blob_sha256=staged.sha256, document=document, extraction=extraction,
                                        options=extract_options or ExtractOptions(), actor=actor)
    except BaseException:
        for sha in created:
            workspace.blobs.remove_unreferenced(sha)
        raise
    return DocumentOutcome(str(path), "duplicate" if duplicate else "ingested", item_id, staged.sha256,
                           document.format, len(document.paragraphs), document.warnings)
