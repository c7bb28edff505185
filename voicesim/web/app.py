"""``create_app``: the FastAPI application, its error pages and its guards.

Every failure a user can cause ends as a short page (or, under ``/api/``, a JSON
``{"detail": ...}``) with the right status code; an unexpected error is logged on the server
and shown as a plain 500 without a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from voicesim import __version__
from voicesim.errors import NotFoundError, VoicesimError
from voicesim.store.store import Store
from voicesim.web import api, batch_pages, exports, pages_people, pages_sessions
from voicesim.web.batch_worker import BatchWorker, ScoreFile, real_scorer
from voicesim.web.gate import SignInGate
from voicesim.web.guards import BodyLimit, SecurityHeaders
from voicesim.web.ids import not_found_message
from voicesim.web.rendering import render
from voicesim.web.security import (
    CSRF_MESSAGE,
    NOT_SIGNED_IN_MESSAGE,
    CsrfFailed,
    Forbidden,
    NotSignedIn,
    SignedIn,
    sign_in_url,
)
from voicesim.web.settings import WebSettings
from voicesim.web.throttle import PasswordChecks, ServerBusy, TooManyAttempts

log = logging.getLogger("voicesim.web")
STATIC = Path(__file__).resolve().parent / "static"


def create_app(store: Store, settings: WebSettings, score_file: ScoreFile = real_scorer) -> FastAPI:
    """The web app over ``store``; the caller owns the store and closes it.

    ``score_file`` scores one uploaded file (tests pass a fast stand-in); the batch worker
    runs while the app does (its lifespan)."""
    worker = BatchWorker(store, settings.data_folder, score_file)
    password_checks = PasswordChecks()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _tidy_store(store)
        worker.start()
        try:
            yield
        finally:
            worker.stop()
            password_checks.close()

    app = FastAPI(
        title="voicesim",
        version=__version__,
        description="Review, annotate and follow practice calls. Sign in with POST /api/login; "
        "send the returned csrf_token as X-CSRF-Token on every POST or DELETE.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.batch_worker = worker
    app.state.password_checks = password_checks
    app.add_middleware(SignInGate)  # inside the session middleware: it reads the cookie
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="voicesim_session",
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.secure_cookie,
    )
    app.add_middleware(BodyLimit, upload_bytes=settings.max_upload_bytes,
                       form_bytes=settings.max_form_bytes)  # fmt: skip
    app.add_middleware(SecurityHeaders)
    # The longer prefix first: a mount at /static would also take /static/docs/... (404).
    app.mount("/static/docs", StaticFiles(directory=_swagger_assets()), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages_sessions.router)
    app.include_router(pages_people.router)
    app.include_router(api.router)
    app.include_router(exports.router)
    app.include_router(batch_pages.pages)
    app.include_router(batch_pages.api)
    _add_docs(app)
    _add_error_handlers(app)
    return app


def _tidy_store(store: Store) -> None:
    """At start: expired sign-ins and old throttle counts go; so do upload folders that no
    job refers to (a server killed mid-upload), once old enough not to be another server's
    upload in progress."""
    store.sign_ins.purge_expired()
    store.sign_in_throttle.purge()
    swept = store.batch_jobs.sweep_orphan_uploads()
    if swept:
        log.warning("removed %d upload folder(s) no batch job refers to", swept)


def _swagger_assets() -> Path:
    """Swagger UI's files from the fastapi-offline package: /docs must work offline."""
    return Path(str(resources.files("fastapi_offline") / "static"))


def _add_docs(app: FastAPI) -> None:
    @app.get("/openapi.json", include_in_schema=False)
    def openapi(viewer: SignedIn) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(viewer: SignedIn) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="voicesim API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/sessions", status_code=303)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _problem(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    viewer = getattr(request.state, "viewer", None)
    return render(request, "error.html", viewer, status_code=status, status=status,
                  message=message)  # fmt: skip


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = [str(p) for p in item.get("loc", ()) if p not in ("body",)]
        place = " ".join(where) if where else "request"
        parts.append(f"{place}: {item.get('msg', 'invalid')}")
    return "bad request: " + "; ".join(parts)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _: Exception) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": NOT_SIGNED_IN_MESSAGE}, status_code=401)
        return RedirectResponse(sign_in_url(request), status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Exception) -> Response:
        return _problem(request, 403, str(error) or "you may not do this")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _: Exception) -> Response:
        return _problem(request, 403, CSRF_MESSAGE)

    @app.exception_handler(TooManyAttempts)
    async def too_many(request: Request, error: Exception) -> Response:
        assert isinstance(error, TooManyAttempts)
        answer = _problem(request, 429, str(error))
        answer.headers["Retry-After"] = str(error.retry_after_s)
        return answer

    @app.exception_handler(ServerBusy)
    async def busy(request: Request, error: Exception) -> Response:
        answer = _problem(request, 503, str(error))
        answer.headers["Retry-After"] = "5"
        return answer

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: Exception) -> Response:
        return _problem(request, 404, str(error))

    @app.exception_handler(VoicesimError)
    async def bad_input(request: Request, error: Exception) -> Response:
        return _problem(request, 400, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        missing = not_found_message(list(error.errors()))
        if missing is not None:  # an id out of range names nothing, like an unknown id
            return _problem(request, 404, missing)
        return _problem(request, 422 if _is_api(request) else 400, _validation_message(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        detail: Any = error.detail
        message = detail if isinstance(detail, str) else "request failed"
        if error.status_code == 404 and message == "Not Found":
            message = f"no page at {request.url.path}"
        return _problem(request, error.status_code, message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _problem(request, 500, "internal error: the server logged the details")
