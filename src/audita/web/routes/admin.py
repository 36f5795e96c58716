"""Users and case membership (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from audita.errors import BadInput
from audita.web.access import ID, Hidden, case_for, require
from audita.web.accounts import (
    ROLES,
    add_member,
    create_user,
    disable_user,
    list_users,
    remove_member,
    user_by_id,
)
from audita.web.deps import audit, render, state, user
from audita.web.sessions import Session

router = APIRouter()


@router.get("/admin/users")
def users_page(request: Request, me: Session = Depends(user)) -> Response:
    require(me, "manage")
    with state(request).workspace.reading() as connection:
        rows = list_users(connection)
    audit(request, me, "web.users_viewed", details={"users": len(rows)})
    return render(request, "users.html", {"users": rows, "roles": ROLES})


@router.post("/admin/users")
def users_create(request: Request, username: str = Form(...), password: str = Form(...), role: str = Form(...),
                 me: Session = Depends(user)) -> Response:
    require(me, "manage")
    create_user(state(request).workspace, username, password, role=role, actor=me.actor)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def users_disable(request: Request, user_id: str, me: Session = Depends(user)) -> Response:
    require(me, "manage")
    with state(request).workspace.reading() as connection:
        target = user_by_id(connection, user_id) if ID.match(user_id) else None
    if target is None:
        raise Hidden("not found")
    if target.id == me.user.id:
        raise BadInput("you cannot disable your own account")
    disable_user(state(request).workspace, target.username, actor=me.actor)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/cases/{case_id}/members")
def member_add(request: Request, case_id: str, username: str = Form(...), me: Session = Depends(user)) -> Response:
    with state(request).workspace.reading() as connection:
        case = case_for(connection, me, case_id)
    require(me, "manage")
    add_member(state(request).workspace, case.id, username, actor=me.actor)
    return RedirectResponse(f"/cases/{case.id}#members", status_code=303)


@router.post("/cases/{case_id}/members/{user_id}/remove")
def member_remove(request: Request, case_id: str, user_id: str, me: Session = Depends(user)) -> Response:
    with state(request).workspace.reading() as connection:
        case = case_for(connection, me, case_id)
        target = user_by_id(connection, user_id) if ID.match(user_id) else None
    require(me, "manage")
    if target is None:
        raise Hidden("not found")
    remove_member(state(request).workspace, case.id, target.username, actor=me.actor)
    return RedirectResponse(f"/cases/{case.id}#members", status_code=303)

