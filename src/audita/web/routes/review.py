"""Version history, a version's text beside the version it corrects, and two-person sign-off."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from audita.errors import NotFound
from audita.review.history import diff_documents, history
from audita.review.signoff import sign_off
from audita.review.store import get_derivation, same_person
from audita.web.access import derivation_for, item_for, require
from audita.web.deps import audit, render, state, user
from audita.web.recording import build_recording
from audita.web.sessions import Session

router = APIRouter()


@router.get("/items/{item_id}/history")
def history_page(request: Request, item_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
        rows = history(connection, item.id)
        diffs = {}
        for version in rows:
            if version.parent_id and not version.is_machine:
                before = get_derivation(connection, version.parent_id).output
                after = get_derivation(connection, version.id).output
                diffs[version.id] = diff_documents(before, after)
    audit(request, me, "item.viewed", case_id=item.case_id, item_id=item.id,
          details={"view": "history", "versions": len(rows)})
    return render(request, "history.html", {"item": item, "versions": list(reversed(rows)), "diffs": diffs,
                                            "same_person": same_person})


@router.get("/items/{item_id}/versions/{version_id}")
def version_page(request: Request, item_id: str, version_id: str, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        item = item_for(connection, me, item_id)
        view = build_recording(connection, item.id, version_id)
    if view.version is None:
        raise NotFound("no such version")
    audit(request, me, "item.viewed", case_id=item.case_id, item_id=item.id,
          details={"view": "version", "version_id": view.version.id})
    return render(request, "version.html", {"item": item, "v": view})


@router.post("/versions/{version_id}/signoff")
def signoff(request: Request, version_id: str, decision: str = Form(...), note: str = Form(""),
            me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.reading() as connection:
        row, item = derivation_for(connection, me, version_id)
    require(me, "signoff")
    sign_off(web.workspace, row.id, decision=decision, note=note, actor=me.actor)
    return RedirectResponse(f"/items/{item.id}/history#v-{row.id}", status_code=303)
