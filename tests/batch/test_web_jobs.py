"""Batch scoring through the web app: uploads checked by content, a background job with
progress, per-file results and downloads, and jobs that survive a server restart.

The first test runs the real pipeline (real Whisper weights on espeak speech); the others
use a fast stand-in scorer where the point is the job machinery, not the transcript.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voicesim.batch.options import BatchOptions
from voicesim.store.models import JobStatus
from voicesim.store.store import Store, open_store
from voicesim.web.app import create_app
from voicesim.web.settings import WebSettings

PASSWORD = "long enough"
REPLY = "I am so sorry your parcel is late. What happened when you called us?"


@pytest.fixture
def store(tmp_path: Path, private_data_dir: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'web.db'}", private_data_dir)
    opened.users.add_user("tom", "trainer", PASSWORD, "north")
    opened.users.add_user("tina", "trainer", PASSWORD, "south")
    opened.users.add_user("alice", "trainee", PASSWORD, "north")
    yield opened
    opened.close()


def settings(data: Path, **changes: Any) -> WebSettings:
    return WebSettings(secret_key="x" * 40, data_folder=data, **changes)


def token(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, name: str) -> str:
    """Signs in through the form; returns the new session's CSRF token."""
    response = client.post("/login", data={"name": name, "password": PASSWORD,
                                           "csrf_token": token(client, "/login")})  # fmt: skip
    assert response.status_code == 200, response.text[:300]
    return _fresh_token(client)


def _fresh_token(client: TestClient) -> str:
    """The signed-in session's CSRF token (a sign-in makes a new one)."""
    return str(client.get("/api/me").json()["csrf_token"])


def wait_done(client: TestClient, job_id: int, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/batch/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"batch job {job_id} did not finish in {timeout_s} s")


def speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def test_upload_real_recordings_and_bad_files(
    store: Store, private_data_dir: Path, tmp_path: Path
) -> None:
    reply = speak(REPLY, tmp_path / "reply.wav")
    mp3 = tmp_path / "reply.mp3"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(reply), str(mp3)], check=True
    )
    uploads = [
        ("files", ("reply.wav", reply.read_bytes(), "audio/wav")),
        ("files", ("reply.mp3", mp3.read_bytes(), "audio/mpeg")),
        ("files", ("notes.wav", b"call notes, not audio\n", "audio/wav")),
        ("files", ("empty.wav", b"", "audio/wav")),
        ("files", ("script.txt", b"hello", "text/plain")),
        ("files", ("truncated.wav", reply.read_bytes()[:60], "audio/wav")),
    ]
    with TestClient(create_app(store, settings(private_data_dir))) as client:
        csrf = sign_in(client, "tom")
        response = client.post("/batch", data={"csrf_token": csrf, "lang": "en"}, files=uploads,
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303
        job_id = int(response.headers["location"].rsplit("/", 1)[1])
        job = wait_done(client, job_id)
        assert job["status"] == "done" and job["files_done"] == job["files_total"] == 6
        results = {r["file"]: r for r in client.get(f"/api/batch/jobs/{job_id}/results").json()}
        assert set(results) == {
            "reply.wav",
            "reply.mp3",
            "notes.wav",
            "empty.wav",
            "script.txt",
            "truncated.wav",
        }
        for name in ("reply.wav", "reply.mp3"):
            row = results[name]
            assert row["error"] is None, row
            assert "sorry" in row["result"]["text"].lower()
            assert {"apology", "question"} <= set(row["result"]["labels"])
        assert results["notes.wav"]["error"] == (
            "notes.wav: not audio: its content is text, not audio; upload AAC, FLAC, M4A, MP3, "
            "OGA, OGG, OPUS, WAV, WAVE, WEBM recordings"
        )
        assert "empty.wav: not audio: the file is empty (0 bytes)" in results["empty.wav"]["error"]
        assert results["script.txt"]["error"].startswith("script.txt: unsupported format (.txt)")
        truncated = results["truncated.wav"]["error"]
        assert truncated.startswith("truncated.wav") and "\n" not in truncated
        assert str(private_data_dir) not in truncated  # never the server's own path

        page = client.get(f"/batch/{job_id}").text
        assert page.count(f'href="/batch/{job_id}/files/') == 6
        reply_id = next(r["id"] for r in results.values() if r["file"] == "reply.wav")
        detail = client.get(f"/batch/{job_id}/files/{reply_id}").text
        assert 'class="lab lab-apology"' in detail and "What happened" in detail
        audio = client.get(f"/batch/{job_id}/files/{reply_id}/audio")
        assert audio.status_code == 200 and audio.content == reply.read_bytes()

        rows = list(csv.DictReader(io.StringIO(client.get(f"/batch/{job_id}/results.csv").text)))
        assert len(rows) == 6 and {r["file"] for r in rows} == set(results)
        download = client.get(f"/batch/{job_id}/results.json").json()
        assert download["job"]["status"] == "done" and len(download["results"]) == 6


def stand_in(calls: list[str]) -> Any:
    def score(path: Path, options: BatchOptions, sha256: str) -> dict[str, Any]:
        calls.append(path.name)
        return {"file": str(path), "kind": "reply", "text": "thanks", "labels": [], "warnings": []}

    return score


def wav_bytes(tmp_path: Path) -> bytes:
    return speak("Hello, thanks for waiting.", tmp_path / "hello.wav").read_bytes()


def test_a_restarted_server_resumes_an_unfinished_job(
    store: Store, private_data_dir: Path, tmp_path: Path
) -> None:
    audio = wav_bytes(tmp_path)
    files = [("files", (f"reply-{n}.wav", audio, "audio/wav")) for n in range(3)]
    # The first server takes the upload but stops before its worker runs (no lifespan).
    first = TestClient(create_app(store, settings(private_data_dir), stand_in([])))
    csrf = sign_in(first, "tom")
    created = first.post("/api/batch/jobs", files=files, data={"lang": "en"},
                         headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    # ...as if it had crashed after the first file.
    store.batch_jobs.set_status(job_id, JobStatus.RUNNING)
    store.batch_jobs.add_result(
        job_id, "reply-0.wav", {"file": "reply-0.wav", "text": "done before"}
    )

    calls: list[str] = []
    with TestClient(create_app(store, settings(private_data_dir), stand_in(calls))) as second:
        sign_in(second, "tom")
        job = wait_done(second, job_id, 20)
    assert job["status"] == "done" and job["files_done"] == 3
    assert sorted(calls) == ["002-reply-1.wav", "003-reply-2.wav"]  # not the finished one again
    assert [r["file"] for r in store.batch_jobs.results(job_id)] == [
        "reply-0.wav",
        "reply-1.wav",
        "reply-2.wav",
    ]


def test_a_job_that_crashes_is_marked_failed_not_dropped(
    store: Store, private_data_dir: Path, tmp_path: Path
) -> None:
    def broken(path: Path, options: BatchOptions, sha256: str) -> dict[str, Any]:
        raise RuntimeError("decoder exploded")

    with TestClient(create_app(store, settings(private_data_dir), broken)) as client:
        csrf = sign_in(client, "tom")
        created = client.post("/api/batch/jobs", headers={"X-CSRF-Token": csrf},
                              files=[("files", ("a.wav", wav_bytes(tmp_path), "audio/wav"))])  # fmt: skip
        job = wait_done(client, created.json()["id"], 20)
    assert job["status"] == "failed" and "decoder exploded" in job["error"]


def test_upload_guards(store: Store, private_data_dir: Path, tmp_path: Path) -> None:
    audio = wav_bytes(tmp_path)
    small = settings(private_data_dir, max_upload_mb=2 * len(audio) / (1024 * 1024))
    with TestClient(create_app(store, small, stand_in([]))) as client:
        csrf = sign_in(client, "tom")
        big = client.post("/api/batch/jobs", headers={"X-CSRF-Token": csrf},
                          files=[("files", ("big.wav", audio * 3, "audio/wav"))])  # fmt: skip
        assert big.status_code == 413
        assert big.json()["detail"].startswith(
            f"request too large: the limit here is {2 * len(audio) // 1024} KB"
        )
        none = client.post("/api/batch/jobs", headers={"X-CSRF-Token": csrf},
                           files=[("files", ("", b"", "application/octet-stream"))])  # fmt: skip
        assert none.status_code in (400, 422)
        assert "file" in none.json()["detail"]
        bad_lang = client.post("/api/batch/jobs", headers={"X-CSRF-Token": csrf}, data={"lang": "xx"},
                               files=[("files", ("a.wav", audio, "audio/wav"))])  # fmt: skip
        assert bad_lang.status_code == 400 and "language 'xx'" in bad_lang.json()["detail"]
        no_token = client.post("/api/batch/jobs", files=[("files", ("a.wav", audio, "audio/wav"))])
        assert no_token.status_code == 403
        job_id = client.post("/api/batch/jobs", headers={"X-CSRF-Token": csrf},
                             files=[("files", ("a.wav", audio, "audio/wav"))]).json()["id"]  # fmt: skip
        wait_done(client, job_id, 20)
        client.post("/logout", data={"csrf_token": csrf})

        sign_in(client, "tina")  # another trainer: not her job
        assert client.get(f"/api/batch/jobs/{job_id}").status_code == 404
        assert client.get(f"/batch/{job_id}").status_code == 404
        assert job_id not in [j["id"] for j in client.get("/api/batch/jobs").json()]
        client.post("/logout", data={"csrf_token": _fresh_token(client)})

        sign_in(client, "alice")  # trainees do not run batch jobs
        assert client.get("/batch").status_code == 403
        assert client.get("/api/batch/jobs").status_code == 403


def test_deleting_a_finished_job_removes_its_recordings(
    store: Store, private_data_dir: Path, tmp_path: Path
) -> None:
    with TestClient(create_app(store, settings(private_data_dir), stand_in([]))) as client:
        csrf = sign_in(client, "tom")
        job_id = client.post("/api/batch/jobs", headers={"X-CSRF-Token": csrf},
                             files=[("files", ("a.wav", wav_bytes(tmp_path), "audio/wav"))]).json()["id"]  # fmt: skip
        wait_done(client, job_id, 20)
        folder = private_data_dir / store.batch_jobs.get_job(job_id).settings["folder"]
        assert any(folder.iterdir())
        response = client.post(f"/batch/{job_id}/delete", data={"csrf_token": csrf},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303
        assert not folder.exists()
        assert client.get(f"/api/batch/jobs/{job_id}").status_code == 404
