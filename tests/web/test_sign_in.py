"""Nothing is reachable without signing in, and the sign-in form and API behave."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, Browser, World, csrf_of, sign_in, text_of


def _pages(world: World) -> list[str]:
    alice, voice = world.ids["alice-1"], world.ids["alice-2"]
    return [
        "/sessions",
        "/sessions?persona=valentine-gift&page=2",
        f"/sessions/{alice}",
        "/sessions/999999",  # a missing id looks like any other before signing in
        f"/sessions/{voice}/audio",
        f"/sessions/{voice}/turns/1/audio",
        "/progress",
        f"/progress/{world.user_ids['alice']}",
        "/users",
        "/export/sessions.csv",
        "/export/turns.csv",
        "/export/sessions.json?trainee=alice",
        "/docs",
    ]


def test_every_page_redirects_to_the_sign_in_form(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    for path in _pages(world):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={quote(path, safe='')}", path
        assert answer.text == "", path  # not a byte of the page


def test_the_redirect_comes_back_to_the_page_after_signing_in(world: World) -> None:
    browser = Browser(world.app)
    target = f"/sessions/{world.ids['alice-1']}"
    form = browser.get(browser.get(target).headers["location"])
    assert f'name="next" value="{target}"' in form.text
    answer = browser.client.post(
        "/login",
        data={"csrf_token": csrf_of(form.text), "name": "alice",
              "password": PASSWORDS["alice"], "next": target},
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == target
    page = browser.get(target)
    assert page.status_code == 200 and "I am so sorry. What happened?" in text_of(page.text)


def test_every_api_route_answers_401_json(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)  # so unsafe methods get past the CSRF check
    session = world.ids["alice-1"]
    calls = [
        ("GET", "/api/me", None),
        ("GET", "/api/sessions", None),
        ("GET", f"/api/sessions/{session}", None),
        ("GET", "/api/sessions/999999", None),
        ("GET", f"/api/trainees/{world.user_ids['alice']}/progress", None),
        ("DELETE", f"/api/sessions/{session}", None),
        ("POST", f"/api/sessions/{session}/turns/1/annotations", {"comment": "x"}),
        ("POST", f"/api/sessions/{session}/acknowledgements", {"kind": "acknowledged"}),
        ("GET", "/openapi.json", None),
    ]
    for method, path, body in calls:
        answer = client.request(method, path, json=body, headers={"X-CSRF-Token": token})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/json", path
        assert answer.json() == {
            "detail": "not signed in: POST /api/login with your name and password"
        }, path
    assert (world.folder("alice-1") / "session.json").exists()  # the DELETE did nothing


def test_wrong_password_or_name_gives_401_and_a_message(world: World) -> None:
    browser = Browser(world.app)
    for name, password in [("alice", "not-her-password"), ("nobody", "alice-password-123")]:
        token = csrf_of(browser.get("/login").text)
        answer = browser.client.post(
            "/login", data={"csrf_token": token, "name": name, "password": password}
        )
        assert answer.status_code == 401
        assert "Wrong name or password." in text_of(answer.text)
        assert f'value="{name}"' in answer.text  # the name is kept, the password is not
        assert password not in answer.text
    assert browser.get("/sessions").status_code == 303  # still not signed in


@pytest.mark.parametrize(
    "next_url",
    ["//evil.example", "https://evil.example", "//evil.example/sessions", "/\\evil.example",
     "evil.example", "javascript:alert(1)"],
)  # fmt: skip
def test_an_off_site_next_goes_to_the_session_list(world: World, next_url: str) -> None:
    browser = Browser(world.app)
    form = browser.get(f"/login?next={quote(next_url, safe='')}")
    assert 'name="next" value="/sessions"' in form.text
    answer = browser.client.post(
        "/login",
        data={"csrf_token": csrf_of(form.text), "name": "tom", "password": PASSWORDS["tom"],
              "next": next_url},
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/sessions"


@pytest.mark.parametrize(
    "next_url", ["/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/%2F/evil.example",
                 "/.//evil.example", "/\r\n//evil.example"],
)  # fmt: skip
def test_a_next_with_hidden_characters_stays_on_this_site(world: World, next_url: str) -> None:
    """Browsers drop tabs and newlines from a URL: "/\t/x" must not become "//x"."""
    browser = Browser(world.app)
    token = csrf_of(browser.get("/login").text)
    answer = browser.client.post(
        "/login",
        data={"csrf_token": token, "name": "tom", "password": PASSWORDS["tom"], "next": next_url},
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert not any(c in location for c in "\t\r\n\\ ")
    assert location.startswith("/") and not location.startswith("//")
    assert urlsplit(urljoin("http://testserver/login", location)).netloc == "testserver"


def test_the_login_page_shows_next_as_text(world: World) -> None:
    form = TestClient(world.app).get('/login?next=/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in form.text
    assert 'value="/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in form.text


def test_a_local_next_is_kept(world: World) -> None:
    browser = Browser(world.app)
    token = csrf_of(browser.get("/login").text)
    answer = browser.client.post(
        "/login",
        data={"csrf_token": token, "name": "tom", "password": PASSWORDS["tom"],
              "next": "/progress?x=1"},
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/progress?x=1"


def test_signing_in_starts_a_fresh_session_and_signing_out_ends_it(world: World) -> None:
    browser = Browser(world.app)
    before = csrf_of(browser.get("/login").text)
    answer = browser.client.post(
        "/login",
        data={"csrf_token": before, "name": "alice", "password": PASSWORDS["alice"]},
    )
    assert answer.status_code == 303
    page = browser.get("/sessions")
    assert "alice · trainee" in text_of(page.text)
    browser.csrf = csrf_of(page.text)
    assert browser.csrf != before  # no session fixation: nothing from before survives
    assert browser.form("/logout", token=before).status_code == 403
    assert browser.form("/logout", token="").status_code == 403  # signing out needs it too
    assert browser.get("/sessions").status_code == 200
    answer = browser.form("/logout")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert browser.get("/sessions").status_code == 303
    assert browser.get("/api/me").status_code == 401


def test_the_session_cookie_is_http_only_and_same_site(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    header = client.get("/login").headers["set-cookie"].lower()
    assert header.startswith("voicesim_session=")
    assert "httponly" in header and "samesite=lax" in header


def test_the_api_signs_in_with_json_and_uses_the_token(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    wrong = client.post("/api/login", json={"name": "tom", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "wrong name or password"}
    answer = client.post("/api/login", json={"name": "tom", "password": PASSWORDS["tom"]})
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert (me["name"], me["role"], me["id"]) == ("tom", "trainer", world.user_ids["tom"])
    assert client.get("/api/me").json()["csrf_token"] == me["csrf_token"]
    session = world.ids["alice-1"]
    note = {"comment": "good question"}
    url = f"/api/sessions/{session}/turns/1/annotations"
    assert client.post(url, json=note).status_code == 403  # no token
    made = client.post(url, json=note, headers={"X-CSRF-Token": me["csrf_token"]})
    assert made.status_code == 201 and isinstance(made.json()["id"], int)
    logout = client.post("/api/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert logout.status_code == 204
    assert client.get("/api/me").status_code == 401


def test_the_api_login_takes_json_only(world: World) -> None:
    """Without a token, only a JSON body (which another site cannot send without a CORS
    preflight) may sign in; a plain form post to the API is a cross-site request."""
    client = TestClient(world.app, follow_redirects=False)
    form = client.post("/api/login", data={"name": "tom", "password": PASSWORDS["tom"]})
    assert form.status_code == 403
    text = client.post(
        "/api/login",
        content=f'{{"name": "tom", "password": "{PASSWORDS["tom"]}"}}',
        headers={"content-type": "text/plain"},
    )
    assert text.status_code == 403
    assert client.get("/api/me").status_code == 401


def test_pages_carry_security_headers(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    for path in ("/login", "/sessions"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_api_docs_work_offline_once_signed_in(world: World) -> None:
    browser = sign_in(world.app, "tom")
    docs = browser.get("/docs")
    assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text
    assert browser.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    schema = browser.get("/openapi.json").json()
    assert "/api/sessions/{session_id}" in schema["paths"]
    assert "/api/login" in schema["paths"]
    assert not any(path.startswith("/users") for path in schema["paths"])  # pages stay out
