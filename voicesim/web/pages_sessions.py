"""The session pages: the filtered list, the review of one call, its audio, notes and answers."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from voicesim.core.labels import Label
from voicesim.errors import VoicesimError
from voicesim.web.charts import staircase_chart
from voicesim.web.ids import SessionId, TurnIndex
from voicesim.web.queries import MODES, OUTCOMES, SORTS, ListQueryDep
from voicesim.web.rendering import render
from voicesim.web.review import call_timings, effective_labels, highlight, level_path
from voicesim.web.security import Forbidden, Reviewer, SignedIn, StoreDep, check_csrf

TURN_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits: str.isdigit() also takes "²"
router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/sessions", response_class=HTMLResponse)
def session_list(
    request: Request, viewer: SignedIn, store: StoreDep, query: ListQueryDep
) -> Response:
    page = store.sessions.list_sessions(
        query.filters, query.sort, query.page, query.page_size, viewer=viewer
    )
    pages = max(1, -(-page.total // page.page_size))
    return render(
        request, "sessions.html", viewer,
        page=page, pages=pages, query=query, choices=store.progress.choices(viewer),
        outcomes=OUTCOMES, modes=MODES, sorts=SORTS,
    )  # fmt: skip


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_review(
    request: Request, session_id: SessionId, viewer: SignedIn, store: StoreDep
) -> Response:
    session = store.sessions.get_session(session_id, viewer)
    turns = [
        {
            **turn,
            "pieces": highlight(turn["reply"], turn["labels"]),
            "chips": effective_labels(turn),
        }
        for turn in session["turns"]
    ]
    return render(
        request, "review.html", viewer,
        session=session, turns=turns, chart=staircase_chart(level_path(session)),
        timings=call_timings(session["turns"]), is_owner=session["trainee_id"] == viewer.id,
    )  # fmt: skip


@router.get("/sessions/{session_id}/audio")
def call_audio(session_id: SessionId, viewer: SignedIn, store: StoreDep) -> FileResponse:
    """The whole call (stereo: caller left, trainee right), by id only."""
    path = store.sessions.audio_path(session_id, None, viewer)
    return FileResponse(path, media_type="audio/wav")


@router.get("/sessions/{session_id}/turns/{turn_index}/audio")
def turn_audio(session_id: SessionId, turn_index: TurnIndex, viewer: SignedIn, store: StoreDep) -> FileResponse:
    path = store.sessions.audio_path(session_id, turn_index, viewer)
    return FileResponse(path, media_type="audio/wav")


def _label_or_none(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if value not in set(Label):
        raise VoicesimError(f"{name}: unknown label {value!r}")
    return value


@router.post("/sessions/{session_id}/turns/{turn_index}/notes")
def add_note(
    session_id: SessionId,
    turn_index: TurnIndex,
    viewer: Reviewer,
    store: StoreDep,
    comment: Annotated[str, Form(max_length=4000)] = "",
    label_added: Annotated[str, Form(max_length=32)] = "",
    label_removed: Annotated[str, Form(max_length=32)] = "",
) -> RedirectResponse:
    store.sessions.add_annotation(
        session_id, turn_index, viewer.name,
        comment=comment.strip() or None,
        label_added=_label_or_none("label to add", label_added),
        label_removed=_label_or_none("label to remove", label_removed),
        viewer=viewer,
    )  # fmt: skip
    return RedirectResponse(f"/sessions/{session_id}#turn-{turn_index}", status_code=303)


@router.post("/sessions/{session_id}/answer")
def answer_review(
    session_id: SessionId,
    viewer: SignedIn,
    store: StoreDep,
    kind: Annotated[str, Form(max_length=16)],
    comment: Annotated[str, Form(max_length=4000)] = "",
    turn: Annotated[str, Form(max_length=8)] = "",
) -> RedirectResponse:
    """The trainee acknowledges the review or disputes a score (one turn or the call)."""
    if store.sessions.get_session(session_id, viewer)["trainee_id"] != viewer.id:
        raise Forbidden("only the trainee who practised this call can answer its review")
    if turn and not TURN_NUMBER.fullmatch(turn):
        raise VoicesimError(
            f"turn {turn!r} is not a turn number; leave it empty for the whole call"
        )
    turn_index = int(turn) if turn else None
    store.sessions.add_acknowledgement(
        session_id, viewer.name, kind, comment.strip() or None, turn_index
    )
    return RedirectResponse(f"/sessions/{session_id}#answers", status_code=303)


@router.post("/sessions/{session_id}/delete")
def delete_session(session_id: SessionId, viewer: Reviewer, store: StoreDep) -> RedirectResponse:
    store.sessions.delete_session(session_id, viewer)
    return RedirectResponse("/sessions?deleted=1", status_code=303)
