"""A recording: the page (player, waveform, transcript, translation, speakers, entities, flags),
its audio and waveform peaks, processing, and analyst corrections."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from audita.analysis.review import decide_flag as record_flag_decision
from audita.errors import BadInput, NotFound
from audita.review import (
    TransmissionChange,
    edit_transcript,
    label_speaker,
    merge_speakers,
)
from audita.review.reading import flagging_row
from audita.transcripts import current_transcript
from audita.web.access import item_for, require
from audita.web.deps import audit, render, state, user, wants_json
from audita.web.documents import build_document
from audita.web.media import RangeNotSatisfiable, browser_type, file_chunks, parse_range
from audita.web.overview import item_metadata
from audita.web.processing import analyze as run_analysis
from audita.web.recording import build_recording
from audita.web.routes.cases import _queue_processing
from audita.web.sessions import Session

router = APIRouter()
FLAG_DECISIONS = ("confirmed", "rejected")


@router.get("/items/{item_id}")
def recording_page(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
        if item.kind == "document":
            return _document_page(request, me, item, connection)
        view = build_recording(connection, item.id)
        metadata = item_metadata(connection, item.id)
    playable = browser_type(web.workspace.blobs.path_for(item.blob_sha256)) is not None
    jobs = [j.snapshot() for j in web.jobs.for_case(item.case_id) if j.item_id == item.id and j.state in
            ("queued", "running")]
    audit(request, me, "item.viewed", case_id=item.case_id, item_id=item.id,
          details={"view": "recording", "sha256": item.blob_sha256,
                   "version_id": view.version.id if view.version else None})
    return render(request, "recording.html", {
        "item": item, "v": view, "meta": metadata, "playable": playable, "jobs": jobs,
        "processing": web.processor is not None,
    })


def _document_page(request: Request, me: Session, item: Any, connection: Any) -> Response:
    """A document (a published report, a post): its extracted text by paragraph, with the
    indicators, places and people found in it marked on the words (``#p=3`` opens paragraph 3)."""
    view = build_document(connection, item.id)
    metadata = item_metadata(connection, item.id)
    audit(request, me, "item.viewed", case_id=item.case_id, item_id=item.id,
          details={"view": "document", "sha256": item.blob_sha256,
                   "text_id": view.text_row.id if view.text_row else None})
    return render(request, "document.html", {"item": item, "meta": metadata, "d": view})


@router.get("/api/items/{item_id}/audio")
def audio(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    """The original's bytes with HTTP Range support, or, for formats browsers cannot play, a
    16 kHz WAV decoded from it (header X-Audita-Playback: derived)."""
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
    path = web.workspace.blobs.path_for(item.blob_sha256)
    media_type = browser_type(path)
    derived = media_type is None
    payload: bytes | None = web.media.playback_wav(item.blob_sha256, path) if derived else None
    size = len(payload) if payload is not None else path.stat().st_size
    try:
        wanted = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={"content-range": f"bytes */{size}", "accept-ranges": "bytes"})
    start, end = wanted if wanted is not None else (0, size - 1)
    if start == 0:  # a new playback (or a download) starts here; later ranges of it are not logged again
        audit(request, me, "item.audio_served", case_id=item.case_id, item_id=item.id,
              details={"sha256": item.blob_sha256, "playback": "derived-wav" if derived else "original",
                       "range": request.headers.get("range", "")[:100]})
    headers = {"accept-ranges": "bytes", "content-length": str(end - start + 1),
               "x-audita-playback": "derived" if derived else "original"}
    if wanted is not None:
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    status = 206 if wanted is not None else 200
    body = iter([payload[start:end + 1]]) if payload is not None else file_chunks(path, start, end)
    return StreamingResponse(body, status_code=status, headers=headers,
                             media_type="audio/wav" if derived else media_type)


@router.get("/api/items/{item_id}/peaks")
def peaks(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
    try:
        found = web.media.peaks(item.blob_sha256, web.workspace.blobs.path_for(item.blob_sha256))
    except BadInput:
        return JSONResponse({"duration": 0, "peaks": []})
    return JSONResponse(found.to_dict())


@router.post("/items/{item_id}/process")
def process(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
    require(me, "process")
    if item.kind != "recording":
        raise BadInput("only recordings are processed")
    job = _queue_processing(request, me, item.case_id, item.id, item.display_name)
    if wants_json(request):
        return JSONResponse(job, status_code=202)
    return RedirectResponse(f"/items/{item.id}", status_code=303)


@router.post("/items/{item_id}/analyze")
def analyze(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    """Analyse the current version again (after corrections), in the background."""
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
        has_transcript = current_transcript(connection, item_id) is not None
    require(me, "process")
    if not has_transcript:
        raise BadInput("this item has no transcript to analyse yet")
    workspace, actor = web.workspace, me.actor
    audit(request, me, "item.analysis_requested", case_id=item.case_id, item_id=item.id)
    job = web.jobs.submit(kind="analysis", case_id=item.case_id, item_id=item.id, actor=actor,
                          title=item.display_name, work=lambda report: {"analysis_id": run_analysis(workspace, item.id,
                                                                                                       actor)})
    if wants_json(request):
        return JSONResponse(job.snapshot(), status_code=202)
    return RedirectResponse(f"/items/{item.id}", status_code=303)


# --- corrections ----------------------------------------------------------------------------------

@router.get("/items/{item_id}/edit")
def edit_page(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
        require(me, "edit")
        view = build_recording(connection, item.id)
    if view.version is None:
        raise NotFound("no transcript yet")
    audit(request, me, "item.viewed", case_id=item.case_id, item_id=item.id,
          details={"view": "edit", "version_id": view.version.id})
    return render(request, "edit.html", {"item": item, "v": view})


def _analyst_translation(t: dict[str, Any]) -> str:
    return " / ".join(str(r.get("text", "")) for r in t.get("translations") or [] if r.get("method") == "analyst")


@router.post("/items/{item_id}/transcript")
async def save_edit(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    form = await request.form()
    base_version_id = str(form.get("base_version_id", ""))
    note = str(form.get("note", ""))

    def run() -> Any:
        with web.workspace.reading() as connection:
            item = item_for(connection, me, item_id)
            require(me, "edit")
            current = current_transcript(connection, item.id)
        if current is None:
            raise NotFound("no transcript yet")
        changes = []
        for t in current.output.get("transmissions", []):
            n = int(t["index"])
            text, translation, speaker = form.get(f"text_{n}"), form.get(f"translation_{n}"), form.get(f"speaker_{n}")
            change = TransmissionChange(
                n,
                text=str(text) if isinstance(text, str) and " ".join(text.split()) != (t.get("text") or "") else None,
                translation=str(translation) if isinstance(translation, str)
                and translation.strip() != _analyst_translation(t) else None,
                speaker=str(speaker) if isinstance(speaker, str) and speaker.strip() != (t.get("speaker") or "") else None,
            )
            if (change.text, change.translation, change.speaker) != (None, None, None):
                changes.append(change)
        if not changes:
            raise BadInput("nothing changed")
        return item, edit_transcript(web.workspace, item.id, base_version_id=base_version_id, changes=changes,
                                     note=note, actor=me.actor)

    item, version = await run_in_threadpool(run)
    if wants_json(request):
        return JSONResponse({"version_id": version.id}, status_code=201)
    return RedirectResponse(f"/items/{item.id}/history#v-{version.id}", status_code=303)


@router.post("/items/{item_id}/speakers/rename")
def rename_speaker(request: Request, item_id: str, label: str = Form(...), name: str = Form(...),
                   me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
    require(me, "edit")
    label_speaker(web.workspace, item.id, label=label, name=name, actor=me.actor)
    return RedirectResponse(f"/items/{item.id}#speakers", status_code=303)


@router.post("/items/{item_id}/speakers/merge")
async def merge(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    form = await request.form()
    sources = [str(v) for v in form.getlist("from")]

    def run() -> Any:
        with web.workspace.reading() as connection:
            item = item_for(connection, me, item_id)
        require(me, "edit")
        merge_speakers(web.workspace, item.id, base_version_id=str(form.get("base_version_id", "")), labels=sources,
                       into=str(form.get("into", "")), note=str(form.get("note", "")), actor=me.actor)
        return item

    item = await run_in_threadpool(run)
    return RedirectResponse(f"/items/{item.id}#speakers", status_code=303)


@router.post("/items/{item_id}/flags/{flag_id}")
def decide_flag(request: Request, item_id: str, flag_id: str, analysis_id: str = Form(...),
                decision: str = Form(...), note: str = Form(""), me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
        require(me, "edit")
        analysis, _ = flagging_row(connection, item.id, item.kind)
    if analysis is None or analysis.id != analysis_id:
        raise NotFound("no such analysis")
    flags = analysis.output.get("flags") if isinstance(analysis.output, dict) else None
    if not any(isinstance(f, dict) and str(f.get("id")) == flag_id for f in flags or []):
        raise NotFound("no such flag")
    if decision not in FLAG_DECISIONS:
        raise BadInput("decision must be confirmed or rejected")
    record_flag_decision(web.workspace, analysis_id=analysis.id, flag_id=flag_id, decision=decision,
                         note=note.strip()[:4000], actor=me.actor)
    return RedirectResponse(f"/items/{item.id}#flag-{flag_id}", status_code=303)

