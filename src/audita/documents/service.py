"""Documents in the store: their text and claims as derivations, listing, re-extraction.

Stages (docs/search.md): ``document.text`` (``audita.document/1``: paragraphs with offsets, title,
publisher, publication time from the document's own metadata) hangs off nothing; its input hash
covers the original's SHA-256. ``document.extract`` (``audita.document.extract/1``) is computed from
the text row and the acquisition's capture time; its options name the analysis code used, so an
extraction after ``audita.analysis`` is installed or upgraded is a new row beside the old one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata as importlib_metadata
from typing import Any

from sqlalchemy import Connection, select

from audita.cases import get_case
from audita.derived import Derivation, Provenance, find_reusable, latest, record
from audita.documents.claims import EXTRACTOR_VERSION, ExtractOptions, Extraction, extract_claims
from audita.documents.extract import DocumentText, parse_document
from audita.errors import NotFound
from audita.provenance import canonical_json, sha256_hex
from audita.store.schema import acquisitions, items
from audita.workspace import Workspace

TEXT_STAGE = "document.text"
EXTRACT_STAGE = "document.extract"
PARSER_VERSION = "1"


def _version(distribution: str) -> str:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def parser_tools() -> str:
    return f"audita.documents/{PARSER_VERSION}; pypdf {_version('pypdf')}; lxml {_version('lxml')}"


def _inputs(**values: str | None) -> str:
    return sha256_hex(canonical_json(values))


def text_provenance(blob_sha256: str) -> Provenance:
    return Provenance(stage=TEXT_STAGE, input_sha256=_inputs(document=blob_sha256), engine=parser_tools(),
                      options={"parser": PARSER_VERSION})


def extract_provenance(blob_sha256: str, text_row: Derivation, captured_at: str | None, language: str | None,
                       options: ExtractOptions) -> Provenance:
    return Provenance(
        stage=EXTRACT_STAGE,
        input_sha256=_inputs(document=blob_sha256, text=text_row.output_sha256, captured_at=captured_at,
                             language=language),
        engine=f"audita.documents.claims/{EXTRACTOR_VERSION}; natasha {_version('natasha')}; "
               f"pymorphy3 {_version('pymorphy3')}",
        options=options.to_dict(), parent_id=text_row.id,
    )


def record_document_derivations(workspace: Workspace, connection: Connection, *, item_id: str, case_id: str,
                                blob_sha256: str, document: DocumentText, extraction: Extraction,
                                options: ExtractOptions, actor: str) -> tuple[Derivation, Derivation]:
    """Record (or reuse) the text and extraction rows inside the caller's write transaction."""
    provenance = text_provenance(blob_sha256)
    text_row = find_reusable(connection, item_id, provenance) or record(
        workspace, connection, item_id=item_id, case_id=case_id, provenance=provenance, output=document.to_dict(),
        actor=actor)
    provenance = extract_provenance(blob_sha256, text_row, extraction.captured, extraction.language, options)
    extract_row = find_reusable(connection, item_id, provenance) or record(
        workspace, connection, item_id=item_id, case_id=case_id, provenance=provenance, output=extraction.to_dict(),
        actor=actor)
    return text_row, extract_row


@dataclass(frozen=True)
class DocumentSummary:
    item_id: str
    case_id: str
    name: str
    sha256: str
    format: str | None
    title: str | None
    publisher: str | None
    source_url: str | None
    captured_at: str | None
    published: str | None
    language: str | None
    paragraphs: int
    quotes: int
    casualty_claims: int
    flags: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def first_acquisition(connection: Connection, item_id: str) -> dict[str, Any]:
    row = connection.execute(
        select(acquisitions.c.metadata_json).where(acquisitions.c.item_id == item_id)
        .order_by(acquisitions.c.acquired_at, acquisitions.c.id).limit(1)
    ).first()
    return json.loads(row.metadata_json) if row is not None else {}


def document_text(connection: Connection, item_id: str) -> tuple[Derivation, DocumentText] | None:
    row = latest(connection, item_id, TEXT_STAGE)
    return (row, DocumentText.from_dict(row.output)) if row is not None else None


def document_extraction(connection: Connection, item_id: str) -> Derivation | None:
    return latest(connection, item_id, EXTRACT_STAGE)


def list_documents(workspace: Workspace, case: str) -> list[DocumentSummary]:
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
        rows = connection.execute(
            select(items).where(items.c.case_id == case_row.id, items.c.kind == "document")
            .order_by(items.c.created_at, items.c.id)
        ).all()
        out = []
        for row in rows:
            acquired = first_acquisition(connection, row.id)
            text = document_text(connection, row.id)
            extract = document_extraction(connection, row.id)
            claims = extract.output if extract is not None else {}
            document = text[1] if text else None
            out.append(DocumentSummary(
                item_id=row.id, case_id=row.case_id, name=row.display_name, sha256=row.blob_sha256,
                format=document.format if document else None,
                title=acquired.get("title") or (document.title if document else None),
                publisher=acquired.get("publisher") or (document.publisher if document else None),
                source_url=acquired.get("source_url"), captured_at=acquired.get("captured_at"),
                published=document.published if document else None, language=claims.get("language"),
                paragraphs=len(document.paragraphs) if document else 0, quotes=len(claims.get("quotes", [])),
                casualty_claims=len(claims.get("casualties", [])), flags=len(claims.get("flags", [])),
            ))
    return out


def reextract(workspace: Workspace, item_id: str, *, actor: str, options: ExtractOptions | None = None) -> Derivation:
    """Parse the stored original again and record text and claims (reused when nothing changed)."""
    options = options or ExtractOptions()
    with workspace.reading() as connection:
        row = connection.execute(select(items).where(items.c.id == item_id)).first()
        if row is None or row.kind != "document":
            raise NotFound(f"no document item {item_id!r}")
        acquired = first_acquisition(connection, item_id)
    with workspace.blobs.open(row.blob_sha256) as handle:
        data = handle.read()
    if sha256_hex(data) != row.blob_sha256:
        raise NotFound(f"item {item_id}: stored blob does not match its sha256; run `audita verify`")
    document = parse_document(data)
    extraction = extract_claims(document, captured_at=acquired.get("captured_at"), language=acquired.get("language"),
                                options=options)
    with workspace.action() as connection:
        _, extract_row = record_document_derivations(
            workspace, connection, item_id=item_id, case_id=row.case_id, blob_sha256=row.blob_sha256,
            document=document, extraction=extraction, options=options, actor=actor)
    return extract_row
