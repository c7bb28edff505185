"""Uploaded files on disk: nothing is left behind by an upload that fails half-way or by a
server killed mid-upload (swept at start and by retention), and a long file name keeps its
extension. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import SECRET_KEY, SmallWorld, api_sign_in
from voicesim.batch.options import BatchOptions
from voicesim.cli import main
from voicesim.errors import StoreError
from voicesim.web.app import create_app
from voicesim.web.batch_uploads import display_name
from voicesim.web.settings import WebSettings

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\0" * 40  # passes the content check


def stand_in(calls: list[str]) -> Any:
    def score(path: Path, options: BatchOptions, sha256: str) -> dict[str, Any]:
        calls.append(path.name)
        return {"file": str(path), "kind": "reply", "text": "thanks", "labels": [], "warnings": []}

    return score


def app_with(small_world: SmallWorld, calls: list[str]) -> Any:
    settings = WebSettings(secret_key=SECRET_KEY, data_folder=small_world.data)
    return create_app(small_world.store, settings, stand_in(calls))


def upload_folders(small_world: SmallWorld) -> list[str]:
    root = small_world.data / "uploads"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def make_orphan(small_world: SmallWorld, name: str, age_s: float) -> Path:
    """What a server killed between saving the files and recording the job leaves."""
    folder = small_world.data / "uploads" / name
    folder.mkdir(parents=True)
    (folder / "001-reply.wav").write_bytes(WAV)
    then = time.time() - age_s
    for path in (folder / "001-reply.wav", folder):
        os.utime(path, (then, then))
    return folder


def test_an_upload_that_fails_half_way_leaves_no_files(
    small_world: SmallWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_with(small_world, [])
    tom = api_sign_in(app, "tom")

    def locked(*args: Any, **kwargs: Any) -> int:
        raise StoreError("database is locked")

    monkeypatch.setattr(small_world.store.batch_jobs, "create_job", locked)
    answer = tom.client.post("/api/batch/jobs", headers={"X-CSRF-Token": tom.csrf},
                             files=[("files", ("reply.wav", WAV, "audio/wav"))])  # fmt: skip
    assert answer.status_code == 400 and "database is locked" in answer.json()["detail"]
    assert upload_folders(small_world) == []


def test_leftovers_of_a_killed_upload_are_swept_at_start(small_world: SmallWorld) -> None:
    calls: list[str] = []
    app = app_with(small_world, calls)
    with TestClient(app) as client:
        tom = api_sign_in(app, "tom")
        made = tom.client.post("/api/batch/jobs", headers={"X-CSRF-Token": tom.csrf},
                               files=[("files", ("reply.wav", WAV, "audio/wav"))])  # fmt: skip
        assert made.status_code == 201
        assert client.get("/login").status_code == 200
    kept = upload_folders(small_world)
    assert len(kept) == 1  # the job's own files
    make_orphan(small_world, "killed-yesterday", age_s=86400)
    make_orphan(small_world, "arriving-now", age_s=5)  # another server is still receiving it
    with TestClient(app_with(small_world, calls)):
        pass  # a restart
    assert upload_folders(small_world) == sorted([*kept, "arriving-now"])


def test_retention_sweeps_leftover_uploads(small_world: SmallWorld, capsys: Any) -> None:
    make_orphan(small_world, "killed-last-week", age_s=7 * 86400)
    assert main(["retention", "apply", "--days", "30"]) == 0
    assert upload_folders(small_world) == []
    assert "1 upload folder(s) no job refers to" in capsys.readouterr().out


def test_a_long_file_name_keeps_its_extension(small_world: SmallWorld) -> None:
    long_name = "call with the customer " * 12 + ".wav"
    assert len(long_name) > 255
    shown = display_name(long_name, set())
    assert shown.endswith(".wav") and len(shown) <= 200
    calls: list[str] = []
    app = app_with(small_world, calls)
    with TestClient(app):
        tom = api_sign_in(app, "tom")
        made = tom.client.post("/api/batch/jobs", headers={"X-CSRF-Token": tom.csrf},
                               files=[("files", (long_name, WAV, "audio/wav"))])  # fmt: skip
        assert made.status_code == 201
        assert app.state.batch_worker.wait_idle(20)
        (row,) = tom.client.get(f"/api/batch/jobs/{made.json()['id']}/results").json()
    assert row["error"] is None and row["file"] == shown
    assert len(calls) == 1 and calls[0].endswith(".wav")
