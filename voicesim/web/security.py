"""Signing in, who is asking, and CSRF protection.

The session cookie (Starlette's, signed with the app's secret) holds only the user id, the
sign-in time and a CSRF token. The account is read again on every request, so a removed
account or a changed role takes effect at once. Every state-changing request must carry the
cookie's CSRF token, in the form field ``csrf_token`` or the ``X-CSRF-Token`` header: a page
on another site can make the browser send the cookie, but cannot read the token. The one
exception is ``POST /api/login`` with a JSON body, which an API client sends before it has a
token (see ``_json_sign_in``).
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from voicesim.store.access import Viewer
from voicesim.store.store import Store

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_LOGIN_PATH = "/api/login"


class NotSignedIn(Exception):
    """No valid sign-in: pages redirect to the sign-in form, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but this role may not do that (403)."""


class CsrfFailed(Exception):
    """A state-changing request without the right CSRF token (403)."""


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def csrf_token(request: Request) -> str:
    """This browser's token, made on first need (the sign-in form needs one too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _json_sign_in(request: Request) -> bool:
    """``POST /api/login`` with a JSON body: an API client has no token before it signs in.

    Safe without one: another site's page can only send JSON after a CORS preflight, which
    this app never answers, and a form it posts (urlencoded, multipart, text/plain) is not JSON.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return request.url.path == API_LOGIN_PATH and content_type == "application/json"


async def check_csrf(request: Request) -> None:
    """Dependency of every router: unsafe methods need the token."""
    if request.method not in UNSAFE_METHODS or _json_sign_in(request):
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached by Starlette: the endpoint reads it again
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    # As bytes: compare_digest refuses str with non-ASCII characters (a 500, not a 403).
    if (
        not expected
        or not given
        or not secrets.compare_digest(str(expected).encode(), given.encode())
    ):
        raise CsrfFailed()


def sign_in(request: Request, viewer: Viewer) -> str:
    """Start a fresh cookie session for ``viewer``; returns its new CSRF token."""
    request.session.clear()  # no fixation: nothing from before the sign-in survives
    request.session.update(uid=viewer.id, at=int(time.time()))
    return csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def current_viewer(request: Request) -> Viewer:
    """The signed-in user, checked against the database and the session lifetime."""
    user_id = request.session.get("uid")
    signed_at = request.session.get("at")
    max_age_s = request.app.state.settings.session_hours * 3600
    if not isinstance(user_id, int) or not isinstance(signed_at, int):
        raise NotSignedIn()
    if time.time() - signed_at > max_age_s:
        request.session.clear()
        raise NotSignedIn()
    viewer = store_of(request).users.viewer(user_id)
    if viewer is None:
        request.session.clear()
        raise NotSignedIn()
    request.state.viewer = viewer  # for the error pages' menu
    return viewer


def reviewer(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    """Trainers and admins only."""
    if not viewer.reviews_others:
        raise Forbidden("only trainers and admins can do this")
    return viewer


def admin(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    if not viewer.is_admin:
        raise Forbidden("only admins manage accounts")
    return viewer


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a local path only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/sessions"
    return target


def sign_in_url(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(path, safe='')}"


SignedIn = Annotated[Viewer, Depends(current_viewer)]
Reviewer = Annotated[Viewer, Depends(reviewer)]
Admin = Annotated[Viewer, Depends(admin)]
StoreDep = Annotated[Store, Depends(store_of)]
