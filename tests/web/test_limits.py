"""Request bodies over the form limit get a 413 with a clear message before the app reads
them, and nothing is stored. A 1 KB limit keeps the test fast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, World, csrf_of, signed_in
from voicesim.web.app import create_app
from voicesim.web.settings import WebSettings

LIMIT_MESSAGE = "request too large: the limit here is 1 KB"


@pytest.fixture
def small_app(world: World) -> FastAPI:
    settings = WebSettings(secret_key=world.settings.secret_key, data_folder=world.data,
                           max_form_kb=1)  # fmt: skip
    return create_app(world.store, settings)


def _notes(world: World) -> list[object]:
    turns = world.store.sessions.get_session(world.ids["alice-1"])["turns"]
    return [n for t in turns for n in t["annotations"]]


def test_an_oversized_form_gets_413(world: World, small_app: FastAPI) -> None:
    tom = signed_in(small_app, "tom")
    url = f"/sessions/{world.ids['alice-1']}/turns/1/notes"
    answer = tom.form(url, {"comment": "x" * 2000})
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert LIMIT_MESSAGE in answer.text
    assert answer.headers["x-frame-options"] == "DENY"  # still behind the security headers
    assert _notes(world) == []
    assert tom.form(url, {"comment": "x" * 500}).status_code == 303  # under the limit: fine
    assert len(_notes(world)) == 1


def test_an_oversized_json_body_gets_a_413_json(world: World, small_app: FastAPI) -> None:
    tom = signed_in(small_app, "tom")
    url = f"/api/sessions/{world.ids['alice-1']}/turns/1/annotations"
    answer = tom.api("POST", url, json={"comment": "x" * 2000})
    assert answer.status_code == 413
    assert answer.json() == {"detail": LIMIT_MESSAGE}
    assert _notes(world) == []


def test_a_chunked_body_without_a_length_is_stopped_too(world: World, small_app: FastAPI) -> None:
    tom = signed_in(small_app, "tom")

    def chunks() -> Iterator[bytes]:
        yield f"csrf_token={tom.csrf}&comment=".encode()
        for _ in range(8):
            yield b"x" * 512

    for url in (f"/sessions/{world.ids['alice-1']}/turns/1/notes",
                f"/sessions/{world.ids['alice-2']}/delete"):  # fmt: skip
        answer = tom.client.post(
            url, content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert "content-length" not in answer.request.headers
        assert answer.status_code == 413, url
        assert LIMIT_MESSAGE in answer.text
    assert _notes(world) == []
    assert world.folder("alice-2").exists()


def test_an_oversized_sign_in_gets_413(world: World, small_app: FastAPI) -> None:
    client = TestClient(small_app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "name": "alice",
                                         "password": PASSWORDS["alice"], "next": "/" + "x" * 2000})  # fmt: skip
    assert answer.status_code == 413 and LIMIT_MESSAGE in answer.text
    assert client.get("/sessions").status_code == 303


def test_the_default_limit_takes_ordinary_notes(world: World) -> None:
    assert world.settings.max_form_bytes == 64 * 1024
    tom = signed_in(world.app, "tom")
    url = f"/sessions/{world.ids['alice-1']}/turns/1/notes"
    assert tom.form(url, {"comment": "y" * 4000}).status_code == 303
    assert tom.form(url, {"comment": "y" * 70 * 1024}).status_code == 413
    (turn, _) = world.store.sessions.get_session(world.ids["alice-1"])["turns"]
    assert [len(note["comment"]) for note in turn["annotations"]] == [4000]
