"""A small world for the web tests, built once and copied for every test.

Seven users (admin; trainer tom in team north; trainer tina in team south who also leads team
east; trainees alice in north, bob in south, erin in east and carol in no team) and seven
sessions made from real `voicesim practice --text` calls: four of alice's (one spoken, with
audio; one in Dutch; one on another persona), one each for bob (spoken, with audio), erin
and carol. Building it (practice calls, migrations, argon2 hashes) takes a few seconds, so
it is made once per test run and each test gets a private copy of its database and data
folder: tests may change and delete whatever they like.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.store.helpers import practice_folder, variant
from voicesim.cli import main
from voicesim.settings import sessions_dir
from voicesim.store.session_folder import SESSION_FILE
from voicesim.store.store import Store, open_store
from voicesim.web.app import create_app
from voicesim.web.settings import WebSettings

if TYPE_CHECKING:
    from httpx2 import Response  # what Starlette's TestClient answers with

SECRET_KEY = "web-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORDS = {
    name: f"{name}-password-123"
    for name in ("admin", "tom", "tina", "alice", "bob", "erin", "carol")
}
# (name, role, team, teams led)
USERS = [
    ("admin", "admin", None, ()),
    ("tom", "trainer", "north", ()),
    ("tina", "trainer", "south", ("east",)),
    ("alice", "trainee", "north", ()),
    ("bob", "trainee", "south", ()),
    ("erin", "trainee", "east", ()),
    ("carol", "trainee", None, ()),
]
# Who sees which session, by the access rule.
SESSIONS_OF = {
    "alice": {"alice-1", "alice-2", "alice-3", "alice-4"},
    "bob": {"bob-1"},
    "erin": {"erin-1"},
    "carol": {"carol-1"},
}
ALL_SESSIONS = set().union(*SESSIONS_OF.values())
VISIBLE_TO = {
    **SESSIONS_OF,
    "tom": SESSIONS_OF["alice"],
    "tina": SESSIONS_OF["bob"] | SESSIONS_OF["erin"],
    "admin": ALL_SESSIONS,
}


def _practice(tmp: Path, trainee: str, persona: str, lang: str) -> Path:
    """`voicesim practice --text` for another persona or language than the helper's (scored
    by the lexicons, as the helper's calls are, so retraining the hybrid moves no figure here)."""
    replies = tmp / "replies.txt"
    replies.write_text("I am so sorry. What happened?\nCalm down, as I said.\n", encoding="utf-8")
    before = set(sessions_dir().glob("*"))
    code = main(
        ["practice", "--persona", persona, "--lang", lang, "--text", "--replies", str(replies),
         "--seed", "1", "--json", "--trainee", trainee, "--scorer", "lexicon"]
    )  # fmt: skip
    assert code == 0
    (folder,) = set(sessions_dir().glob("*")) - before
    return folder


def _document(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
    return document


def _scored(folder: Path, overall: int) -> dict[str, Any]:
    return {**_document(folder)["scorecard"], "overall": overall}


@dataclass(frozen=True)
class Template:
    root: Path  # holds db.sqlite and data/
    ids: dict[str, int]  # session name -> id
    user_ids: dict[str, int]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    root = tmp_path_factory.mktemp("web-world")
    scratch = tmp_path_factory.mktemp("web-world-scratch")  # replies files and the like
    data = root / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICESIM_DATA_DIR", str(data))
        patch.delenv("VOICESIM_SESSIONS_DIR", raising=False)
        patch.delenv("VOICESIM_DATABASE_URL", raising=False)
        base = practice_folder(scratch, trainee="alice")  # valentine-gift, en, ended at level 2
        other = _practice(scratch, "alice", "app-login", "en")
        dutch = _practice(scratch, "alice", "valentine-gift", "nl")
        folders = {
            "alice-1": variant(base, "alice-1", started_at="2025-01-10T09:00:00+00:00"),
            "alice-2": variant(
                base, "alice-2", with_audio=True, started_at="2025-02-20T14:30:00+00:00",
                outcome="resolved", final_level=1, scorecard=_scored(base, 80),
            ),
            "alice-3": variant(
                other, "alice-3", started_at="2025-03-05T08:00:00+00:00", outcome="hung_up",
                final_level=5, scorecard=_scored(other, 20),
            ),
            "alice-4": variant(dutch, "alice-4", started_at="2025-03-06T08:00:00+00:00"),
            "bob-1": variant(
                base, "bob-1", with_audio=True, trainee="bob",
                started_at="2025-02-02T10:00:00+00:00",
            ),
            "erin-1": variant(base, "erin-1", trainee="erin", started_at="2025-02-03T10:00:00+00:00"),
            "carol-1": variant(
                base, "carol-1", trainee="carol", started_at="2025-02-04T10:00:00+00:00"
            ),
        }  # fmt: skip
        for folder in (base, other, dutch):
            shutil.rmtree(folder)
        (data / "voicesim.db").unlink(missing_ok=True)  # where the practice command saved them
        store = open_store(f"sqlite:///{root / 'db.sqlite'}", data)
        try:
            user_ids = {
                name: store.users.add_user(name, role, PASSWORDS[name], team, leads)
                for name, role, team, leads in USERS
            }
            ids = {name: store.sessions.save_session_folder(f) for name, f in folders.items()}
            # Every user signed in once, through the real form: the sign-ins are rows of this
            # database, so each world (a copy of it) starts with them (see ``signed_in``).
            app = create_app(store, WebSettings(secret_key=SECRET_KEY, data_folder=data))
            for name, *_ in USERS:
                browser = sign_in(app, name)
                _SIGNED_IN[name] = (browser.client.cookies["voicesim_session"], browser.csrf)
        finally:
            store.close()
    yield Template(root, ids, user_ids)


@dataclass
class World:
    store: Store
    app: FastAPI
    settings: WebSettings
    data: Path  # the data folder (sessions/ inside)
    ids: dict[str, int]
    user_ids: dict[str, int]

    def folder(self, name: str) -> Path:
        return self.data / "sessions" / name

    def names(self, ids: set[int] | list[int]) -> set[str]:
        """Session ids back to their names in this world."""
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(i, f"unknown-{i}") for i in ids}


@pytest.fixture
def world(template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    root = tmp_path / "world"
    shutil.copytree(template.root, root)
    data = root / "data"
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(data))
    store = open_store(f"sqlite:///{root / 'db.sqlite'}", data)
    settings = WebSettings(secret_key=SECRET_KEY, data_folder=data)
    try:
        yield World(store, create_app(store, settings), settings, data, dict(template.ids),
                    dict(template.user_ids))  # fmt: skip
    finally:
        store.close()


# ---- reading pages -------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


INLINE_TAGS = {"mark", "b", "i", "a", "code", "q", "em", "strong"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style")
        if tag not in INLINE_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")
        if tag not in INLINE_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    """What a reader sees: the page's text, whitespace collapsed (inline tags such as the
    evidence marks do not break words apart)."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def section(html: str, element_id: str) -> str:
    """The HTML from the element with this id to the end of its closing tag (same tag name,
    nesting counted)."""
    start = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', html)
    assert start, f"no element with id {element_id!r}"
    tag, begin = start.group(1), start.start()
    depth = 0
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", html[begin:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return html[begin : begin + match.end()]
    return html[begin:]  # unclosed: to the end


def listed_ids(html: str) -> list[int]:
    """The session ids linked from the list page's table, in order."""
    if 'id="sessions"' not in html:
        return []
    return [int(i) for i in re.findall(r'href="/sessions/(\d+)"', section(html, "sessions"))]


def main_text(html: str) -> str:
    """The text of the page body without the menu (which names the signed-in user)."""
    return text_of(html.split("<main>", 1)[1].split("</main>", 1)[0])


def error_message(html: str) -> str:
    return unescape(re.search(r'id="message">(.*?)</p>', html, re.S).group(1))  # type: ignore[union-attr]


# ---- signing in ----------------------------------------------------------------------------


class Browser:
    """A TestClient with its own cookies, signed in through the real form."""

    def __init__(self, app: FastAPI):
        self.client = TestClient(app, follow_redirects=False)
        self.csrf = ""

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.client.get(url, **kwargs)

    def form(
        self, url: str, data: dict[str, str] | None = None, token: str | None = None
    ) -> Response:
        """POST a form as the page would, with this browser's CSRF token (or ``token``)."""
        fields = {"csrf_token": self.csrf if token is None else token, **(data or {})}
        if token == "":
            fields.pop("csrf_token")
        return self.client.post(url, data=fields)

    def api(self, method: str, url: str, json: Any = None, token: str | None = None) -> Response:
        value = self.csrf if token is None else token
        headers = {} if token == "" else {b"X-CSRF-Token": value.encode()}  # as sent: UTF-8
        return self.client.request(method, url, json=json, headers=headers)


def sign_in(app: FastAPI, name: str, password: str | None = None) -> Browser:
    """A fresh browser signed in as ``name`` through GET and POST /login."""
    browser = Browser(app)
    form = browser.get("/login")
    assert form.status_code == 200
    answer = browser.client.post(
        "/login",
        data={"csrf_token": csrf_of(form.text), "name": name,
              "password": password or PASSWORDS[name], "next": "/sessions"},
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/sessions", answer.text
    page = browser.get("/sessions")
    assert page.status_code == 200 and f"{name} ·" in text_of(page.text)
    browser.csrf = csrf_of(page.text)  # a sign-in starts a fresh session with a new token
    return browser


# name -> (session cookie, CSRF token) of a sign-in made through the form when the template
# was built. Every world is a copy of the template's database (its sign-ins included) with the
# same secret key, so the cookie signs in to the next test's app too; reusing it saves an
# argon2 hash per browser. The tests of signing in itself always use ``sign_in``.
_SIGNED_IN: dict[str, tuple[str, str]] = {}


def signed_in(app: FastAPI, name: str) -> Browser:
    if name not in _SIGNED_IN:
        return sign_in(app, name)
    browser = Browser(app)
    cookie, browser.csrf = _SIGNED_IN[name]
    browser.client.cookies.set("voicesim_session", cookie)
    return browser


@pytest.fixture
def browsers(world: World) -> dict[str, Browser]:
    """Signed-in browsers made on first use: ``browsers["alice"]`` is alice's."""

    class Lazy(dict[str, Browser]):
        def __missing__(self, name: str) -> Browser:
            self[name] = signed_in(world.app, name)
            return self[name]

    return Lazy()


# ---- a small world on SQLite and on PostgreSQL ----------------------------------------------

SMALL_USERS = [("admin", "admin", None), ("tom", "trainer", "north"), ("alice", "trainee", "north")]


@pytest.fixture(scope="session")
def spoken_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real spoken practice call of alice's (a session folder with audio), made once."""
    scratch = tmp_path_factory.mktemp("spoken-session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICESIM_DATA_DIR", str(scratch / "data"))
        patch.delenv("VOICESIM_SESSIONS_DIR", raising=False)
        base = practice_folder(scratch, trainee="alice")
        folder = variant(base, "alice-spoken", with_audio=True,
                         started_at="2025-02-20T14:30:00+00:00")  # fmt: skip
        shutil.rmtree(base)
    return folder


@dataclass
class SmallWorld:
    """admin, trainer tom and trainee alice (both in team north) and one spoken call of
    alice's, on the database ``url`` (SQLite or PostgreSQL)."""

    store: Store
    app: FastAPI
    settings: WebSettings
    data: Path
    url: str
    session_id: int
    user_ids: dict[str, int]

    def new_app(self, **changes: Any) -> FastAPI:
        """Another app over the same store: a second server process, as far as the store knows."""
        settings = WebSettings(secret_key=SECRET_KEY, data_folder=self.data, **changes)
        return create_app(self.store, settings)


@pytest.fixture
def small_world(
    database_url: str, spoken_session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SmallWorld]:
    data = tmp_path / "small-world"
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(data))
    monkeypatch.setenv("VOICESIM_DATABASE_URL", database_url)
    folder = data / "sessions" / spoken_session.name
    shutil.copytree(spoken_session, folder)
    store = open_store(database_url, data)
    try:
        user_ids = {
            name: store.users.add_user(name, role, PASSWORDS[name], team)
            for name, role, team in SMALL_USERS
        }
        session_id = store.sessions.save_session_folder(folder)
        settings = WebSettings(secret_key=SECRET_KEY, data_folder=data)
        yield SmallWorld(store, create_app(store, settings), settings, data, database_url,
                         session_id, user_ids)  # fmt: skip
    finally:
        store.close()


def api_sign_in(
    app: FastAPI, name: str, password: str | None = None, client: tuple[str, int] | None = None
) -> Browser:
    """A fresh API client signed in with ``POST /api/login`` (``client``: its address)."""
    browser = Browser(app)
    if client is not None:
        browser.client = TestClient(app, follow_redirects=False, client=client)
    answer = browser.client.post(
        "/api/login", json={"name": name, "password": password or PASSWORDS[name]}
    )
    assert answer.status_code == 200, answer.text
    browser.csrf = answer.json()["csrf_token"]
    return browser


def with_cookie(app: FastAPI, cookie: str) -> TestClient:
    """A new client that presents a copied session cookie (as an attacker who kept one would)."""
    client = TestClient(app, follow_redirects=False)
    client.cookies.set("voicesim_session", cookie)
    return client
