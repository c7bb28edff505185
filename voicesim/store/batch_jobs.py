"""Batch scoring jobs and their per-file results, so progress survives a restart.

A job moves queued -> running -> done | failed (a queued job may also fail); any other move
is a ``StoreError``. ``files_done`` counts finished files, failed ones included, so the web
app can show progress as ``files_done / files_total``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voicesim.errors import NotFoundError, StoreError
from voicesim.settings import data_dir
from voicesim.store.database import Database
from voicesim.store.models import BatchJob, BatchResult, JobStatus, utc_now
from voicesim.store.users import find_user

UPLOADS = "uploads"  # uploaded recordings live in <data folder>/uploads/<job folder>/
ORPHAN_AFTER_S = 3600  # an upload folder with no job is left alone this long: it may be arriving

ALLOWED = {
    JobStatus.QUEUED: {JobStatus.RUNNING, JobStatus.FAILED},
    JobStatus.RUNNING: {JobStatus.DONE, JobStatus.FAILED},
    JobStatus.DONE: set(),
    JobStatus.FAILED: set(),
}


@dataclass(frozen=True)
class JobView:
    id: int
    status: JobStatus
    files_total: int
    files_done: int
    settings: dict[str, Any]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by_id: int | None = None  # who uploaded the files (None: from the command line)

    @property
    def progress(self) -> float:
        """0.0 to 1.0; an empty job counts as finished once done."""
        if self.files_total:
            return self.files_done / self.files_total
        return 1.0 if self.status is JobStatus.DONE else 0.0


class BatchJobRepository:
    def __init__(self, database: Database, data_folder: Path | None = None):
        self.database = database
        self.data_folder = (data_folder or data_dir()).expanduser().resolve()

    def upload_folder(self, settings: dict[str, Any]) -> Path | None:
        """The job's uploaded recordings, when it has any inside the uploads folder."""
        relative = str(settings.get("folder") or "")
        root = self.data_folder / UPLOADS
        folder = (self.data_folder / relative).resolve()
        if not relative or not folder.is_relative_to(root) or folder == root:
            return None
        return folder

    def create_job(
        self, settings: dict[str, Any], files_total: int, created_by: str | None = None
    ) -> int:
        with self.database.session() as session:
            author = find_user(session, created_by) if created_by else None
            job = BatchJob(settings=settings, files_total=files_total, created_by_id=None)
            if author is not None:
                job.created_by_id = author.id
            session.add(job)
            session.flush()
            return job.id

    def set_status(self, job_id: int, status: JobStatus, error: str | None = None) -> None:
        with self.database.session() as session:
            job = _job(session, job_id)
            if status not in ALLOWED[job.status]:
                raise StoreError(f"batch job {job_id} is {job.status}: it cannot become {status}")
            job.status = status
            job.error = error
            if status is JobStatus.RUNNING:
                job.started_at = utc_now()
            else:
                job.finished_at = utc_now()

    def add_result(self, job_id: int, file: str, result: dict[str, Any]) -> None:
        """Record one file's row (``error`` in it when that file failed) and count it done."""
        with self.database.session() as session:
            job = _job(session, job_id)
            if job.status is not JobStatus.RUNNING:
                raise StoreError(f"batch job {job_id} is {job.status}, not running: start it first")
            session.add(BatchResult(job=job, file=file, result=result, error=result.get("error")))
            job.files_done += 1

    def get_job(self, job_id: int) -> JobView:
        with self.database.session() as session:
            return _view(_job(session, job_id))

    def list_jobs(self, limit: int = 50) -> list[JobView]:
        """Newest first."""
        with self.database.session() as session:
            jobs = session.scalars(
                select(BatchJob)
                .order_by(BatchJob.created_at.desc(), BatchJob.id.desc())
                .limit(limit)
            ).all()
            return [_view(job) for job in jobs]

    def results(self, job_id: int) -> list[dict[str, Any]]:
        """The per-file rows in the order they finished."""
        with self.database.session() as session:
            return [dict(r.result) for r in _job(session, job_id).results]

    def result_entries(self, job_id: int) -> list[ResultView]:
        """The per-file rows with their ids (for links to each file's page)."""
        with self.database.session() as session:
            return [_result_view(r) for r in _job(session, job_id).results]

    def result_entry(self, job_id: int, result_id: int) -> ResultView:
        with self.database.session() as session:
            row = session.get(BatchResult, result_id)
            if row is None or row.job_id != job_id:
                raise NotFoundError(f"batch job {job_id} has no result {result_id}")
            return _result_view(row)

    def unfinished_jobs(self) -> list[JobView]:
        """Queued or running jobs, oldest first: what a restarted server must pick up."""
        with self.database.session() as session:
            jobs = session.scalars(
                select(BatchJob)
                .where(BatchJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
                .order_by(BatchJob.id)
            ).all()
            return [_view(job) for job in jobs]

    def delete_job(self, job_id: int) -> None:
        """A finished job: its rows and its uploaded recordings (personal data)."""
        with self.database.session() as session:
            job = _job(session, job_id)
            if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                raise StoreError(
                    f"batch job {job_id} is still {job.status}: delete it once it has finished"
                )
            folder = self.upload_folder(job.settings)
            session.delete(job)
            session.flush()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def sweep_orphan_uploads(
        self, min_age_s: float = ORPHAN_AFTER_S, now_s: float | None = None
    ) -> int:
        """Delete upload folders that no job refers to (a server killed between saving an
        upload and recording its job leaves one), once nothing in them has changed for
        ``min_age_s``: a younger one may be an upload another server is still receiving."""
        root = self.data_folder / UPLOADS
        if not root.is_dir():
            return 0
        with self.database.session() as session:
            settings = session.scalars(select(BatchJob.settings)).all()
        referenced = {f for f in (self.upload_folder(s or {}) for s in settings) if f}
        cutoff = (time.time() if now_s is None else now_s) - min_age_s
        swept = 0
        for folder in sorted(root.iterdir()):
            if not folder.is_dir() or folder.is_symlink() or folder.resolve() in referenced:
                continue
            if _last_change_s(folder) > cutoff:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            swept += 1
        return swept

    def apply_retention(self, days: int, now: datetime | None = None) -> int:
        """Delete finished jobs created more than ``days`` days ago, uploads included."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        with self.database.session() as session:
            ids = session.scalars(
                select(BatchJob.id).where(
                    BatchJob.created_at < cutoff,
                    BatchJob.status.in_([JobStatus.DONE, JobStatus.FAILED]),
                )
            ).all()
        for job_id in ids:
            self.delete_job(job_id)
        return len(ids)


@dataclass(frozen=True)
class ResultView:
    id: int
    file: str
    error: str | None
    result: dict[str, Any]


def _result_view(row: BatchResult) -> ResultView:
    return ResultView(row.id, row.file, row.error, dict(row.result))


def _last_change_s(folder: Path) -> float:
    """The newest modification time in the folder (it, or any file in it)."""
    try:
        return max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.rglob("*"))])
    except OSError:
        return time.time()  # changing under our feet: not an orphan


def _job(session: Session, job_id: int) -> BatchJob:
    job = session.get(BatchJob, job_id)
    if job is None:
        raise NotFoundError(f"no batch job with id {job_id}")
    return job


def _view(job: BatchJob) -> JobView:
    return JobView(
        job.id, job.status, job.files_total, job.files_done, dict(job.settings), job.error,
        job.created_at, job.started_at, job.finished_at, job.created_by_id,
    )  # fmt: skip
