"""Batch scoring in the browser and over the API: upload, follow the job, read the results.

Trainers and admins only. A trainer sees the jobs they uploaded; an admin sees every job.
A job someone may not see answers 404, like one that does not exist.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from voicesim.batch.results import CSV_COLUMNS, flat_row
from voicesim.errors import NotFoundError
from voicesim.store.access import Viewer
from voicesim.store.batch_jobs import JobView
from voicesim.store.store import Store
from voicesim.web.batch_uploads import (
    CHANNELS,
    ENGINES,
    UploadChoices,
    receive_upload,
    upload_path,
)
from voicesim.web.exports import csv_response
from voicesim.web.ids import JobId, ResultId
from voicesim.web.rendering import render
from voicesim.web.review import highlight
from voicesim.web.schemas import BatchJobOut, BatchResultOut
from voicesim.web.security import Reviewer, StoreDep, check_csrf

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api/batch", dependencies=[Depends(check_csrf)], tags=["batch"])

Files = Annotated[list[UploadFile], File(description="audio files: WAV, FLAC, MP3, M4A, Ogg, WebM")]
Lang = Annotated[str, Form(max_length=8)]
Channel = Annotated[str, Form(max_length=8)]
Engine = Annotated[str, Form(max_length=32)]


def _visible_job(store: Store, job_id: int, viewer: Viewer) -> JobView:
    job = store.batch_jobs.get_job(job_id)
    if not viewer.is_admin and job.created_by_id != viewer.id:
        raise NotFoundError(f"no batch job with id {job_id}")
    return job


def _jobs(store: Store, viewer: Viewer) -> list[JobView]:
    return [
        j
        for j in store.batch_jobs.list_jobs(200)
        if viewer.is_admin or j.created_by_id == viewer.id
    ]


def _upload(
    request: Request, store: Store, viewer: Viewer, files: list[UploadFile], choices: UploadChoices
) -> int:
    """Save the upload as a queued job and hand it to the background worker."""
    job_id = receive_upload(store, request.app.state.settings.data_folder, files, choices, viewer)
    request.app.state.batch_worker.submit(job_id)
    return job_id


def job_out(job: JobView) -> BatchJobOut:
    return BatchJobOut(
        id=job.id, status=str(job.status), files_total=job.files_total, files_done=job.files_done,
        progress=round(job.progress, 4), error=job.error, created_at=job.created_at,
        started_at=job.started_at, finished_at=job.finished_at,
        lang=job.settings.get("lang"), agent_channel=job.settings.get("agent_channel"),
        engine=job.settings.get("engine"),
    )  # fmt: skip


# ---- pages ----


@pages.get("/batch", response_class=HTMLResponse)
def batch_page(request: Request, viewer: Reviewer, store: StoreDep) -> Response:
    settings = request.app.state.settings
    return render(
        request, "batch.html", viewer, jobs=_jobs(store, viewer), engines=ENGINES,
        channels=CHANNELS, max_upload_mb=settings.max_upload_mb,
    )  # fmt: skip


@pages.post("/batch")
def upload_page(
    request: Request, viewer: Reviewer, store: StoreDep, files: Files,
    lang: Lang = "en", agent_channel: Channel = "left", engine: Engine = "faster-whisper",
) -> RedirectResponse:  # fmt: skip
    job_id = _upload(request, store, viewer, files, UploadChoices(lang, agent_channel, engine))
    return RedirectResponse(f"/batch/{job_id}", status_code=303)


@pages.get("/batch/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: JobId, viewer: Reviewer, store: StoreDep) -> Response:
    job = _visible_job(store, job_id, viewer)
    return render(request, "batch_job.html", viewer, job=job,
                  entries=store.batch_jobs.result_entries(job_id))  # fmt: skip


@pages.get("/batch/{job_id}/results.csv")
def job_csv(job_id: JobId, viewer: Reviewer, store: StoreDep) -> Response:
    _visible_job(store, job_id, viewer)
    rows = (flat_row(row) for row in store.batch_jobs.results(job_id))
    return csv_response(rows, CSV_COLUMNS, f"batch-{job_id}.csv")


@pages.get("/batch/{job_id}/results.json")
def job_json(job_id: JobId, viewer: Reviewer, store: StoreDep) -> Response:
    job = _visible_job(store, job_id, viewer)
    body = {
        "job": job_out(job).model_dump(mode="json"),
        "results": store.batch_jobs.results(job_id),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=1), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="batch-{job_id}.json"'})  # fmt: skip


@pages.get("/batch/{job_id}/files/{result_id}", response_class=HTMLResponse)
def file_page(
    request: Request, job_id: JobId, result_id: ResultId, viewer: Reviewer, store: StoreDep
) -> Response:
    job = _visible_job(store, job_id, viewer)
    entry = store.batch_jobs.result_entry(job_id, result_id)
    turns = [
        {**t, "pieces": highlight(t.get("text", ""), t.get("evidence") or [])}
        for t in entry.result.get("turns") or []
    ]
    has_audio = (
        upload_path(request.app.state.settings.data_folder, job.settings, entry.file) is not None
    )
    return render(request, "batch_file.html", viewer, job=job, entry=entry, row=entry.result,
                  turns=turns, has_audio=has_audio)  # fmt: skip


@pages.get("/batch/{job_id}/files/{result_id}/audio")
def file_audio(
    request: Request, job_id: JobId, result_id: ResultId, viewer: Reviewer, store: StoreDep
) -> FileResponse:
    job = _visible_job(store, job_id, viewer)
    entry = store.batch_jobs.result_entry(job_id, result_id)
    path = upload_path(request.app.state.settings.data_folder, job.settings, entry.file)
    if path is None:
        raise NotFoundError(f"batch job {job_id}: {entry.file} has no stored audio")
    return FileResponse(path)


@pages.post("/batch/{job_id}/delete")
def delete_job_page(job_id: JobId, viewer: Reviewer, store: StoreDep) -> RedirectResponse:
    """A finished job goes with its uploaded recordings."""
    _visible_job(store, job_id, viewer)
    store.batch_jobs.delete_job(job_id)
    return RedirectResponse("/batch", status_code=303)


# ---- API ----


@api.post("/jobs", status_code=201, summary="Upload audio files and start scoring them")
def upload_api(
    request: Request, viewer: Reviewer, store: StoreDep, files: Files,
    lang: Lang = "en", agent_channel: Channel = "left", engine: Engine = "faster-whisper",
) -> BatchJobOut:  # fmt: skip
    job_id = _upload(request, store, viewer, files, UploadChoices(lang, agent_channel, engine))
    return job_out(store.batch_jobs.get_job(job_id))


@api.get("/jobs", summary="Your batch jobs, newest first")
def list_api(viewer: Reviewer, store: StoreDep) -> list[BatchJobOut]:
    return [job_out(job) for job in _jobs(store, viewer)]


@api.get("/jobs/{job_id}", summary="A job's status and progress")
def job_api(job_id: JobId, viewer: Reviewer, store: StoreDep) -> BatchJobOut:
    return job_out(_visible_job(store, job_id, viewer))


@api.get("/jobs/{job_id}/results", summary="A job's per-file rows so far")
def results_api(job_id: JobId, viewer: Reviewer, store: StoreDep) -> list[BatchResultOut]:
    _visible_job(store, job_id, viewer)
    return [
        BatchResultOut(id=e.id, file=e.file, error=e.error, result=e.result)
        for e in store.batch_jobs.result_entries(job_id)
    ]
