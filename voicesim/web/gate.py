"""Who is asking, checked before a request body is read.

FastAPI reads (and for uploads, spools to disk) a form before any dependency runs, so the
sign-in and CSRF checks of the routes come too late to protect the server's disk and time
from anonymous or forged uploads. This ASGI middleware runs first, for every state-changing
request except signing in and out:

- nobody signed in: 401 (API) or the sign-in page, with the body unread;
- uploads (``/batch``, ``/api/batch``): trainers and admins only, with the body unread;
- a multipart body must carry its CSRF token in the ``X-CSRF-Token`` header or as its first
  field (the pages' forms put it first): only that field is read before the check; the rest
  is passed on untouched.

Form and JSON bodies are at most a few kilobytes (``BodyLimit``); their token is checked by
the routes' ``check_csrf`` as before.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicesim.store.access import Viewer
from voicesim.web.guards import UPLOAD_PATHS
from voicesim.web.rendering import render
from voicesim.web.security import (
    API_LOGIN_PATH,
    CSRF_FIELD,
    CSRF_HEADER,
    CSRF_MESSAGE,
    NOT_SIGNED_IN_MESSAGE,
    UNSAFE_METHODS,
    sign_in_url,
    tokens_match,
    viewer_of_cookie,
)

OPEN_PATHS = {"/login", API_LOGIN_PATH, "/logout", "/api/logout"}  # their routes check the rest
FIRST_FIELD_MAX_BYTES = 16 * 1024  # a CSRF field and its part headers fit many times over


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class SignInGate:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS
                or scope["path"] in OPEN_PATHS):  # fmt: skip
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        viewer = await run_in_threadpool(viewer_of_cookie, request)
        if viewer is None:
            if scope["path"].startswith("/api/"):
                await _answer(request, send, None, 401, NOT_SIGNED_IN_MESSAGE)
            else:
                answer = RedirectResponse(sign_in_url(request), status_code=303,
                                          headers={"connection": "close"})  # fmt: skip
                await answer(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer  # the routes need not look again
        try:
            if scope["path"].startswith(UPLOAD_PATHS) and not viewer.reviews_others:
                raise Refused(403, "only trainers and admins can do this")
            receive = await _csrf_before_body(request, receive)
        except Refused as refused:
            await _answer(request, send, viewer, refused.status, refused.message)
            return
        await self.app(scope, receive, send)


async def _csrf_before_body(request: Request, receive: Receive) -> Receive:
    """Check a multipart body's token from its header or first field; returns the ``receive``
    that gives the app the whole body, the bytes read here included."""
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is not None:
        if not tokens_match(expected, given):
            raise Refused(403, CSRF_MESSAGE)
        return receive
    boundary = _boundary(request.headers.get("content-type", ""))
    if boundary is None:
        return receive  # not multipart: small, and checked by the route
    read: list[Message] = []
    body = b""
    token: str | None = None
    while True:
        message = await receive()
        read.append(message)
        body += message.get("body", b"")
        done, token = _first_field(body, boundary)
        more = message["type"] == "http.request" and message.get("more_body", False)
        if done or not more or len(body) > FIRST_FIELD_MAX_BYTES:
            break
    if not tokens_match(expected, token):
        raise Refused(403, CSRF_MESSAGE)
    return _replay(read, receive)


def _boundary(content_type: str) -> bytes | None:
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    return found.group(1).encode("latin-1") if found else b""


_DISPOSITION = re.compile(rb'^content-disposition:\s*form-data;\s*name="([^"]*)"', re.I | re.M)


def _first_field(body: bytes, boundary: bytes) -> tuple[bool, str | None]:
    """(decided, token): the CSRF token when the body's first part is that field; decided is
    False while more bytes are needed to tell."""
    opening = b"--" + boundary + b"\r\n"
    if not boundary or len(body) < len(opening):
        return (not boundary, None)
    if not body.startswith(opening):
        return True, None  # not a well-formed start: no token
    head_end = body.find(b"\r\n\r\n", len(opening))
    if head_end < 0:
        return False, None
    named = _DISPOSITION.search(body[len(opening) : head_end])
    if named is None or named.group(1) != CSRF_FIELD.encode():
        return True, None  # another field first: the token must come first or in the header
    value_end = body.find(b"\r\n--" + boundary, head_end + 4)
    if value_end < 0:
        return False, None
    return True, body[head_end + 4 : value_end].decode("utf-8", "replace")


def _replay(read: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    pending = list(read)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _answer(
    request: Request, send: Send, viewer: Viewer | None, status: int, message: str
) -> None:
    """The app's own error answer (JSON under /api/, the error page elsewhere), sent before
    the body was read: the connection closes after it rather than read the rest."""
    if request.url.path.startswith("/api/"):
        response: Response = JSONResponse({"detail": message}, status_code=status)
    else:
        response = render(request, "error.html", viewer, status_code=status, status=status,
                          message=message)  # fmt: skip
    response.headers["connection"] = "close"
    await response(request.scope, request.receive, send)
