"""The web app's main path on SQLite and on PostgreSQL: sign in, list, review, annotate,
export. The rest of the web tests run on SQLite; this one proves nothing in the app depends
on it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.store.helpers import practice_folder
from voicesim.store.store import Store
from voicesim.web.app import create_app
from voicesim.web.settings import WebSettings


def test_review_flow(store: Store, tmp_path: Path, data_dir: Path) -> None:
    store.users.add_user("tom", "trainer", "long enough", "north")
    store.users.add_user("alice", "trainee", "long enough", "north")
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path, trainee="alice"))
    app = create_app(store, WebSettings(secret_key="k" * 40, data_folder=data_dir))
    with TestClient(app) as client:
        login_page = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
        assert csrf
        client.post("/login", data={"name": "tom", "password": "long enough",
                                    "csrf_token": csrf.group(1)})  # fmt: skip
        token = client.get("/api/me").json()["csrf_token"]
        listed = client.get("/api/sessions?trainee=alice&sort=-score").json()
        assert [s["id"] for s in listed["items"]] == [session_id]
        note = client.post(
            f"/api/sessions/{session_id}/turns/2/annotations",
            json={"comment": "mirror the feeling", "label_removed": "dismissive"},
            headers={"X-CSRF-Token": token},
        )
        assert note.status_code == 201, note.text
        turn = client.get(f"/api/sessions/{session_id}").json()["turns"][1]
        assert turn["final_labels"] == [] and turn["annotations"][0]["author"] == "tom"
        page = client.get(f"/sessions/{session_id}").text
        assert "mirror the feeling" in page and 'data-state="removed"' in page
        exported = client.get("/export/turns.csv?trainee=alice").text
        assert "removed dismissive by tom at" in exported
