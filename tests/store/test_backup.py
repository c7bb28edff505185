"""``voicesim backup DEST`` and ``voicesim restore DEST``: a backup taken while the store is in
use restores into an empty data folder and an empty database, where a trainer signs in and
reviews the call with its notes and audio; sign-ins do not come back from a backup. On SQLite
(the online backup API) and PostgreSQL (pg_dump and pg_restore) alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import new_database_url
from tests.store.helpers import practice_folder, variant
from tests.store.postgres import PostgresServer
from voicesim.cli import main
from voicesim.errors import StoreError
from voicesim.store.backup import check_pg_versions
from voicesim.store.models import JobStatus
from voicesim.store.store import Store, open_store
from voicesim.web.app import create_app
from voicesim.web.settings import WebSettings

PASSWORD = "long enough"


def fill(store: Store, data_dir: Path, tmp_path: Path) -> tuple[int, int, bytes]:
    """Accounts, a spoken call with a trainer's note, a finished batch job with its upload."""
    store.users.add_user("tom", "trainer", PASSWORD, "north")
    store.users.add_user("alice", "trainee", PASSWORD, "north")
    base = practice_folder(tmp_path, trainee="alice")
    folder = variant(base, "alice-spoken", with_audio=True)
    session_id = store.sessions.save_session_folder(folder)
    store.sessions.add_annotation(session_id, 1, "tom", comment="mirror the feeling first")
    uploads = data_dir / "uploads" / "job-1"
    uploads.mkdir(parents=True)
    (uploads / "001-reply.wav").write_bytes((folder / "turn-01.wav").read_bytes())
    job = store.batch_jobs.create_job(
        {"folder": "uploads/job-1", "files": [{"name": "reply.wav", "stored": "001-reply.wav"}]},
        1, "tom",
    )  # fmt: skip
    store.batch_jobs.set_status(job, JobStatus.RUNNING)
    store.batch_jobs.add_result(job, "reply.wav", {"file": "reply.wav", "text": "hello"})
    store.batch_jobs.set_status(job, JobStatus.DONE)
    return session_id, job, (folder / "call.wav").read_bytes()


def test_backup_and_restore_into_an_empty_data_folder(
    store: Store, database_url: str, data_dir: Path, tmp_path: Path,
    postgres: PostgresServer | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    session_id, job_id, call_audio = fill(store, data_dir, tmp_path)
    old_token = store.sign_ins.start(store.users.authenticate("tom", PASSWORD).id, 3600)  # type: ignore[union-attr]
    dest = tmp_path / "backup"
    assert main(["backup", str(dest)]) == 0
    assert "backup of 2 account(s), 1 session(s), 1 batch job(s)" in capsys.readouterr().out
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["database"] in ("sqlite", "postgresql") and manifest["files"]
    assert main(["restore", "--check", str(dest)]) == 0
    assert "intact" in capsys.readouterr().out

    new_data = tmp_path / "restored-data"
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    new_url = new_database_url(kind, tmp_path, postgres)
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(new_data))
    monkeypatch.setenv("VOICESIM_DATABASE_URL", new_url)
    assert main(["restore", str(dest)]) == 0
    assert "restored 2 account(s), 1 session(s), 1 batch job(s)" in capsys.readouterr().out

    restored = open_store(new_url, new_data)
    try:
        assert restored.sign_ins.viewer(old_token) is None  # sign-ins are not restored
        app = create_app(restored, WebSettings(secret_key="k" * 40, data_folder=new_data))
        client = TestClient(app)
        assert client.post("/api/login", json={"name": "tom", "password": PASSWORD}).status_code == 200
        page = client.get(f"/sessions/{session_id}")
        assert page.status_code == 200 and "mirror the feeling first" in page.text
        assert client.get(f"/sessions/{session_id}/audio").content == call_audio
        (result,) = client.get(f"/api/batch/jobs/{job_id}/results").json()
        assert client.get(f"/batch/{job_id}/files/{result['id']}/audio").status_code == 200
    finally:
        restored.close()

    assert main(["restore", str(dest)]) == 1  # never over data that is already there
    assert re.search(r"not empty.*restore into an empty", capsys.readouterr().err)


def test_a_damaged_backup_is_refused(
    store: Store, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    fill(store, data_dir, tmp_path)
    dest = tmp_path / "backup"
    assert main(["backup", str(dest)]) == 0
    audio = next(p for p in (dest / "files").rglob("call.wav"))
    audio.write_bytes(b"RIFF" + b"\0" * 10)
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("VOICESIM_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert main(["restore", str(dest)]) == 1
    assert "call.wav: damaged (its checksum differs from the manifest)" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere" / "sessions").exists()
    assert main(["backup", str(dest)]) == 1  # nor over an earlier backup
    assert "already exists" in capsys.readouterr().err


def test_pg_dump_must_be_as_new_as_the_server() -> None:
    check_pg_versions("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 150018)
    check_pg_versions("pg_dump (PostgreSQL) 16.2", 150018)
    with pytest.raises(StoreError, match=r"pg_dump 15 is older than the server \(16\)"):
        check_pg_versions("pg_dump (PostgreSQL) 15.18", 160002)
