"""Incidents of a case (``audita.search.incidents``): suggest links between items in the
background, and record an analyst's decision on a suggested pair (accept: same event; split:
different events). Decisions are ``incident.decision`` derivations, custody action
``item.reviewed``, written by the search package."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from audita.errors import BadInput
from audita.search.incidents import decide_link, suggest_incidents
from audita.web.access import Hidden, case_for, item_for, require
from audita.web.deps import audit, state, user, wants_json
from audita.web.jobs import Report
from audita.web.sessions import Session

router = APIRouter()
DECISIONS = ("accepted", "split")
MAX_NOTE = 4000


@router.post("/cases/{case_id}/incidents/suggest")
def suggest(request: Request, case_id: str, me: Session = Depends(user)) -> Response:
    """Score the case's item pairs again and record changed suggestions (a background job)."""
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "process")
    workspace, actor = web.workspace, me.actor

    def work(report: Report) -> dict[str, Any]:
        def progress(done: int, total: int, label: str) -> None:
            report(done / max(total, 1), label)

        found = suggest_incidents(workspace, case.id, actor=actor, progress=progress)
        return {"incidents": len(found.incidents), "recorded": found.recorded}

    audit(request, me, "incidents.suggest_requested", case_id=case.id)
    job = web.jobs.submit(kind="incidents", case_id=case.id, item_id=None, actor=actor,
                          title=f"incidents {case.name}", work=work)
    if wants_json(request):
        return JSONResponse(job.snapshot(), status_code=202)
    return RedirectResponse(f"/cases/{case.id}#incidents", status_code=303)


@router.post("/cases/{case_id}/incidents/decide")
def decide(request: Request, case_id: str, item_a: str = Form(...), item_b: str = Form(...),
           decision: str = Form(...), note: str = Form(""), me: Session = Depends(user)) -> Response:
    """Accept or split the pair (``item_a``, ``item_b``): both items must lie in this case."""
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
        first, second = item_for(connection, me, item_a), item_for(connection, me, item_b)
    if first.case_id != case.id or second.case_id != case.id:
        raise Hidden("not found")
    require(me, "edit")
    if decision not in DECISIONS:
        raise BadInput("decision must be accepted or split")
    if first.id == second.id:
        raise BadInput("a link needs two different items")

    row = decide_link(web.workspace, case.id, first.id, second.id, decision,  # type: ignore[arg-type]
                      actor=me.actor, note=note.strip()[:MAX_NOTE])
    if wants_json(request):
        return JSONResponse({"decision_id": row.id}, status_code=201)
    return RedirectResponse(f"/cases/{case.id}#incidents", status_code=303)
