"""Password guessing is slowed down where it comes from, and only there, on SQLite and
PostgreSQL alike: wrong passwords for a name from one address (or from one browser that
signed in before) earn growing waits; concurrent guesses cannot slip past the count; several
server processes share it through the store; a guesser elsewhere cannot lock the real user
out, and a browser the user signed in with before gets in even from the guesser's address."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, SmallWorld, csrf_of, text_of
from voicesim.store.throttle import Attempt, Throttled

GUESSER = ("203.0.113.9", 40000)
ELSEWHERE = ("198.51.100.7", 50000)


def client_at(app: FastAPI, address: tuple[str, int] = GUESSER) -> TestClient:
    return TestClient(app, follow_redirects=False, client=address)


def api_login(client: TestClient, name: str, password: str) -> int:
    return client.post("/api/login", json={"name": name, "password": password}).status_code


def form_login(client: TestClient, name: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "name": name, "password": password})
    return answer.status_code


def test_concurrent_guesses_are_counted_before_any_is_checked(small_world: SmallWorld) -> None:
    statuses: list[int] = []
    with client_at(small_world.app) as client:
        start = threading.Barrier(40)

        def guess(n: int) -> None:
            start.wait()
            statuses.append(api_login(client, "alice", f"guess {n}"))

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts = Counter(statuses)
        assert counts[401] <= 5 and counts[429] >= 35 and set(counts) <= {401, 429}, counts
        assert api_login(client, "alice", PASSWORDS["alice"]) == 429  # from here, for now


def test_every_server_process_shares_the_count(small_world: SmallWorld) -> None:
    first = client_at(small_world.app)
    assert [api_login(first, "tom", "wrong") for _ in range(5)] == [401] * 5
    second = client_at(small_world.new_app())  # another process over the same store
    assert api_login(second, "tom", PASSWORDS["tom"]) == 429
    assert form_login(second, "tom", PASSWORDS["tom"]) == 429


def test_the_429_says_how_long_to_wait(small_world: SmallWorld) -> None:
    client = client_at(small_world.app)
    assert [form_login(client, "alice", f"guess {n}") for n in range(5)] == [401] * 5
    token = csrf_of(client.get("/login").text)
    page = client.post("/login", data={"csrf_token": token, "name": "alice",
                                       "password": PASSWORDS["alice"]})  # fmt: skip
    assert page.status_code == 429 and 25 <= int(page.headers["retry-after"]) <= 30
    line = re.search(r"too many wrong passwords for 'alice' from here: try again in (\d+) "
                     r"seconds, or ask an admin to set a new password", text_of(page.text))  # fmt: skip
    assert line and 25 <= int(line.group(1)) <= 30, text_of(page.text)
    api = client.post("/api/login", json={"name": " alice ", "password": PASSWORDS["alice"]})
    assert api.status_code == 429 and "retry-after" in api.headers
    assert api.json()["detail"].startswith("too many wrong passwords for 'alice' from here")
    assert form_login(client, "tom", PASSWORDS["tom"]) == 303  # other names are not affected


def test_a_guesser_elsewhere_cannot_lock_the_real_users_out(small_world: SmallWorld) -> None:
    guesser = client_at(small_world.app)
    for name in ("alice", "admin"):
        assert [api_login(guesser, name, "guess") for _ in range(8)] == [401] * 5 + [429] * 3
    real = client_at(small_world.app, ELSEWHERE)
    assert api_login(real, "alice", PASSWORDS["alice"]) == 200
    assert api_login(client_at(small_world.app, ELSEWHERE), "admin", PASSWORDS["admin"]) == 200


def test_a_browser_that_signed_in_before_gets_in_from_the_guessers_address(
    small_world: SmallWorld,
) -> None:
    alice = client_at(small_world.app)
    assert api_login(alice, "alice", PASSWORDS["alice"]) == 200
    assert "voicesim_device" in alice.cookies  # this browser is known to alice's account now
    assert alice.post("/api/logout", headers={"X-CSRF-Token": alice.get("/api/me").json()[
        "csrf_token"]}).status_code == 204  # fmt: skip
    guesser = client_at(small_world.app)  # the same address, another browser
    assert [api_login(guesser, "alice", "guess") for _ in range(7)] == [401] * 5 + [429] * 2
    assert api_login(alice, "alice", PASSWORDS["alice"]) == 200
    stolen = client_at(small_world.app, ELSEWHERE)  # alice's device cookie, but for tom
    stolen.cookies.set("voicesim_device", alice.cookies["voicesim_device"])
    assert [api_login(stolen, "tom", "guess") for _ in range(6)] == [401] * 5 + [429]


def test_many_addresses_slow_down_unknown_browsers_only(small_world: SmallWorld) -> None:
    assert small_world.settings.free_failures_unknown == 20
    app = small_world.new_app(free_failures_unknown=6)  # 6 rather than 20: fewer argon2 hashes
    known = client_at(app, ELSEWHERE)
    assert api_login(known, "tom", PASSWORDS["tom"]) == 200
    for n in range(6):  # a botnet: one guess from each of many addresses
        assert api_login(client_at(app, (f"192.0.2.{n + 1}", 1234)), "tom", "x") == 401
    refused = client_at(app, ("192.0.2.200", 1)).post(
        "/api/login", json={"name": "tom", "password": PASSWORDS["tom"]})  # fmt: skip
    assert refused.status_code == 429
    assert "from browsers it has not signed in with" in refused.json()["detail"]
    assert api_login(known, "tom", PASSWORDS["tom"]) == 200  # tom's own browser is not slowed


def test_a_right_password_clears_earlier_mistakes(small_world: SmallWorld) -> None:
    client = client_at(small_world.app)
    for _ in range(2):
        assert [form_login(client, "tom", "wrong") for _ in range(4)] == [401] * 4
        assert form_login(client, "tom", PASSWORDS["tom"]) == 303


def test_waits_grow_rather_than_lock_for_a_fixed_time(small_world: SmallWorld) -> None:
    throttle = small_world.store.sign_in_throttle
    attempt = Attempt(keys=(("client", "alice@203.0.113.9", 5),))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(5):
        throttle.claim(attempt, now)  # a wrong password each: nothing to settle
    waits = []
    for _ in range(7):
        with pytest.raises(Throttled) as refused:
            throttle.claim(attempt, now)
        waits.append(refused.value.wait_s)
        now += timedelta(seconds=refused.value.wait_s + 1)
        throttle.claim(attempt, now)  # the next guess is allowed, and wrong again
    assert waits == [30, 60, 120, 240, 480, 900, 900], waits
    throttle.settle(attempt, succeeded=True, now=now)
    throttle.claim(attempt, now)  # a right password started the count again
    later = now + timedelta(days=2)
    assert throttle.purge(later) >= 1  # old counts do not pile up in the store
