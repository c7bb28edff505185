"""Signing in and out, each trainee's progress, and the admins' account page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from voicesim.errors import VoicesimError
from voicesim.store.models import Role
from voicesim.web.charts import ScorePoint, score_chart
from voicesim.web.ids import TraineeId
from voicesim.web.rendering import render
from voicesim.web.security import (
    Admin,
    SignedIn,
    StoreDep,
    check_csrf,
    safe_next,
    sign_in,
    sign_out,
)
from voicesim.web.throttle import TooManyAttempts, check_sign_in, remember_browser

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def _back_to_users(message: str) -> RedirectResponse:
    return RedirectResponse(f"/users?{urlencode({'done': message})}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/sessions") -> Response:
    return render(request, "login.html", None, next=safe_next(next), error=None, name="")


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/sessions",
) -> Response:
    try:
        viewer = await check_sign_in(request, name, password)
    except TooManyAttempts as error:
        refused = render(request, "login.html", None, status_code=429, next=safe_next(next),
                         error=str(error), name=name)  # fmt: skip
        refused.headers["Retry-After"] = str(error.retry_after_s)
        return refused
    if viewer is None:
        return render(
            request, "login.html", None, status_code=401, next=safe_next(next),
            error="Wrong name or password.", name=name,
        )  # fmt: skip
    await run_in_threadpool(sign_in, request, viewer)
    response = RedirectResponse(safe_next(next), status_code=303)
    remember_browser(request, response, viewer.name)
    return response


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/progress", response_class=HTMLResponse)
def progress_index(request: Request, viewer: SignedIn, store: StoreDep) -> Response:
    """A trainee goes straight to their own page; trainers pick one of their trainees."""
    if viewer.role is Role.TRAINEE:
        return RedirectResponse(f"/progress/{viewer.id}", status_code=303)
    return render(request, "trainees.html", viewer, trainees=store.progress.trainees(viewer))


@router.get("/progress/{trainee_id}", response_class=HTMLResponse)
def progress(request: Request, trainee_id: TraineeId, viewer: SignedIn, store: StoreDep) -> Response:
    history = store.progress.history(trainee_id, viewer)
    points = [
        ScorePoint(f"{s.started_at:%Y-%m-%d} {s.persona}", s.overall_score, s.outcome)
        for s in history.sessions
    ]
    return render(
        request, "progress.html", viewer,
        history=history, chart=score_chart(points), per_persona=history.per_persona(),
        means=history.mean_ratings(),
    )  # fmt: skip


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, viewer: Admin, store: StoreDep, done: str = "") -> Response:
    return render(
        request, "users.html", viewer, accounts=store.users.accounts(), done=done[:200],
        roles=[role.value for role in Role],
    )  # fmt: skip


@router.post("/users")
def add_user(
    viewer: Admin,
    store: StoreDep,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=200)],
    team: Annotated[str, Form(max_length=100)] = "",
    leads: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    led = [t.strip() for t in leads.split(",") if t.strip()]
    store.users.add_user(name, role, password, team.strip() or None, led)
    return _back_to_users(f"added {name.strip()} ({role})")


@router.post("/users/{name}/password")
def set_password(
    name: str, viewer: Admin, store: StoreDep, password: Annotated[str, Form(max_length=200)]
) -> RedirectResponse:
    store.users.set_password(name, password)
    return _back_to_users(f"new password for {name}")


@router.post("/users/{name}/role")
def set_role(
    name: str, viewer: Admin, store: StoreDep, role: Annotated[str, Form(max_length=16)]
) -> RedirectResponse:
    """A new role ends every sign-in of the account: it signs in again with the new one."""
    if name == viewer.name:
        raise VoicesimError("you cannot change your own role while signed in with it")
    store.users.set_role(name, role)
    return _back_to_users(f"{name} is now a {role}; their sign-ins have ended")


@router.post("/users/{name}/delete")
def delete_user(name: str, viewer: Admin, store: StoreDep) -> RedirectResponse:
    if name == viewer.name:
        raise VoicesimError("you cannot remove your own account while signed in with it")
    removed = store.delete_user(name)
    return _back_to_users(f"removed {name} and {removed} session(s) with their audio")
