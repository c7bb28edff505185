"""Jinja2 templates and the small filters they share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from voicesim.core.labels import HARMFUL, LABEL_ORDER
from voicesim.store.access import Viewer
from voicesim.web.review import LEVEL_NAMES
from voicesim.web.security import csrf_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value or "")


def _seconds(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f} s"


def _label(value: str) -> str:
    return str(value).replace("_", " ")


TEMPLATES.env.filters.update(when=_when, seconds=_seconds, label=_label)
TEMPLATES.env.globals.update(
    LEVEL_NAMES=LEVEL_NAMES,
    LABELS=[str(label) for label in LABEL_ORDER],
    HARMFUL_LABELS={str(label) for label in HARMFUL},
)


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page with the signed-in viewer and this browser's CSRF token in its context."""
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"viewer": viewer, "csrf_token": csrf_token(request), **context},
        status_code=status_code,
    )
