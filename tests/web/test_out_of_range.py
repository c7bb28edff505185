"""Numbers and dates out of range are refused at the edge with a 404 or a 422 and one line,
never a 500 with a traceback in the log: every route that takes an id, tried with ids no row
can have, and the list's date filters at their extremes. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, SmallWorld

OUT_OF_RANGE = [2**63, 2**64, 10**30, 2**63 - 1, 2**31, 2**31 - 1, 0, -1]
BODIES = {"annotations": {"comment": "x"}, "acknowledgements": {"kind": "acknowledged"}}


def admin_client(small_world: SmallWorld) -> tuple[TestClient, str]:
    client = TestClient(small_world.app, follow_redirects=False, raise_server_exceptions=False)
    answer = client.post("/api/login", json={"name": "admin", "password": PASSWORDS["admin"]})
    assert answer.status_code == 200
    return client, answer.json()["csrf_token"]


def all_routes(routes: list[Any]) -> list[APIRoute]:
    """Every route, those of included routers too (FastAPI keeps those behind a wrapper)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += all_routes(route.original_router.routes)
    return found


def routes_with_ids(small_world: SmallWorld) -> list[tuple[str, str, list[str]]]:
    found = []
    for route in all_routes(small_world.app.routes):
        ids = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
        if ids:
            found += [(method, route.path, ids) for method in sorted(route.methods)]
    return found


def test_every_id_out_of_range_is_a_404_or_422(
    small_world: SmallWorld, caplog: pytest.LogCaptureFixture
) -> None:
    client, token = admin_client(small_world)
    routes = routes_with_ids(small_world)
    assert len(routes) >= 15, routes  # sessions, turns, batch jobs, results, trainees
    for method, path, ids in routes:
        for value in OUT_OF_RANGE:
            url = path
            for name in ids:
                url = url.replace("{" + name + "}", str(value))
            url = url.replace("{name}", "alice")
            body = next((b for key, b in BODIES.items() if url.endswith(key)), None)
            if url.startswith("/api/"):
                answer = client.request(method, url, json=body, headers={"X-CSRF-Token": token})
            else:
                answer = client.request(method, url, data={"csrf_token": token, "kind": "acknowledged",
                                                           "comment": "x"})  # fmt: skip
            assert answer.status_code in (404, 422), (method, url, answer.status_code)
            if url.startswith("/api/"):
                assert "\n" not in answer.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert small_world.store.sessions.get_session(small_world.session_id)  # nothing deleted


def test_an_id_past_the_largest_is_no_such_session(small_world: SmallWorld) -> None:
    client, _ = admin_client(small_world)
    answer = client.get("/api/sessions/9223372036854775808")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no session with id 9223372036854775808"}
    page = client.get("/sessions/9223372036854775808")
    assert page.status_code == 404 and "no session with id 9223372036854775808" in page.text


@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=9999-12-31", "date_from=0001-01-01",
              "date_from=0001-01-01&date_to=9999-12-31"],
)  # fmt: skip
def test_dates_at_the_ends_of_the_calendar_are_ordinary_filters(
    small_world: SmallWorld, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    client, _ = admin_client(small_world)
    everything = "date_from=9999" not in query
    for path in ("/sessions", "/export/sessions.csv", "/export/turns.csv", "/export/sessions.json"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 200, (path, answer.status_code)
    listed = client.get(f"/api/sessions?{query}")
    assert listed.status_code == 200
    assert listed.json()["total"] == (1 if everything else 0)
    page = client.get(f"/sessions?{query}").text
    assert bool(re.search(rf'href="/sessions/{small_world.session_id}"', page)) is everything
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_a_turn_in_other_digits_is_a_clear_400(small_world: SmallWorld) -> None:
    """"²" and "٣" are digits to str.isdigit() but not turn numbers: refused, not a crash."""
    alice = TestClient(small_world.app, follow_redirects=False, raise_server_exceptions=False)
    token = alice.post("/api/login", json={"name": "alice", "password": PASSWORDS["alice"]}
                       ).json()["csrf_token"]  # fmt: skip
    for turn in ("²", "٣", "1²"):
        answer = alice.post(f"/sessions/{small_world.session_id}/answer",
                            data={"csrf_token": token, "kind": "disputed", "turn": turn})  # fmt: skip
        assert answer.status_code == 400, (turn, answer.status_code)
        assert "is not a turn number" in answer.text
