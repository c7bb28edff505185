"""The web app's batch scorer: one background thread that works through uploaded jobs.

Progress lives in the store, one result row per file as it finishes, so a page reload, a
second browser or a restarted server all see the same state. At start the worker picks up
every job left queued or running (the server stopped mid-job) and scores only the files that
have no result yet: no job is ever silently dropped. One thread is enough for a trainer's
uploads; big archives belong to ``voicesim batch`` with ``--workers`` or a Ray cluster.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voicesim.batch.options import BatchOptions
from voicesim.store.models import JobStatus
from voicesim.store.store import Store

log = logging.getLogger("voicesim.web.batch")
ScoreFile = Callable[[Path, BatchOptions, str], dict[str, Any]]


def real_scorer(path: Path, options: BatchOptions, sha256: str) -> dict[str, Any]:
    """``voicesim batch``'s per-file pipeline, imported only when the first job runs."""
    from voicesim.batch.score_file import score_file

    return score_file(path, options, sha256)


def job_options(settings: dict[str, Any]) -> BatchOptions:
    return BatchOptions(
        lang=settings.get("lang", "en"),
        engine=settings.get("engine", "faster-whisper"),
        model=settings.get("model"),
        agent_channel=settings.get("agent_channel", "left"),
        cpu_threads=os.cpu_count() or 1,
    )


class BatchWorker:
    def __init__(self, store: Store, data_folder: Path, score: ScoreFile = real_scorer):
        self.store = store
        self.data_folder = data_folder
        self.score = score
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voicesim-batch", daemon=True)

    def start(self) -> None:
        """Resume what a previous server left unfinished, then wait for new jobs."""
        for job in self.store.batch_jobs.unfinished_jobs():
            log.info("resuming batch job %s (%s)", job.id, job.status)
            self._queue.put(job.id)
        self._thread.start()

    def submit(self, job_id: int) -> None:
        self._queue.put(job_id)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the file in hand, then stop; the job stays running and resumes next start."""
        self._stopping.set()
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def wait_idle(self, timeout_s: float) -> bool:
        """For tests and shutdown: True once every submitted job has been worked through."""
        finished = threading.Event()

        def mark() -> None:
            self._queue.join()
            finished.set()

        threading.Thread(target=mark, daemon=True).start()
        return finished.wait(timeout_s)

    def _run(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                if job_id is None or self._stopping.is_set():
                    return
                self._work_on(job_id)
            except Exception as error:  # a job must never take the worker down with it
                log.exception("batch job %s failed", job_id)
                self._fail(job_id, f"internal error ({type(error).__name__}: {error})")
            finally:
                self._queue.task_done()

    def _fail(self, job_id: int | None, message: str) -> None:
        if job_id is None:
            return
        try:
            self.store.batch_jobs.set_status(job_id, JobStatus.FAILED, message)
        except Exception:
            log.exception("could not mark batch job %s failed", job_id)

    def _work_on(self, job_id: int) -> None:
        jobs = self.store.batch_jobs
        job = jobs.get_job(job_id)
        if job.status is JobStatus.QUEUED:
            jobs.set_status(job_id, JobStatus.RUNNING)
        elif job.status is not JobStatus.RUNNING:
            return  # finished meanwhile (a duplicate submit)
        done = {entry.file for entry in jobs.result_entries(job_id)}
        settings = job.settings
        for rejected in settings.get("rejected", []):
            name = rejected["name"]
            if name not in done:
                jobs.add_result(job_id, name, {"file": name, "error": rejected["error"]})
        folder = self.data_folder / settings["folder"]
        options = job_options(settings)
        for item in settings.get("files", []):
            if item["name"] in done:
                continue  # scored before a restart
            if self._stopping.is_set():
                return  # left running: the next start resumes it here
            jobs.add_result(
                job_id, item["name"], self._score_one(folder / item["stored"], item, options)
            )
        jobs.set_status(job_id, JobStatus.DONE)

    def _score_one(self, path: Path, item: dict[str, Any], options: BatchOptions) -> dict[str, Any]:
        """One file's row, named by the name it was uploaded under, never the server path."""
        row = self.score(path, options, item.get("sha256", ""))
        shown = {**row, "file": item["name"]}
        if shown.get("error"):
            shown["error"] = str(shown["error"]).replace(str(path), item["name"])
        shown["warnings"] = [
            str(w).replace(str(path), item["name"]) for w in row.get("warnings") or []
        ]
        return shown
