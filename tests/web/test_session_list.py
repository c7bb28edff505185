"""The session list: filters, sort and pages through the page, the API and the exports, and
bad parameters answered with a clear 400 page or a 400/422 JSON, never a 500."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.web.conftest import Browser, World, error_message, listed_ids, main_text, text_of

# Newest first, the default order.
NEWEST_FIRST = ["alice-4", "alice-3", "alice-2", "carol-1", "erin-1", "bob-1", "alice-1"]


def _page(world: World, browser: Browser, query: str) -> list[str]:
    answer = browser.get(f"/sessions?{query}")
    assert answer.status_code == 200, answer.text
    by_id = {v: k for k, v in world.ids.items()}
    return [by_id[i] for i in listed_ids(answer.text)]


def _api(world: World, browser: Browser, query: str) -> list[str]:
    answer = browser.get(f"/api/sessions?{query}")
    assert answer.status_code == 200, answer.text
    by_id = {v: k for k, v in world.ids.items()}
    return [by_id[item["id"]] for item in answer.json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", NEWEST_FIRST),
        ("trainee=&persona=&language=&outcome=&mode=&label=&date_from=&date_to=", NEWEST_FIRST),
        ("trainee=alice", ["alice-4", "alice-3", "alice-2", "alice-1"]),
        ("trainee=nobody", []),
        ("persona=app-login", ["alice-3"]),
        ("language=nl", ["alice-4"]),
        ("outcome=resolved", ["alice-2"]),
        ("outcome=hung_up", ["alice-3"]),
        ("outcome=ended", ["alice-4", "carol-1", "erin-1", "bob-1", "alice-1"]),
        ("mode=voice", ["alice-2", "bob-1"]),
        ("label=dismissive&trainee=alice", ["alice-3", "alice-2", "alice-1"]),
        ("date_from=2025-02-01&date_to=2025-02-04", ["carol-1", "erin-1", "bob-1"]),
        ("date_to=2025-02-03", ["erin-1", "bob-1", "alice-1"]),
        ("date_from=2025-03-06", ["alice-4"]),
        ("date_from=2025-03-07", []),
        ("trainee=alice&language=en&outcome=ended", ["alice-1"]),
        ("sort=started_at", NEWEST_FIRST[::-1]),
        ("sort=score", ["alice-3", "alice-4", "alice-1", "bob-1", "erin-1", "carol-1", "alice-2"]),
        ("sort=-score&page_size=2", ["alice-2", "alice-1"]),
        (
            "sort=trainee",
            ["alice-1", "alice-2", "alice-3", "alice-4", "bob-1", "carol-1", "erin-1"],
        ),
        ("sort=final_level&outcome=ended", ["alice-1", "alice-4", "bob-1", "erin-1", "carol-1"]),
        ("sort=-persona&trainee=alice", ["alice-1", "alice-2", "alice-4", "alice-3"]),
        ("page_size=3", ["alice-4", "alice-3", "alice-2"]),
        ("page_size=3&page=2", ["carol-1", "erin-1", "bob-1"]),
        ("page_size=3&page=3", ["alice-1"]),
        ("page_size=3&page=4", []),
    ],
)
def test_filters_sort_and_pages(
    world: World, browsers: dict[str, Browser], query: str, expected: list[str]
) -> None:
    admin = browsers["admin"]
    assert _page(world, admin, query) == expected
    assert _api(world, admin, query) == expected
    sessions = csv.DictReader(io.StringIO(admin.get(f"/export/sessions.csv?{query}").text))
    exported = {int(row["id"]) for row in sessions}
    if "page" not in query:  # an export has every page
        assert world.names(exported) == set(expected)


def test_the_pager_keeps_the_filters(world: World, browsers: dict[str, Browser]) -> None:
    page = browsers["admin"].get("/sessions?outcome=ended&sort=score&page_size=2&page=2").text
    pager = re.search(r'<div class="pager">(.*?)</div>', page, re.S)
    assert pager is not None
    assert text_of(pager.group(1)).startswith("← previous page 2 of 3 next → Export these:")
    links = re.findall(r'<a href="(/sessions\?[^"]+)">', pager.group(1))
    assert links[0] == "/sessions?outcome=ended&amp;sort=score&amp;page_size=2&amp;page=1"
    assert links[1] == "/sessions?outcome=ended&amp;sort=score&amp;page_size=2&amp;page=3"
    exports = re.findall(r'href="(/export/[^"]+)"', page)
    assert exports == [
        "/export/sessions.csv?outcome=ended",
        "/export/turns.csv?outcome=ended",
        "/export/sessions.json?outcome=ended",
    ]
    assert 'value="ended" selected' in page and 'value="resolved" selected' not in page
    assert "5 sessions" in main_text(page)
    api = browsers["admin"].get("/api/sessions?outcome=ended&sort=score&page_size=2&page=2").json()
    assert (api["total"], api["page"], api["page_size"], len(api["items"])) == (5, 2, 2, 2)
    first = api["items"][0]
    assert set(first) == {"id", "trainee", "persona", "language", "mode", "started_at",
                          "outcome", "final_level", "overall_score"}  # fmt: skip


def test_an_empty_result_says_so(world: World, browsers: dict[str, Browser]) -> None:
    page = browsers["admin"].get("/sessions?persona=no-such-persona").text
    assert "0 sessions" in main_text(page)
    assert "No sessions match." in main_text(page) and 'id="sessions"' not in page


def test_the_list_shows_each_sessions_facts(world: World, browsers: dict[str, Browser]) -> None:
    page = browsers["tom"].get("/sessions?sort=started_at").text
    rows = [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)]
    assert rows[0] == "2025-01-10 09:00 UTC alice valentine-gift en text ended 2 blame 56"
    assert (
        rows[1] == "2025-02-20 14:30 UTC alice valentine-gift en voice resolved 1 disagreement 80"
    )
    assert rows[2] == "2025-03-05 08:00 UTC alice app-login en text hung up 5 separation 20"
    assert "4 sessions of you and your teams" in main_text(page)


BAD_QUERIES = [
    ("sort=colour", 400, "cannot sort by 'colour'; use one of: -started_at, started_at,"),
    ("date_from=xx", 400, "date_from 'xx' is not a date: use YYYY-MM-DD"),
    ("date_to=2025-13-01", 400, "date_to '2025-13-01' is not a date: use YYYY-MM-DD"),
    ("outcome=nope", 400, "outcome 'nope' is not one of: resolved, hung_up, ended, ongoing"),
    ("mode=tape", 400, "mode 'tape' is not one of: text, voice"),
    ("page=0", 422, "bad request: query page: Input should be greater than or equal to 1"),
    ("page=abc", 422, "bad request: query page: Input should be a valid integer"),
    (
        "page_size=0",
        422,
        "bad request: query page_size: Input should be greater than or equal to 1",
    ),
    (
        "page_size=1000",
        422,
        "bad request: query page_size: Input should be less than or equal to 500",
    ),
    ("trainee=" + "x" * 101, 422, "bad request: query trainee: String should have at most 100"),
]


@pytest.mark.parametrize(("query", "api_status", "message"), BAD_QUERIES)
def test_bad_list_parameters_are_clear(
    world: World, browsers: dict[str, Browser], query: str, api_status: int, message: str
) -> None:
    tom = browsers["tom"]
    for path in ("/sessions", "/export/sessions.csv", "/export/turns.csv", "/export/sessions.json"):
        page = tom.get(f"{path}?{query}")
        assert page.status_code == 400, (path, page.text)
        assert page.headers["content-type"].startswith("text/html")
        assert error_message(page.text).startswith(message), error_message(page.text)
        assert "That request is not right" in main_text(page.text)
        assert "Traceback" not in page.text and 'File "' not in page.text
    api = tom.get(f"/api/sessions?{query}")
    assert api.status_code == api_status
    assert api.headers["content-type"] == "application/json"
    assert api.json()["detail"].startswith(message)
    assert "Traceback" not in api.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/sessions/abc", "bad request: path session_id: Input should be a valid integer"),
        ("/sessions/1.5", "bad request: path session_id: Input should be a valid integer"),
        ("/sessions/abc/audio", "bad request: path session_id: Input should be a valid integer"),
        (
            "/sessions/1/turns/x/audio",
            "bad request: path turn_index: Input should be a valid integer",
        ),
        ("/progress/abc", "bad request: path trainee_id: Input should be a valid integer"),
    ],
)
def test_a_non_integer_id_is_a_400_page(
    world: World, browsers: dict[str, Browser], path: str, message: str
) -> None:
    page = browsers["tom"].get(path)
    assert page.status_code == 400
    assert error_message(page.text).startswith(message), error_message(page.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/sessions/abc"),
        ("GET", "/api/trainees/abc/progress"),
        ("DELETE", "/api/sessions/abc"),
        ("POST", "/api/sessions/abc/acknowledgements"),
        ("POST", "/api/sessions/1/turns/x/annotations"),
    ],
)
def test_a_non_integer_id_is_a_422_json(
    world: World, browsers: dict[str, Browser], method: str, path: str
) -> None:
    answer = browsers["tom"].api(method, path, json={"kind": "acknowledged", "comment": "x"})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("bad request: path ")
    assert "Input should be a valid integer" in answer.json()["detail"]


def test_bad_json_bodies_are_422_not_500(world: World, browsers: dict[str, Browser]) -> None:
    tom = browsers["tom"]
    url = f"/api/sessions/{world.ids['alice-1']}/turns/1/annotations"
    for body in ("{not json", "[]", '"text"', '{"comment": 5}'):
        answer = tom.client.post(
            url,
            content=body,
            headers={"X-CSRF-Token": tom.csrf, "content-type": "application/json"},
        )
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"].startswith("bad request:")
    long = tom.api("POST", url, json={"comment": "x" * 4001})
    assert long.status_code == 422 and "at most 4000" in long.json()["detail"]


def test_an_unknown_page_is_a_404_page(world: World, browsers: dict[str, Browser]) -> None:
    page = browsers["tom"].get("/no/such/page")
    assert page.status_code == 404 and error_message(page.text) == "no page at /no/such/page"
    api = browsers["tom"].get("/api/no-such-thing")
    assert api.status_code == 404 and api.json() == {"detail": "no page at /api/no-such-thing"}
