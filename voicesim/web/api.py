"""The JSON API under /api/: the same data and rules as the pages, for other tools.

Sign in with ``POST /api/login``; the cookie it sets authenticates later calls, and its
``csrf_token`` goes in the ``X-CSRF-Token`` header of every POST and DELETE.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from voicesim.web.ids import SessionId, TraineeId, TurnIndex
from voicesim.web.queries import ListQueryDep
from voicesim.web.review import final_labels
from voicesim.web.schemas import (
    AnswerIn,
    Created,
    LoginIn,
    Me,
    NoteIn,
    PersonaStatsOut,
    ProgressOut,
    ProgressSessionOut,
    SessionOut,
    SessionPageOut,
    SessionSummaryOut,
)
from voicesim.web.security import (
    Forbidden,
    Reviewer,
    SignedIn,
    StoreDep,
    check_csrf,
    csrf_token,
    sign_in,
    sign_out,
)
from voicesim.web.throttle import check_sign_in, remember_browser

router = APIRouter(prefix="/api", dependencies=[Depends(check_csrf)])


@router.post("/login", tags=["account"], summary="Sign in; sets the session cookie",
             responses={429: {"description": "too many wrong passwords from here: wait"}})  # fmt: skip
async def login(request: Request, body: LoginIn, response: Response) -> Me:
    viewer = await check_sign_in(request, body.name, body.password)
    if viewer is None:
        raise HTTPException(401, "wrong name or password")
    token = await run_in_threadpool(sign_in, request, viewer)
    remember_browser(request, response, viewer.name)
    return Me(id=viewer.id, name=viewer.name, role=str(viewer.role), csrf_token=token)


@router.post("/logout", tags=["account"], status_code=204,
             summary="Sign out: this sign-in ends for every copy of the cookie")  # fmt: skip
def logout(request: Request) -> Response:
    sign_out(request)
    return Response(status_code=204)


@router.get("/me", tags=["account"], summary="Who is signed in")
def me(request: Request, viewer: SignedIn) -> Me:
    return Me(id=viewer.id, name=viewer.name, role=str(viewer.role),
              csrf_token=csrf_token(request))  # fmt: skip


@router.get("/sessions", tags=["sessions"], summary="Sessions you may see, filtered and paged")
def list_sessions(viewer: SignedIn, store: StoreDep, query: ListQueryDep) -> SessionPageOut:
    page = store.sessions.list_sessions(
        query.filters, query.sort, query.page, query.page_size, viewer=viewer
    )
    return SessionPageOut(
        items=[SessionSummaryOut.model_validate(s, from_attributes=True) for s in page.items],
        total=page.total,
        page=page.page,
        page_size=page.page_size,
    )


def session_out(session: dict[str, Any]) -> SessionOut:
    sid = session["id"]
    turns = [
        {
            **t,
            "final_labels": final_labels(t),
            "audio_url": f"/sessions/{sid}/turns/{t['index']}/audio" if t["audio_file"] else None,
        }
        for t in session["turns"]
    ]
    audio = f"/sessions/{sid}/audio" if session["call_audio_file"] else None
    return SessionOut.model_validate({**session, "turns": turns, "audio_url": audio})


@router.get("/sessions/{session_id}", tags=["sessions"], summary="One session in full")
def get_session(session_id: SessionId, viewer: SignedIn, store: StoreDep) -> SessionOut:
    return session_out(store.sessions.get_session(session_id, viewer))


@router.delete("/sessions/{session_id}", tags=["sessions"], status_code=204,
               summary="Delete a session and its audio (trainers, admins)")  # fmt: skip
def delete_session(session_id: SessionId, viewer: Reviewer, store: StoreDep) -> Response:
    store.sessions.delete_session(session_id, viewer)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/turns/{turn_index}/annotations", tags=["reviews"],
             status_code=201, summary="Comment on a turn or correct a label (trainers, admins)")  # fmt: skip
def add_annotation(
    session_id: SessionId, turn_index: TurnIndex, body: NoteIn, viewer: Reviewer, store: StoreDep
) -> Created:
    note_id = store.sessions.add_annotation(
        session_id, turn_index, viewer.name,
        comment=(body.comment or "").strip() or None,
        label_added=body.label_added or None,
        label_removed=body.label_removed or None,
        viewer=viewer,
    )  # fmt: skip
    return Created(id=note_id)


@router.post("/sessions/{session_id}/acknowledgements", tags=["reviews"], status_code=201,
             summary="The trainee acknowledges the review or disputes a score")  # fmt: skip
def add_answer(session_id: SessionId, body: AnswerIn, viewer: SignedIn, store: StoreDep) -> Created:
    if store.sessions.get_session(session_id, viewer)["trainee_id"] != viewer.id:
        raise Forbidden("only the trainee who practised this call can answer its review")
    answer_id = store.sessions.add_acknowledgement(
        session_id, viewer.name, body.kind, (body.comment or "").strip() or None, body.turn
    )
    return Created(id=answer_id)


@router.get("/trainees/{trainee_id}/progress", tags=["progress"],
            summary="A trainee's scores over time, per persona and outcomes")  # fmt: skip
def progress(trainee_id: TraineeId, viewer: SignedIn, store: StoreDep) -> ProgressOut:
    history = store.progress.history(trainee_id, viewer)
    return ProgressOut(
        trainee_id=history.trainee_id,
        trainee=history.trainee,
        team=history.team,
        sessions=[
            ProgressSessionOut.model_validate(s, from_attributes=True) for s in history.sessions
        ],
        outcomes=dict(history.outcomes),
        resolved_rate=history.resolved_rate,
        per_persona=[PersonaStatsOut(**vars(p)) for p in history.per_persona()],
        mean_ratings=history.mean_ratings(),
    )
