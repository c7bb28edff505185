"""Batch jobs with per-file results, trainee acknowledgements, and a light `import voicesim`."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.store.helpers import practice_folder
from voicesim.errors import StoreError
from voicesim.store.models import JobStatus
from voicesim.store.store import Store


def test_a_batch_job_runs_and_keeps_each_files_result(store: Store) -> None:
    store.users.add_user("tom", "trainer", "long enough")
    job_id = store.batch_jobs.create_job({"lang": "en", "engine": "faster-whisper"}, 2, "tom")
    queued = store.batch_jobs.get_job(job_id)
    assert queued.status is JobStatus.QUEUED and queued.progress == 0.0
    assert queued.settings == {"lang": "en", "engine": "faster-whisper"}
    with pytest.raises(StoreError, match="not running: start it first"):
        store.batch_jobs.add_result(job_id, "a.wav", {"file": "a.wav"})
    store.batch_jobs.set_status(job_id, JobStatus.RUNNING)
    store.batch_jobs.add_result(job_id, "a.wav", {"file": "a.wav", "labels": ["question"]})
    assert store.batch_jobs.get_job(job_id).progress == 0.5
    store.batch_jobs.add_result(job_id, "b.mp3", {"file": "b.mp3", "error": "not audio"})
    store.batch_jobs.set_status(job_id, JobStatus.DONE)
    done = store.batch_jobs.get_job(job_id)
    assert done.status is JobStatus.DONE and done.progress == 1.0
    assert done.started_at is not None and done.finished_at is not None
    assert done.created_at <= done.started_at <= done.finished_at
    assert [r["file"] for r in store.batch_jobs.results(job_id)] == ["a.wav", "b.mp3"]
    assert [j.id for j in store.batch_jobs.list_jobs()] == [job_id]
    with pytest.raises(StoreError, match="is done: it cannot become running"):
        store.batch_jobs.set_status(job_id, JobStatus.RUNNING)
    with pytest.raises(StoreError, match="no batch job with id 999"):
        store.batch_jobs.get_job(999)


def test_retention_deletes_old_finished_jobs_with_their_uploads(
    store: Store, data_dir: Path
) -> None:
    def job_with_upload(name: str, status: JobStatus) -> tuple[int, Path]:
        folder = data_dir / "uploads" / name
        folder.mkdir(parents=True)
        (folder / "001-a.wav").write_bytes(b"RIFF....WAVE")
        job_id = store.batch_jobs.create_job({"folder": f"uploads/{name}"}, 1)
        store.batch_jobs.set_status(job_id, JobStatus.RUNNING)
        if status is not JobStatus.RUNNING:
            store.batch_jobs.set_status(job_id, status)
        return job_id, folder

    _, done_folder = job_with_upload("old-done", JobStatus.DONE)
    _, failed_folder = job_with_upload("old-failed", JobStatus.FAILED)
    running, running_folder = job_with_upload("still-running", JobStatus.RUNNING)
    outside = data_dir / "sessions"
    outside.mkdir(parents=True)
    escaping = store.batch_jobs.create_job({"folder": "uploads/../sessions"}, 0)
    store.batch_jobs.set_status(escaping, JobStatus.FAILED)
    with pytest.raises(StoreError, match="is still running: delete it once it has finished"):
        store.batch_jobs.delete_job(running)
    later = datetime.now(UTC) + timedelta(days=31)
    assert store.batch_jobs.apply_retention(30) == 0  # nothing is that old yet
    assert store.batch_jobs.apply_retention(30, now=later) == 3
    assert not done_folder.exists() and not failed_folder.exists()
    assert running_folder.exists() and outside.exists()  # never outside uploads/
    assert [j.id for j in store.batch_jobs.list_jobs()] == [running]


def test_trainees_acknowledge_or_dispute(store: Store, tmp_path: Path) -> None:
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path, trainee="alice"))
    store.sessions.add_acknowledgement(session_id, "alice")
    store.sessions.add_acknowledgement(session_id, "alice", "disputed", "I was calm", 2)
    answers = store.sessions.get_session(session_id)["acknowledgements"]
    assert [(a["kind"], a["turn"], a["comment"]) for a in answers] == [
        ("acknowledged", None, None),
        ("disputed", 2, "I was calm"),
    ]
    with pytest.raises(StoreError, match="belongs to alice, not bob"):
        store.sessions.add_acknowledgement(session_id, "bob")
    with pytest.raises(StoreError, match="unknown answer 'maybe'"):
        store.sessions.add_acknowledgement(session_id, "alice", "maybe")


def test_importing_voicesim_and_its_command_line_loads_no_database_code() -> None:
    code = (
        "import sys, voicesim, voicesim.core.call, voicesim.cli; voicesim.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'alembic'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
