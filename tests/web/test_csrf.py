"""Every state-changing request needs the CSRF token of its own browser session: without
it, or with a wrong or someone else's token, it gets 403 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, Browser, World, csrf_of, error_message, signed_in

CSRF_MESSAGE = (
    "missing or stale CSRF token: reload the page and try again "
    "(API clients: send the csrf_token from /api/login as X-CSRF-Token)"
)
BAD_TOKENS = [
    pytest.param("", id="missing"),
    pytest.param("wrong-token-" + "x" * 40, id="wrong"),
    pytest.param("someone-else", id="another-browsers"),
    pytest.param("ünïcödé-" * 6, id="non-ascii"),
]


def _notes(world: World, name: str) -> list[Any]:
    turns = world.store.sessions.get_session(world.ids[name])["turns"]
    return [note for turn in turns for note in turn["annotations"]]


def _answers(world: World, name: str) -> list[Any]:
    answers: list[Any] = world.store.sessions.get_session(world.ids[name])["acknowledgements"]
    return answers


def _token(world: World, bad: str) -> str:
    """A bad token; "someone-else" is the valid token of another signed-in browser."""
    return signed_in(world.app, "admin").csrf if bad == "someone-else" else bad


def test_sign_in_needs_the_token_of_the_form(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    form = client.get("/login")
    login = {"name": "alice", "password": PASSWORDS["alice"]}
    assert client.post("/login", data=login).status_code == 403
    wrong = client.post("/login", data={**login, "csrf_token": "x" * 43})
    assert wrong.status_code == 403 and error_message(wrong.text) == CSRF_MESSAGE
    assert client.get("/sessions").status_code == 303  # not signed in
    fresh = TestClient(world.app, follow_redirects=False)  # a token without its cookie
    assert fresh.post("/login", data={**login, "csrf_token": csrf_of(form.text)}).status_code == 403
    right = client.post("/login", data={**login, "csrf_token": csrf_of(form.text)})
    assert right.status_code == 303 and client.get("/sessions").status_code == 200


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_a_note_needs_the_token(world: World, browsers: dict[str, Browser], bad: str) -> None:
    tom = browsers["tom"]
    url = f"/sessions/{world.ids['alice-1']}/turns/1/notes"
    answer = tom.form(
        url, {"comment": "forged", "label_added": "empathy"}, token=_token(world, bad)
    )
    assert answer.status_code == 403 and error_message(answer.text) == CSRF_MESSAGE
    assert _notes(world, "alice-1") == []
    assert tom.form(url, {"comment": "real"}).status_code == 303
    assert [n["comment"] for n in _notes(world, "alice-1")] == ["real"]


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_an_answer_needs_the_token(world: World, browsers: dict[str, Browser], bad: str) -> None:
    alice = browsers["alice"]
    url = f"/sessions/{world.ids['alice-1']}/answer"
    answer = alice.form(url, {"kind": "disputed", "comment": "forged"}, token=_token(world, bad))
    assert answer.status_code == 403
    assert _answers(world, "alice-1") == []
    assert alice.form(url, {"kind": "acknowledged"}).status_code == 303
    assert [a["kind"] for a in _answers(world, "alice-1")] == ["acknowledged"]


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_delete_needs_the_token(world: World, browsers: dict[str, Browser], bad: str) -> None:
    tom = browsers["tom"]
    url = f"/sessions/{world.ids['alice-2']}/delete"
    assert tom.form(url, token=_token(world, bad)).status_code == 403
    assert (world.folder("alice-2") / "call.wav").exists()
    assert tom.get(f"/sessions/{world.ids['alice-2']}").status_code == 200
    assert tom.form(url).status_code == 303
    assert not world.folder("alice-2").exists()


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_the_api_needs_the_token_header(
    world: World, browsers: dict[str, Browser], bad: str
) -> None:
    tom, alice = browsers["tom"], browsers["alice"]
    token = _token(world, bad)
    session = world.ids["alice-1"]
    calls: list[tuple[Browser, str, str, Any, Callable[[], bool]]] = [
        (tom, "POST", f"/api/sessions/{session}/turns/1/annotations",
         {"comment": "forged"}, lambda: _notes(world, "alice-1") == []),
        (alice, "POST", f"/api/sessions/{session}/acknowledgements",
         {"kind": "disputed"}, lambda: _answers(world, "alice-1") == []),
        (tom, "DELETE", f"/api/sessions/{world.ids['alice-2']}", None,
         lambda: (world.folder("alice-2") / "call.wav").exists()),
    ]  # fmt: skip
    for browser, method, url, body, unchanged in calls:
        answer = browser.api(method, url, json=body, token=token)
        assert answer.status_code == 403, url
        assert answer.json() == {"detail": CSRF_MESSAGE}
        assert unchanged(), url
    for browser, method, url, body, unchanged in calls:
        assert browser.api(method, url, json=body).status_code in (201, 204), url
        assert not unchanged(), url


def test_the_token_in_a_form_field_is_not_taken_from_the_query_string(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom = browsers["tom"]
    url = f"/sessions/{world.ids['alice-1']}/turns/1/notes?csrf_token={tom.csrf}"
    assert tom.form(url, {"comment": "forged"}, token="").status_code == 403
    assert _notes(world, "alice-1") == []


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_the_users_page_needs_the_token(
    world: World, browsers: dict[str, Browser], bad: str
) -> None:
    admin = browsers["admin"]
    token = _token(world, bad) if bad != "someone-else" else signed_in(world.app, "tom").csrf
    new = {"name": "mallory", "role": "admin", "password": "long enough password"}
    assert admin.form("/users", new, token=token).status_code == 403
    assert (
        admin.form("/users/bob/password", {"password": "changed-pw-1"}, token=token).status_code
        == 403
    )
    assert admin.form("/users/bob/delete", token=token).status_code == 403
    names = {a.name for a in world.store.users.accounts()}
    assert "mallory" not in names and "bob" in names
    assert world.store.users.verify_password("bob", PASSWORDS["bob"])
    assert (world.folder("bob-1") / "call.wav").exists()
    assert admin.form("/users", new).status_code == 303
    assert "mallory" in {a.name for a in world.store.users.accounts()}


def test_get_cannot_change_anything(world: World, browsers: dict[str, Browser]) -> None:
    tom = browsers["tom"]
    session = world.ids["alice-1"]
    assert tom.get(f"/sessions/{session}/delete").status_code == 405
    assert tom.get(f"/sessions/{session}/turns/1/notes?comment=x").status_code == 405
    assert tom.get("/users/bob/delete").status_code == 405
    assert (world.folder("alice-1") / "session.json").exists() and _notes(world, "alice-1") == []


def test_a_token_header_in_any_encoding_is_a_403_not_a_crash(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom = browsers["tom"]
    url = f"/api/sessions/{world.ids['alice-1']}/turns/1/annotations"
    for raw in ("é".encode() * 20, b"\xff\xfe" * 20, b" " * 43):
        answer = tom.client.post(url, json={"comment": "x"}, headers={b"X-CSRF-Token": raw})
        assert answer.status_code == 403, raw
        assert answer.json() == {"detail": CSRF_MESSAGE}
    assert _notes(world, "alice-1") == []
