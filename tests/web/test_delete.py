"""Deleting a session removes its folder and audio; removing an account removes its
sessions and folders; afterwards every route answers 404 (or asks to sign in again)."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.web.conftest import (
    PASSWORDS,
    Browser,
    World,
    csrf_of,
    error_message,
    listed_ids,
    main_text,
    section,
    signed_in,
    text_of,
)


def _gone(world: World, browser: Browser, name: str) -> None:
    session_id = world.ids[name]
    for path in (f"/sessions/{session_id}", f"/api/sessions/{session_id}",
                 f"/sessions/{session_id}/audio", f"/sessions/{session_id}/turns/1/audio"):  # fmt: skip
        assert browser.get(path).status_code == 404, path
    assert browser.form(f"/sessions/{session_id}/turns/1/notes", {"comment": "x"}).status_code in (
        403, 404,
    )  # fmt: skip
    assert session_id not in listed_ids(browser.get("/sessions?page_size=100").text)
    rows = csv.DictReader(io.StringIO(browser.get("/export/turns.csv").text))
    assert str(session_id) not in {row["session_id"] for row in rows}


def test_deleting_a_session_removes_its_folder_and_audio(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom = browsers["tom"]
    folder = world.folder("alice-2")
    assert (folder / "call.wav").exists() and (folder / "turn-01.wav").exists()
    tom.form(f"/sessions/{world.ids['alice-2']}/turns/1/notes", {"comment": "keep going"})
    answer = tom.form(f"/sessions/{world.ids['alice-2']}/delete")
    assert answer.status_code == 303 and answer.headers["location"] == "/sessions?deleted=1"
    assert "The session and its audio were deleted." in main_text(
        tom.get("/sessions?deleted=1").text
    )
    assert not folder.exists()
    for viewer in ("tom", "alice", "admin"):
        _gone(world, browsers[viewer], "alice-2")
    again = tom.form(f"/sessions/{world.ids['alice-2']}/delete")
    assert again.status_code == 404
    assert error_message(again.text).startswith(f"no session with id {world.ids['alice-2']}")
    assert world.folder("alice-1").exists()  # nothing else went
    assert len(listed_ids(browsers["alice"].get("/sessions").text)) == 3


def test_deleting_through_the_api(world: World, browsers: dict[str, Browser]) -> None:
    tina = browsers["tina"]
    session_id = world.ids["bob-1"]
    answer = tina.api("DELETE", f"/api/sessions/{session_id}")
    assert answer.status_code == 204 and answer.content == b""
    assert not world.folder("bob-1").exists()
    _gone(world, browsers["bob"], "bob-1")
    again = tina.api("DELETE", f"/api/sessions/{session_id}")
    assert again.status_code == 404
    assert again.json() == {
        "detail": f"no session with id {session_id}; see the session list for valid ids"
    }


def test_removing_an_account_removes_its_sessions_and_folders(
    world: World, browsers: dict[str, Browser]
) -> None:
    alice = signed_in(world.app, "alice")
    assert alice.get("/sessions").status_code == 200
    admin = browsers["admin"]
    answer = admin.form("/users/alice/delete")
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"])
    assert "Done: removed alice and 4 session(s) with their audio." in main_text(page.text)
    accounts = text_of(section(page.text, "users"))
    assert "alice" not in accounts and "bob" in accounts
    for name in ("alice-1", "alice-2", "alice-3", "alice-4"):
        assert not world.folder(name).exists(), name
        _gone(world, admin, name)
    assert world.folder("bob-1").exists() and (world.folder("bob-1") / "call.wav").exists()
    assert world.names(listed_ids(admin.get("/sessions").text)) == {"bob-1", "erin-1", "carol-1"}
    # Her browser is signed out at once, and she cannot sign in again.
    assert alice.get("/sessions").status_code == 303
    assert alice.get("/api/me").status_code == 401
    client = TestClient(world.app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    again = client.post("/login", data={"csrf_token": token, "name": "alice",
                                        "password": PASSWORDS["alice"]})  # fmt: skip
    assert again.status_code == 401
    assert admin.get(f"/progress/{world.user_ids['alice']}").status_code == 404


def test_removing_a_trainer_keeps_the_trainees_sessions(
    world: World, browsers: dict[str, Browser]
) -> None:
    admin = browsers["admin"]
    answer = admin.form("/users/tom/delete")
    assert answer.status_code == 303
    assert "removed tom and 0 session(s)" in main_text(admin.get(answer.headers["location"]).text)
    assert all(world.folder(n).exists() for n in ("alice-1", "alice-2", "alice-3", "alice-4"))
    assert len(listed_ids(admin.get("/sessions?page_size=50").text)) == 7


def test_an_admin_cannot_remove_their_own_account_or_a_missing_one(
    world: World, browsers: dict[str, Browser]
) -> None:
    admin = browsers["admin"]
    own = admin.form("/users/admin/delete")
    assert own.status_code == 400
    assert error_message(own.text) == "you cannot remove your own account while signed in with it"
    missing = admin.form("/users/nobody/delete")
    assert missing.status_code == 404
    assert error_message(missing.text) == "no user named 'nobody'; see `voicesim users list`"
    assert admin.get("/sessions").status_code == 200
