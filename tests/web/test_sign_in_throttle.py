"""Password guessing is slowed down: five wrong passwords for a name lock that name out for
a while, on the form and the API alike, without touching other accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, World, csrf_of, text_of


def post_login(client: TestClient, name: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "name": name, "password": password})
    return answer.status_code


def test_five_wrong_passwords_lock_the_name_for_a_while(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    assert [post_login(client, "alice", f"guess {n}") for n in range(5)] == [401] * 5
    assert post_login(client, "alice", PASSWORDS["alice"]) == 429  # even the right one, for now
    page = client.get("/login")
    locked = client.post("/login", data={"csrf_token": csrf_of(page.text), "name": "alice",
                                         "password": PASSWORDS["alice"]})  # fmt: skip
    assert "too many wrong passwords for 'alice': try again in 15 minute(s)" in text_of(locked.text)
    api = client.post("/api/login", json={"name": "Alice ", "password": PASSWORDS["alice"]})
    assert api.status_code == 429 and api.json()["detail"].startswith("too many wrong passwords")
    assert post_login(client, "bob", PASSWORDS["bob"]) == 303  # other names are not affected


def test_a_right_password_clears_earlier_mistakes(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    for _ in range(4):
        assert post_login(client, "bob", "wrong") == 401
    assert post_login(client, "bob", PASSWORDS["bob"]) == 303
    for _ in range(4):
        assert post_login(client, "bob", "wrong") == 401
    assert post_login(client, "bob", PASSWORDS["bob"]) == 303
