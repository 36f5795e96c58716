"""Store-facing glue for the comparison of a published transcript with a recording."""

from __future__ import annotations

from sqlalchemy import select

from audita.derived import Provenance, find_reusable, record
from audita.documents.service import document_text
from audita.errors import BadInput, NotFound
from audita.provenance import canonical_json, sha256_hex
from audita.search.compare import COMPARE_VERSION, Comparison, compare_text
from audita.store.schema import items
from audita.transcripts import current_transcript
from audita.workspace import Workspace

COMPARE_STAGE = "compare"


def compare_published(workspace: Workspace, item_id: str, *, text: str | None = None, document_item: str | None = None,
                      language: str | None = None, actor: str) -> tuple[Comparison, str | None]:
    """Compare a published transcript with the recording's current transcript. Given as a stored
    document item (in custody), the comparison is recorded as a ``compare`` derivation of the
    recording and its id returned; given as loose text it is only reported."""
    if (text is None) == (document_item is None):
        raise BadInput("give the published text or a document item, not both")
    with workspace.reading() as connection:
        row = connection.execute(select(items).where(items.c.id == item_id)).first()
        if row is None or row.kind != "recording":
            raise NotFound(f"item {item_id} is not a recording")
        transcript = current_transcript(connection, item_id)
        if transcript is None:
            raise NotFound(f"item {item_id} has no transcript yet; run 'audita process' first")
        document_row = None
        if document_item is not None:
            found = document_text(connection, document_item)
            if found is None:
                raise NotFound(f"item {document_item} is not a document with extracted text")
            document_row, document = found
            text = document.text
    assert text is not None
    result = compare_text(item_id, transcript, text, language=language)
    if document_row is None:
        return result, None
    provenance = Provenance(
        stage=COMPARE_STAGE,
        input_sha256=sha256_hex(canonical_json({"transcript": transcript.output_sha256,
                                                "document": document_row.output_sha256,
                                                "document_item": document_item})),
        engine=f"audita.search.compare/{COMPARE_VERSION}", options={"language": language},
        parent_id=transcript.id,
    )
    output = {**result.to_dict(), "document_item": document_item, "document_text_id": document_row.id}
    with workspace.action() as connection:
        derivation = find_reusable(connection, item_id, provenance) or record(
            workspace, connection, item_id=item_id, case_id=row.case_id, provenance=provenance, output=output,
            actor=actor)
    return result, derivation.id
