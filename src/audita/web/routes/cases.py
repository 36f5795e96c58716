"""Cases: the list, the overview (recordings, documents, incidents, open flags, map, timeline), the
custody log, upload with background processing, export, search and job progress. The case's
incident decisions and glossary live in ``routes.incidents`` and ``routes.glossary``, included here."""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from audita.cases import create_case
from audita.custody.log import entries
from audita.errors import AuditaError, BadInput
from audita.ingest.service import IngestOptions, ingest_paths
from audita.search.api import SOURCES
from audita.store.schema import cases as cases_table
from audita.store.schema import items
from audita.transcripts import current_transcript
from audita.web import searching
from audita.web.access import Hidden, allowed, case_for, require, visible_case_ids
from audita.web.accounts import case_member_users, list_users
from audita.web.deps import audit, render, state, user, wants_json
from audita.web.overview import build_overview, graticule
from audita.web.processing import analyze as run_analysis
from audita.web.processing import export_work
from audita.web.routes import glossary, incidents
from audita.web.sessions import Session

router = APIRouter()
router.include_router(incidents.router)
router.include_router(glossary.router)
EXPORT_NAME = re.compile(r"^([0-9a-f]{32})-\d{8}T\d{6}Z-[0-9a-f]{8}\.zip$")
MAX_QUERY = 500


@router.get("/")
def home(me: Session = Depends(user)) -> Response:
    return RedirectResponse("/cases", status_code=303)


def _visible_cases(request: Request, me: Session) -> list[Any]:
    with state(request).workspace.reading() as connection:
        visible = visible_case_ids(connection, me)
        counts = select(items.c.case_id, func.count().label("n")).group_by(items.c.case_id).subquery()
        query = (select(cases_table, func.coalesce(counts.c.n, 0).label("n"))
                 .select_from(cases_table.outerjoin(counts, counts.c.case_id == cases_table.c.id))
                 .order_by(cases_table.c.name))
        rows = connection.execute(query).all()
    return [r for r in rows if visible is None or r.id in visible]


@router.get("/cases")
def case_list(request: Request, me: Session = Depends(user)) -> Response:
    rows = _visible_cases(request, me)
    audit(request, me, "web.cases_viewed", details={"cases": len(rows)})
    return render(request, "cases.html", {"cases": rows})


@router.post("/cases")
def case_create(request: Request, name: str = Form(...), description: str = Form(""),
                me: Session = Depends(user)) -> Response:
    require(me, "manage")
    created = create_case(state(request).workspace, name, actor=me.actor, description=description.strip()[:4000])
    return RedirectResponse(f"/cases/{created.id}", status_code=303)


@router.get("/cases/{case_id}")
def case_overview(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
        overview = build_overview(connection, case.id)
        members = case_member_users(connection, case.id)
        everyone = list_users(connection) if allowed(me, "manage") else []
    exports = _exports(web.exports_dir, case.id) if allowed(me, "export") else []
    jobs = [j.snapshot() for j in web.jobs.for_case(case.id)][-20:]
    audit(request, me, "case.viewed", case_id=case.id, details={"view": "overview"})
    return render(request, "case.html", {
        "case": case, "o": overview, "map": graticule(), "members": members, "users": everyone,
        "exports": exports, "jobs": jobs, "processing": web.processor is not None,
        "incidents": searching.incidents(web.workspace, case.id),
        "names": {r.id: r.name for r in (*overview.recordings, *overview.documents)},
        "kinds": {r.id: r.kind for r in (*overview.recordings, *overview.documents)},
    })


@router.get("/cases/{case_id}/log")
def case_log(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    with state(request).workspace.reading() as connection:
        case = case_for(connection, me, case_id)
        rows = entries(connection, case_id=case.id, limit=300)
    audit(request, me, "case.log_viewed", case_id=case.id, details={"entries": len(rows)})
    return render(request, "case_log.html", {"case": case, "entries": list(reversed(rows))})


# --- upload ---------------------------------------------------------------------------------------

def _safe_filename(raw: str) -> str:
    """One path component from a client-supplied name: no folders, no control characters."""
    name = unicodedata.normalize("NFC", unquote(raw or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp"))
    name = name.strip().lstrip(".")
    return name[:200] or "upload.bin"


@router.get("/cases/{case_id}/upload")
def upload_page(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "upload")
    return render(request, "upload.html", {"case": case, "limit": web.options.max_upload_bytes,
                                           "processing": web.processor is not None})


def is_multipart(request: Request) -> bool:
    """The request body is a multipart form (a file field and text fields)."""
    return request.headers.get("content-type", "").split(";")[0].strip() == "multipart/form-data"


async def _receive_upload(request: Request, folder: Path) -> tuple[Path, bool]:
    """Write the uploaded file into ``folder``: a raw body named by X-Filename (the drag-and-drop
    page) or the ``file`` field of a multipart form (the form without JavaScript)."""
    if is_multipart(request):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise BadInput("choose a file to upload")
        target = folder / _safe_filename(upload.filename or "")
        with open(target, "wb") as out:
            while chunk := await upload.read(1 << 20):
                out.write(chunk)
        process = form.get("process") == "1"
        return target, process
    target = folder / _safe_filename(request.headers.get("x-filename", ""))
    with open(target, "wb") as out:
        async for chunk in request.stream():
            out.write(chunk)
    return target, request.headers.get("x-process", "") == "1"


async def upload_case(request: Request, case_id: str, me: Session) -> Any:
    """The case ``me`` may upload into: visible to them (else 404) and their role may upload (else 403)."""
    web = state(request)

    def check() -> Any:
        with web.workspace.reading() as connection:
            return case_for(connection, me, case_id)

    case = await run_in_threadpool(check)
    require(me, "upload")
    return case


@contextmanager
def upload_folder(request: Request, prefix: str) -> Iterator[Path]:
    """A fresh folder under the upload directory for one request's file, removed afterwards
    (the file is copied into the store or refused; nothing is kept here)."""
    folder = state(request).upload_dir / f"{prefix}-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/cases/{case_id}/upload")
async def upload(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    case = await upload_case(request, case_id, me)
    with upload_folder(request, "web-upload") as folder:
        path, process = await _receive_upload(request, folder)
        size = path.stat().st_size
        options = IngestOptions(max_file_bytes=web.options.max_upload_bytes)
        report = await run_in_threadpool(ingest_paths, web.workspace, case.id, [path], actor=me.actor, options=options)
    outcomes = [{"name": path.name, "status": o.status, "message": o.message, "item_id": o.item_id,
                 "sha256": o.sha256} for o in report.outcomes]
    await run_in_threadpool(audit, request, me, "web.uploaded", case_id=case.id,
                            details={"filename": path.name, "bytes": size, "outcomes": outcomes})
    jobs = []
    if process and web.processor is not None and allowed(me, "process"):
        for o in report.outcomes:
            if o.status == "ingested" and o.item_id:
                jobs.append(await run_in_threadpool(_queue_processing, request, me, case.id, o.item_id, path.name))
    if wants_json(request):
        return JSONResponse({"outcomes": outcomes, "jobs": jobs})
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _queue_processing(request: Request, me: Session, case_id: str, item_id: str, title: str) -> dict[str, Any]:
    web = state(request)
    processor = web.processor
    if processor is None:
        raise BadInput("speech processing is not installed")
    workspace = web.workspace

    def work(report: Any) -> dict[str, Any]:
        try:
            processor(workspace, item_id, me.actor, report)
        except Exception as exc:
            with workspace.action() as connection:
                workspace.record(connection, "item.processing_failed", me.actor, case_id=case_id, item_id=item_id,
                                 details={"via": "web", "error": (str(exc) if isinstance(exc, AuditaError)
                                                                  else exc.__class__.__name__)[:500]})
            raise
        return {"item_id": item_id}

    audit(request, me, "item.processing_requested", case_id=case_id, item_id=item_id)
    job = web.jobs.submit(kind="process", case_id=case_id, item_id=item_id, actor=me.actor, title=title, work=work)
    return job.snapshot()


@router.post("/cases/{case_id}/analyze")
def analyze_case(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    """Analyse the current version of every transcribed recording of the case again (after a
    glossary change), in one background job; unchanged inputs reuse their earlier analysis."""
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
        recordings = [r.id for r in connection.execute(
            select(items.c.id).where(items.c.case_id == case.id, items.c.kind == "recording")
            .order_by(items.c.created_at, items.c.id)).all() if current_transcript(connection, r.id) is not None]
    require(me, "process")
    workspace, actor = web.workspace, me.actor

    def work(report: Any) -> dict[str, Any]:
        analysed = []
        for n, item_id in enumerate(recordings):
            report(n / max(len(recordings), 1), f"analysis {n + 1} of {len(recordings)}")
            analysed.append(run_analysis(workspace, item_id, actor))
        return {"recordings": len(recordings), "analyses": analysed}

    audit(request, me, "case.analysis_requested", case_id=case.id, details={"recordings": len(recordings)})
    job = web.jobs.submit(kind="analysis", case_id=case.id, item_id=None, actor=actor,
                          title=f"analysis of {case.name}", work=work)
    if wants_json(request):
        return JSONResponse(job.snapshot(), status_code=202)
    return RedirectResponse(f"/cases/{case.id}#jobs", status_code=303)


# --- export ---------------------------------------------------------------------------------------

def _exports(folder: Path, case_id: str) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob(f"{case_id}-*.zip"), reverse=True):
        if EXPORT_NAME.match(path.name):
            found.append({"name": path.name, "bytes": path.stat().st_size})
    return found


@router.post("/cases/{case_id}/export")
def export(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "export")
    audit(request, me, "case.export_requested", case_id=case.id)
    job = web.jobs.submit(kind="export", case_id=case.id, item_id=None, actor=me.actor, title=f"export {case.name}",
                          work=export_work(web.workspace, case.id, me.actor, web.exports_dir))
    if wants_json(request):
        return JSONResponse(job.snapshot(), status_code=202)
    return RedirectResponse(f"/cases/{case.id}#jobs", status_code=303)


@router.get("/cases/{case_id}/exports/{name}")
def export_download(request: Request, case_id: str, name: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "export")
    match = EXPORT_NAME.match(name)
    path = web.exports_dir / name
    if match is None or match.group(1) != case.id or not path.is_file():
        raise Hidden("not found")
    audit(request, me, "case.export_downloaded", case_id=case.id, details={"file": name, "bytes": path.stat().st_size})
    return FileResponse(path, media_type="application/zip", filename=name)


# --- jobs and search --------------------------------------------------------------------------------

@router.get("/api/jobs/{job_id}")
def job_status(request: Request, job_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    job = web.jobs.get(job_id) if re.fullmatch(r"[0-9a-f]{32}", job_id) else None
    if job is None:
        raise Hidden("not found")
    with web.workspace.reading() as connection:
        case_for(connection, me, job.case_id)
    return JSONResponse(job.snapshot())


@router.get("/search")
def search_page(request: Request, q: str = "", case: str = "", date_from: str = "", date_to: str = "",
                place: str = "", speaker: str = "", category: str = "", source: str = "", page: int = 1,
                me: Session = Depends(user)) -> Response:
    web = state(request)
    query = q.strip()[:MAX_QUERY]
    filters = {k: v.strip()[:200] for k, v in (("date_from", date_from), ("date_to", date_to), ("place", place),
                                                ("speaker", speaker), ("category", category), ("source", source))
               if v.strip()}
    page = searching.page_number(page)
    found = searching.Page([], page, False)
    problem = ""
    with web.workspace.reading() as connection:
        visible = visible_case_ids(connection, me)
        all_cases = connection.execute(select(cases_table.c.id, cases_table.c.name).order_by(cases_table.c.name)).all()
        choices = [c for c in all_cases if visible is None or c.id in visible]
        case_ids = [c.id for c in choices if not case or c.id == case]
        if query and case_ids:
            try:
                found = searching.search(web.workspace, connection, query, case_ids, filters, page)
            except BadInput as exc:
                problem = str(exc)
    results = found.hits
    if query:
        audit(request, me, "search.performed", details={"query": query, "filters": filters, "cases": case_ids,
                                                        "page": page, "results": len(results),
                                                        "items": sorted({r["item_id"] for r in results})})
    names = {c.id: c.name for c in choices}
    kept = {"q": query, "case": case, **filters}
    pages = {"previous": f"/search?{urlencode({**kept, 'page': page - 1})}" if page > 1 else None,
             "next": f"/search?{urlencode({**kept, 'page': page + 1})}" if found.more and page < searching.MAX_PAGE
             else None, "first": found.first, "number": found.number}
    return render(request, "search.html", {"q": query, "case": case, "cases": choices, "names": names,
                                           "results": results, "filters": filters, "problem": problem,
                                           "pages": pages, "categories": searching.categories(), "sources": SOURCES})
