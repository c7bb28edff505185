"""The admins' account page: list, add (with team and led teams), passwords, and clear
errors for what the form gets wrong."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import (
    ALL_SESSIONS,
    PASSWORDS,
    Browser,
    World,
    error_message,
    listed_ids,
    main_text,
    section,
    sign_in,
    text_of,
)


def _rows(page: str) -> dict[str, list[str]]:
    """name -> [role, team, leads, sign-in] from the account table."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section(page, "users").split("<tbody>")[1], re.S):
        cells = [text_of(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells[1:5]
    return rows


def test_the_account_list(world: World, browsers: dict[str, Browser]) -> None:
    rows = _rows(browsers["admin"].get("/users").text)
    assert rows == {
        "admin": ["admin", "–", "–", "yes"],
        "alice": ["trainee", "north", "–", "yes"],
        "bob": ["trainee", "south", "–", "yes"],
        "carol": ["trainee", "–", "–", "yes"],
        "erin": ["trainee", "east", "–", "yes"],
        "tina": ["trainer", "south", "east", "yes"],
        "tom": ["trainer", "north", "–", "yes"],
    }


def test_an_admin_adds_a_trainer_who_then_sees_the_right_sessions(
    world: World, browsers: dict[str, Browser]
) -> None:
    admin = browsers["admin"]
    answer = admin.form("/users", {"name": " tess ", "role": "trainer", "team": "north",
                                   "leads": "east, south,", "password": "tess-password-1"})  # fmt: skip
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"]).text
    assert "Done: added tess (trainer)." in main_text(page)
    assert _rows(page)["tess"] == ["trainer", "north", "east, south", "yes"]
    tess = sign_in(world.app, "tess", "tess-password-1")
    assert "tess · trainer" in text_of(tess.get("/sessions").text)
    seen = world.names(listed_ids(tess.get("/sessions?page_size=50").text))
    assert seen == ALL_SESSIONS - {"carol-1"}
    assert tess.get(f"/sessions/{world.ids['carol-1']}").status_code == 404
    assert (
        tess.form(f"/sessions/{world.ids['erin-1']}/turns/1/notes", {"comment": "ok"}).status_code
        == 303
    )
    assert tess.get("/users").status_code == 403


def test_an_admin_adds_a_trainee_who_sees_only_their_own(
    world: World, browsers: dict[str, Browser]
) -> None:
    admin = browsers["admin"]
    new = {"name": "dave", "role": "trainee", "team": "north", "password": "dave-password-1"}
    assert admin.form("/users", new).status_code == 303
    dave = sign_in(world.app, "dave", "dave-password-1")
    assert listed_ids(dave.get("/sessions").text) == []
    assert "0 sessions of yours" in main_text(dave.get("/sessions").text)
    # His trainer follows him now.
    names = re.findall(
        r'<a href="/progress/\d+">([^<]+)</a>', browsers["tom"].get("/progress").text
    )
    assert names == ["alice", "dave"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "zed", "role": "trainer", "password": "short"},
         "user 'zed': the password must have at least 8 characters"),
        ({"name": "zed", "role": "boss", "password": "long enough"},
         "unknown role 'boss'; use one of: trainee, trainer, admin"),
        ({"name": "zed", "role": "trainee", "password": "long enough", "leads": "east"},
         "user 'zed': only a trainer leads teams (--leads)"),
        ({"name": "tom", "role": "trainer", "password": "long enough"},
         "user 'tom' already exists; pick another name or remove the old account"),
        ({"name": "   ", "role": "trainer", "password": "long enough"},
         "a user name cannot be empty"),
        ({"role": "trainer", "password": "long enough"},
         "bad request: name: Field required"),
        ({"name": "z" * 101, "role": "trainer", "password": "long enough"},
         "bad request: name: String should have at most 100 characters"),
    ],
)  # fmt: skip
def test_a_bad_account_form_is_a_clear_400(
    world: World, browsers: dict[str, Browser], form: dict[str, str], message: str
) -> None:
    admin = browsers["admin"]
    before = _rows(admin.get("/users").text)
    answer = admin.form("/users", form)
    assert answer.status_code == 400
    assert error_message(answer.text) == message
    assert "That request is not right" in main_text(answer.text)
    assert _rows(admin.get("/users").text) == before


def test_an_admin_sets_a_new_password(world: World, browsers: dict[str, Browser]) -> None:
    admin = browsers["admin"]
    short = admin.form("/users/bob/password", {"password": "short"})
    assert short.status_code == 400
    assert error_message(short.text) == "user 'bob': the password must have at least 8 characters"
    answer = admin.form("/users/bob/password", {"password": "bob-new-password"})
    assert answer.status_code == 303
    assert "Done: new password for bob." in main_text(admin.get(answer.headers["location"]).text)
    assert not world.store.users.verify_password("bob", PASSWORDS["bob"])
    assert sign_in(world.app, "bob", "bob-new-password").get("/sessions").status_code == 200
    missing = admin.form("/users/nobody/password", {"password": "long enough"})
    assert missing.status_code == 404


def test_an_imported_trainee_gets_a_login_through_the_form(
    world: World, browsers: dict[str, Browser]
) -> None:
    """A name first seen in a saved session has an account without a password."""
    from tests.store.helpers import variant

    folder = variant(world.folder("carol-1"), "frank-1", trainee="frank")
    world.ids["frank-1"] = world.store.sessions.save_session_folder(folder)
    admin = browsers["admin"]
    assert _rows(admin.get("/users").text)["frank"] == ["trainee", "–", "–", "no password yet"]
    new = {"name": "frank", "role": "trainee", "team": "east", "password": "frank-password"}
    assert admin.form("/users", new).status_code == 303
    assert _rows(admin.get("/users").text)["frank"] == ["trainee", "east", "–", "yes"]
    frank = sign_in(world.app, "frank", "frank-password")
    assert world.names(listed_ids(frank.get("/sessions").text)) == {"frank-1"}
    tina = browsers["tina"]  # leads east
    assert world.ids["frank-1"] in listed_ids(tina.get("/sessions").text)


def test_the_done_message_is_shown_as_text(world: World, browsers: dict[str, Browser]) -> None:
    page = browsers["admin"].get("/users?done=<script>alert(1)</script>").text
    assert "<script>alert(1)" not in page
    assert "Done: <script>alert(1)</script>." in main_text(page)
