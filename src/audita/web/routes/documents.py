"""Documents through the workbench: a form to add one open-source document (an article, a captured
Telegram post: HTML, PDF, text) to a case with where and when it was captured. The file is received
like a recording upload (``routes.cases._receive_upload``), then ``ingest_document`` stores it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from audita.errors import BadInput
from audita.ingest.documents import LANGUAGES, document_metadata, ingest_document
from audita.web.access import CaseRef, case_for, require
from audita.web.deps import audit, render, state, user, wants_json
from audita.web.routes.cases import _receive_upload, is_multipart, upload_case, upload_folder
from audita.web.sessions import Session

router = APIRouter()
FIELDS = ("source_url", "captured_at", "title", "publisher", "language", "notes")


def _form_page(request: Request, case: CaseRef, values: dict[str, str], error: str | None = None,
               status_code: int = 200) -> Response:
    return render(request, "document_new.html", {
        "case": case, "values": values, "error": error, "languages": LANGUAGES,
        "limit": state(request).options.max_upload_bytes}, status_code=status_code)


@router.get("/cases/{case_id}/documents/new")
def document_form(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "upload")
    return _form_page(request, case, {})


async def _entered(request: Request) -> dict[str, str]:
    """The text fields as the user typed them (to fill the form again after a refusal)."""
    if not is_multipart(request):
        return {}
    form = await request.form()  # parsed once per request (the CSRF guard read it already)
    return {name: value for name in FIELDS if isinstance(value := form.get(name), str)}


@router.post("/cases/{case_id}/documents")
async def document_upload(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    case = await upload_case(request, case_id, me)
    values = await _entered(request)
    limit = web.options.max_upload_bytes
    with upload_folder(request, "web-document") as folder:
        try:
            if not is_multipart(request):
                raise BadInput("send the document as a multipart form with a file field")
            metadata = document_metadata(values.get("source_url", ""), values.get("captured_at", ""),
                                         title=values.get("title"), publisher=values.get("publisher"),
                                         language=values.get("language"), notes=values.get("notes"))
            path, _ = await _receive_upload(request, folder)
            size = path.stat().st_size
            if size == 0:
                raise BadInput("choose a file to upload (the file is empty)")
            if size > limit:
                raise BadInput(f"{path.name} is {size} bytes, over the upload limit of {limit} bytes; nothing stored")
            outcome = await run_in_threadpool(ingest_document, web.workspace, case.id, path, metadata=metadata,
                                              actor=me.actor)
        except BadInput as exc:
            if wants_json(request):
                return JSONResponse({"error": str(exc)}, status_code=400)
            return _form_page(request, case, values, str(exc), status_code=400)
    await run_in_threadpool(audit, request, me, "web.document_uploaded", case_id=case.id, item_id=outcome.item_id,
                            details={"filename": path.name, "bytes": size, "url": metadata.source_url,
                                     "status": outcome.status, "item_id": outcome.item_id})
    if wants_json(request):
        return JSONResponse({"outcome": {**outcome.to_dict(), "source": path.name}})
    return RedirectResponse(f"/items/{outcome.item_id}", status_code=303)
