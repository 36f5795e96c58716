"""A case's glossary (``audita.analysis.glossary``): the shipped terms merged with the case's own
rows, the history of those rows, and for analysts adding, changing and withdrawing terms.

Every edit is a new row (append-only; the newest row per term and language wins) and a
``glossary.edited`` custody entry written by the analysis package. The next analysis of a
recording in the case uses the edited glossary (its provenance names the glossary's hash)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from audita.analysis.glossary import LANGUAGES, add_entry, case_rows, load_glossary, withdraw_entry
from audita.web.access import case_for, require
from audita.web.deps import audit, render, state, user
from audita.web.sessions import Session

router = APIRouter()
MAX_FIELD = 2000
MAX_FILTER = 200


@router.get("/cases/{case_id}/glossary")
def glossary_page(request: Request, case_id: str, q: str = "", term: str = "", language: str = "",
                  me: Session = Depends(user)) -> Response:
    web = state(request)
    wanted = " ".join(q.split())[:MAX_FILTER].lower()
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
        merged = load_glossary(connection, case.id)
        rows = case_rows(connection, case.id)
    entries = [e for e in merged.entries
               if not wanted or wanted in e.term.lower() or wanted in e.gloss.lower() or wanted == e.category]
    editing = next((e for e in merged.entries if term and e.term == term and e.language == language), None)
    audit(request, me, "case.viewed", case_id=case.id, details={"view": "glossary", "filter": wanted})
    return render(request, "glossary.html", {
        "case": case, "entries": entries, "total": len(merged.entries), "rows": list(reversed(rows)), "q": wanted,
        "languages": LANGUAGES, "categories": sorted({e.category for e in merged.entries}), "editing": editing,
        "glossary_sha256": merged.sha256,
    })


@router.post("/cases/{case_id}/glossary")
def glossary_add(request: Request, case_id: str, term: str = Form(...), language: str = Form(...),
                 gloss: str = Form(...), category: str = Form(...), note: str = Form(""),
                 me: Session = Depends(user)) -> Response:
    """Add a term to the case's glossary, or change one (shipped or added): a new row supersedes."""
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "edit")
    add_entry(web.workspace, case.id, term[:MAX_FIELD], language, gloss[:MAX_FIELD], category[:MAX_FIELD],
              note[:MAX_FIELD], me.actor)
    return RedirectResponse(f"/cases/{case.id}/glossary#history", status_code=303)


@router.post("/cases/{case_id}/glossary/withdraw")
def glossary_withdraw(request: Request, case_id: str, term: str = Form(...), language: str = Form(...),
                      note: str = Form(""), me: Session = Depends(user)) -> Response:
    """Withdraw a term from this case's glossary (the earlier rows stay as history)."""
    web = state(request)
    with web.workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "edit")
    withdraw_entry(web.workspace, case.id, term[:MAX_FIELD], language, me.actor, note=note[:MAX_FIELD])
    return RedirectResponse(f"/cases/{case.id}/glossary#history", status_code=303)
