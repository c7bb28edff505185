"""Signing in, who is asking, and CSRF protection.

The session cookie (Starlette's, signed with the app's secret) holds a random sign-in token
and a CSRF token, nothing else. The store keeps the token's hash with the account it signs in
(``store.sign_ins``): signing out, a new password or role and a removed account delete those
rows, and every copy of the cookie stops working at once. The account is read again on every
request. Every state-changing request must carry the cookie's CSRF token, in the form field
``csrf_token`` or the ``X-CSRF-Token`` header: a page on another site can make the browser
send the cookie, but cannot read the token. The one exception is ``POST /api/login`` with a
JSON body, which an API client sends before it has a token (see ``_json_sign_in``).
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from voicesim.store.access import Viewer
from voicesim.store.store import Store

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_LOGIN_PATH = "/api/login"
NOT_SIGNED_IN_MESSAGE = "not signed in: POST /api/login with your name and password"
CSRF_MESSAGE = (
    "missing or stale CSRF token: reload the page and try again "
    "(API clients: send the csrf_token from /api/login as X-CSRF-Token)"
)


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


def tokens_match(expected: object, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens; as bytes, because compare_digest refuses str
    with non-ASCII characters (a 500, not a 403)."""
    if not expected or not given:
        return False
    return secrets.compare_digest(str(expected).encode(), given.encode("utf-8", "surrogatepass"))


async def check_csrf(request: Request) -> None:
    """Dependency of every router: unsafe methods need the token. (A multipart body has
    already had its token checked from its first field by ``SignInGate``, before it was read.)"""
    if request.method not in UNSAFE_METHODS or _json_sign_in(request):
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached by Starlette: the endpoint reads it again
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not tokens_match(request.session.get("csrf"), given):
        raise CsrfFailed()


def sign_in(request: Request, viewer: Viewer) -> str:
    """Start a fresh sign-in for ``viewer`` (a new row in the store, its token in the cookie);
    returns the new CSRF token. Blocking: call it from a worker thread in async code."""
    old = request.session.get("sid")
    if isinstance(old, str):
        store_of(request).sign_ins.end(old)  # signing in again replaces the old sign-in
    request.session.clear()  # no fixation: nothing from before the sign-in survives
    lifetime_s = request.app.state.settings.session_hours * 3600
    request.session["sid"] = store_of(request).sign_ins.start(viewer.id, lifetime_s)
    return csrf_token(request)


def sign_out(request: Request) -> None:
    """End this sign-in in the store, so no copy of the cookie works any more."""
    token = request.session.get("sid")
    if isinstance(token, str):
        store_of(request).sign_ins.end(token)
    request.session.clear()


def viewer_of_cookie(request: Request) -> Viewer | None:
    """Who the cookie's sign-in token belongs to now, or None (blocking: reads the store)."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    return store_of(request).sign_ins.viewer(token)


def current_viewer(request: Request) -> Viewer:
    """The signed-in user, checked against the store's sign-ins (ended or expired ones fail)."""
    viewer = getattr(request.state, "viewer", None)  # the gate looked it up for this request
    if not isinstance(viewer, Viewer):
        viewer = viewer_of_cookie(request)
    if viewer is None:
        if "sid" in request.session:  # an ended or expired sign-in: forget it, token and all
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
