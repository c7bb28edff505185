"""The access rule through every route: pages, API, audio, progress, exports, notes,
answers and delete. A session someone may not see must look exactly like a missing one."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.store.helpers import variant
from tests.web.conftest import (
    ALL_SESSIONS,
    VISIBLE_TO,
    Browser,
    World,
    error_message,
    listed_ids,
    main_text,
    sign_in,
    text_of,
)

VIEWERS = ["alice", "bob", "carol", "erin", "tom", "tina", "admin"]


def _export_ids(browser: Browser) -> dict[str, set[int]]:
    sessions = list(csv.DictReader(io.StringIO(browser.get("/export/sessions.csv").text)))
    turns = list(csv.DictReader(io.StringIO(browser.get("/export/turns.csv").text)))
    document = browser.get("/export/sessions.json").json()
    return {
        "sessions.csv": {int(row["id"]) for row in sessions},
        "turns.csv": {int(row["session_id"]) for row in turns},
        "sessions.json": {s["id"] for s in document["sessions"]},
    }


@pytest.mark.parametrize("viewer", VIEWERS)
def test_each_viewer_lists_and_exports_exactly_the_sessions_they_may_see(
    world: World, browsers: dict[str, Browser], viewer: str
) -> None:
    browser = browsers[viewer]
    expected = VISIBLE_TO[viewer]
    page = browser.get("/sessions?page_size=100")
    assert page.status_code == 200
    assert world.names(listed_ids(page.text)) == expected
    noun = "session" if len(expected) == 1 else "sessions"
    assert f"{len(expected)} {noun}" in text_of(page.text)
    api = browser.get("/api/sessions?page_size=100").json()
    assert api["total"] == len(expected)
    assert world.names([item["id"] for item in api["items"]]) == expected
    for export, ids in _export_ids(browser).items():
        assert world.names(ids) == expected, export
    # Asking for someone else's sessions by name finds nothing, it does not widen the view.
    for other in ("alice", "bob", "erin", "carol"):
        filtered = browser.get(f"/api/sessions?trainee={other}").json()
        assert world.names([i["id"] for i in filtered["items"]]) == expected & {
            name for name in ALL_SESSIONS if name.startswith(other)
        }


@pytest.mark.parametrize("viewer", VIEWERS)
def test_each_session_opens_only_for_those_who_may_see_it(
    world: World, browsers: dict[str, Browser], viewer: str
) -> None:
    browser = browsers[viewer]
    for name, session_id in world.ids.items():
        page = browser.get(f"/sessions/{session_id}")
        api = browser.get(f"/api/sessions/{session_id}")
        if name in VISIBLE_TO[viewer]:
            assert page.status_code == 200 and api.status_code == 200, (viewer, name)
            assert api.json()["trainee"] == name.split("-")[0]
        else:
            assert page.status_code == 404 and api.status_code == 404, (viewer, name)
            _looks_missing(page.text, api.json(), session_id)


def _looks_missing(page: str, api: dict[str, str], session_id: int) -> None:
    """The same answer as for an id that does not exist: no name, no text, no path."""
    message = f"no session with id {session_id}; see the session list for valid ids"
    assert error_message(page) == message
    assert api == {"detail": message}
    assert main_text(page) == f"Not found {message} Back to the sessions"


def test_a_hidden_session_answers_like_a_missing_one_byte_for_byte(
    world: World, browsers: dict[str, Browser]
) -> None:
    alice = browsers["alice"]
    hidden, missing = world.ids["bob-1"], 999_999
    for template in ("/sessions/{}", "/api/sessions/{}", "/sessions/{}/audio",
                     "/sessions/{}/turns/1/audio", "/api/sessions/{}/acknowledgements"):  # fmt: skip
        method = "POST" if template.endswith("acknowledgements") else "GET"
        answers = [
            alice.api(method, template.format(i), json={"kind": "acknowledged"})
            for i in (hidden, missing)
        ]
        assert [a.status_code for a in answers] == [404, 404], template
        hidden_text, missing_text = (
            a.text.replace(f"with id {i};", "with id ID;")
            for a, i in zip(answers, (hidden, missing), strict=True)
        )
        assert hidden_text == missing_text, template
        assert answers[0].headers["content-type"] == answers[1].headers["content-type"]


def test_audio_of_a_hidden_session_is_not_served(
    world: World, browsers: dict[str, Browser]
) -> None:
    bob_session = world.ids["bob-1"]
    assert (world.folder("bob-1") / "call.wav").exists()
    for viewer in ("alice", "tom", "carol", "erin"):
        for path in (f"/sessions/{bob_session}/audio", f"/sessions/{bob_session}/turns/1/audio"):
            answer = browsers[viewer].get(path)
            assert answer.status_code == 404, (viewer, path)
            assert not answer.headers["content-type"].startswith("audio/")
            assert b"RIFF" not in answer.content
    for viewer in ("bob", "tina", "admin"):
        answer = browsers[viewer].get(f"/sessions/{bob_session}/audio")
        assert answer.status_code == 200 and answer.content.startswith(b"RIFF"), viewer


def test_a_trainee_cannot_annotate_delete_or_answer_for_someone_else(
    world: World, browsers: dict[str, Browser]
) -> None:
    alice = browsers["alice"]
    bob_session = world.ids["bob-1"]
    note = alice.form(f"/sessions/{bob_session}/turns/1/notes", {"comment": "mine now"})
    assert note.status_code == 403
    assert error_message(note.text) == "only trainers and admins can do this"
    api_note = alice.api("POST", f"/api/sessions/{bob_session}/turns/1/annotations",
                         json={"comment": "mine now"})  # fmt: skip
    assert api_note.status_code == 403
    assert api_note.json() == {"detail": "only trainers and admins can do this"}
    # Not even her own session: notes are the trainers' job.
    own = alice.form(f"/sessions/{world.ids['alice-1']}/turns/1/notes", {"comment": "I was great"})
    assert own.status_code == 403
    assert alice.form(f"/sessions/{bob_session}/delete").status_code == 403
    assert alice.form(f"/sessions/{world.ids['alice-1']}/delete").status_code == 403
    assert alice.api("DELETE", f"/api/sessions/{bob_session}").status_code == 403
    answer = alice.form(f"/sessions/{bob_session}/answer", {"kind": "acknowledged"})
    assert answer.status_code == 404
    api_answer = alice.api("POST", f"/api/sessions/{bob_session}/acknowledgements",
                           json={"kind": "disputed", "comment": "not me"})  # fmt: skip
    assert api_answer.status_code == 404
    for name in ("bob-1", "alice-1"):
        session = world.store.sessions.get_session(world.ids[name])
        assert session["acknowledgements"] == []
        assert all(t["annotations"] == [] for t in session["turns"])
        assert (world.folder(name) / "session.json").exists()


def test_a_trainer_cannot_touch_sessions_outside_their_teams(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom, tina = browsers["tom"], browsers["tina"]
    for name in ("bob-1", "erin-1", "carol-1"):
        session_id = world.ids[name]
        assert (
            tom.form(f"/sessions/{session_id}/turns/1/notes", {"comment": "x"}).status_code == 404
        )
        assert tom.api("POST", f"/api/sessions/{session_id}/turns/1/annotations",
                       json={"comment": "x"}).status_code == 404  # fmt: skip
        assert tom.form(f"/sessions/{session_id}/delete").status_code == 404
        assert tom.api("DELETE", f"/api/sessions/{session_id}").status_code == 404
        assert (world.folder(name) / "session.json").exists()
    assert tina.form(f"/sessions/{world.ids['alice-1']}/delete").status_code == 404
    assert (
        tina.form(f"/sessions/{world.ids['carol-1']}/turns/1/notes", {"comment": "x"}).status_code
        == 404
    )
    # Within her teams (her own and the one she leads) she may.
    for name in ("bob-1", "erin-1"):
        answer = tina.form(f"/sessions/{world.ids[name]}/turns/1/notes", {"comment": "listen more"})
        assert answer.status_code == 303, name
    assert all(
        not any(t["annotations"] for t in world.store.sessions.get_session(world.ids[n])["turns"])
        for n in ("alice-1", "carol-1")
    )


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("alice", {"alice"}),
        ("carol", {"carol"}),
        ("tom", {"alice"}),
        ("tina", {"bob", "erin"}),
        ("admin", {"alice", "bob", "erin", "carol"}),
    ],
)
def test_progress_follows_the_same_rule(
    world: World, browsers: dict[str, Browser], viewer: str, visible: set[str]
) -> None:
    browser = browsers[viewer]
    for trainee in ("alice", "bob", "erin", "carol"):
        trainee_id = world.user_ids[trainee]
        page = browser.get(f"/progress/{trainee_id}")
        api = browser.get(f"/api/trainees/{trainee_id}/progress")
        if trainee in visible:
            assert page.status_code == 200 and api.json()["trainee"] == trainee, trainee
        else:
            assert (page.status_code, api.status_code) == (404, 404), trainee
            assert api.json() == {"detail": f"no trainee with id {trainee_id}"}
            assert main_text(page.text) == (
                f"Not found no trainee with id {trainee_id} Back to the sessions"
            )
    index = browser.get("/progress")
    if viewer in ("alice", "carol"):
        assert index.status_code == 303
        assert index.headers["location"] == f"/progress/{world.user_ids[viewer]}"
    else:
        names = set(re.findall(r'<a href="/progress/\d+">([^<]+)</a>', index.text))
        assert names == visible


def test_the_filter_menus_offer_only_visible_people(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom = browsers["tom"].get("/sessions").text
    menu = tom.split('name="trainee"')[1].split("</select>")[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", menu) == ["anyone", "alice"]
    alice = browsers["alice"].get("/sessions").text
    assert 'name="trainee"' not in alice  # a trainee has no one to pick
    for name in ("bob", "erin", "carol", "tom", "tina"):
        assert name not in text_of(alice)


def test_only_admins_manage_accounts(world: World, browsers: dict[str, Browser]) -> None:
    for viewer in ("alice", "tom", "tina"):
        browser = browsers[viewer]
        page = browser.get("/users")
        assert page.status_code == 403
        assert error_message(page.text) == "only admins manage accounts"
        assert "bob" not in text_of(page.text)
        added = browser.form("/users", {"name": "mallory", "role": "admin",
                                        "password": "long enough password"})  # fmt: skip
        assert added.status_code == 403
        assert browser.form("/users/bob/delete").status_code == 403
        assert browser.form("/users/bob/password", {"password": "hijacked-123"}).status_code == 403
    accounts = {a.name for a in world.store.users.accounts()}
    assert "mallory" not in accounts and "bob" in accounts
    assert world.store.users.verify_password("bob", "bob-password-123")


def test_guessed_ids_give_404_everywhere(world: World, browsers: dict[str, Browser]) -> None:
    admin = browsers["admin"]
    alice_session = world.ids["alice-1"]
    for path in ("/sessions/424242", "/sessions/424242/audio", "/sessions/424242/turns/1/audio",
                 f"/sessions/{alice_session}/turns/9/audio", "/progress/424242",
                 "/api/sessions/424242", "/api/trainees/424242/progress", "/sessions/0",
                 "/sessions/-1"):  # fmt: skip
        assert admin.get(path).status_code == 404, path
    assert admin.form("/sessions/424242/turns/1/notes", {"comment": "x"}).status_code == 404
    assert (
        admin.form(f"/sessions/{alice_session}/turns/9/notes", {"comment": "x"}).status_code == 404
    )
    assert admin.form("/sessions/424242/delete").status_code == 404
    assert admin.api("DELETE", "/api/sessions/424242").status_code == 404
    missing_turn = admin.get(f"/sessions/{alice_session}/turns/9/audio")
    assert error_message(missing_turn.text) == f"session {alice_session} has no turn 9"


def test_the_review_page_offers_each_role_its_own_actions(
    world: World, browsers: dict[str, Browser]
) -> None:
    session_id = world.ids["alice-1"]
    own = browsers["alice"].get(f"/sessions/{session_id}").text
    assert f'action="/sessions/{session_id}/answer"' in own
    assert "/notes" not in own and f"/sessions/{session_id}/delete" not in own
    trainer = browsers["tom"].get(f"/sessions/{session_id}").text
    assert f'action="/sessions/{session_id}/turns/1/notes"' in trainer
    assert f'action="/sessions/{session_id}/delete"' in trainer
    assert f'action="/sessions/{session_id}/answer"' not in trainer
    menus = {
        viewer: text_of(
            browsers[viewer].get("/sessions").text.split("<header")[1].split("</header>")[0]
        )
        for viewer in ("alice", "tom", "admin")
    }
    assert menus["alice"].endswith("Sessions Progress API alice · trainee Sign out")
    assert "Users" not in menus["tom"] and "Batch scoring" in menus["tom"]
    assert "Users" in menus["admin"]


def test_a_trainer_sees_trainees_of_their_teams_not_fellow_trainers(
    world: World, browsers: dict[str, Browser]
) -> None:
    """The rule names trainees: another trainer (or an admin) who shares the team and
    practises a call keeps it to themselves and the admins."""
    world.store.users.add_user("trent", "trainer", "trent-password-1", "north")
    world.store.users.add_user("ada", "admin", "ada-password-12", "east")
    for trainer in ("trent", "ada"):
        folder = variant(world.folder("alice-1"), f"{trainer}-1", trainee=trainer)
        world.ids[f"{trainer}-1"] = world.store.sessions.save_session_folder(folder)
    tom = browsers["tom"]
    assert world.names(listed_ids(tom.get("/sessions").text)) == VISIBLE_TO["tom"]
    assert tom.get(f"/sessions/{world.ids['trent-1']}").status_code == 404
    trent = world.store.users.authenticate("trent", "trent-password-1")
    assert trent is not None
    assert tom.get(f"/progress/{trent.id}").status_code == 404
    assert tom.get(f"/api/trainees/{trent.id}/progress").status_code == 404
    assert "trent" not in main_text(tom.get("/progress").text)
    tina = browsers["tina"]  # leads east, where the admin ada sits
    assert world.names(listed_ids(tina.get("/sessions").text)) == VISIBLE_TO["tina"]
    assert tina.get(f"/sessions/{world.ids['ada-1']}").status_code == 404
    admin = browsers["admin"]
    assert world.names(listed_ids(admin.get("/sessions?page_size=50").text)) == (
        ALL_SESSIONS | {"trent-1", "ada-1"}
    )
    # The fellow trainer sees their own call.
    own = sign_in(world.app, "trent", "trent-password-1")
    assert world.names(listed_ids(own.get("/sessions").text)) == {"trent-1"} | VISIBLE_TO["tom"]
