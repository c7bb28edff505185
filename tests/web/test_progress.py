"""A trainee's progress: counts per persona, outcome counts, resolved rate, mean ratings and
an SVG chart of the overall score over time, on the page and in the API."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import Browser, World, main_text, section, text_of


@pytest.mark.parametrize("viewer", ["alice", "tom", "admin"])
def test_the_progress_page(world: World, browsers: dict[str, Browser], viewer: str) -> None:
    page = browsers[viewer].get(f"/progress/{world.user_ids['alice']}").text
    text = main_text(page)
    assert text.startswith("alice 4 sessions · team north · see the sessions")
    assert 'href="/sessions?trainee=alice"' in page
    facts = text_of(section(page, "outcomes"))
    assert facts == (
        "25% calls resolved 1 resolved 1 hung up 2 ended early 38 active listening (mean) "
        "50 apology (mean) – boundary (mean) 81 harmful moves (mean)"
    )
    per_persona = [
        text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", section(page, "per-persona"), re.S)
    ]
    assert per_persona == [
        "Persona Sessions Resolved Mean score",
        "app-login 1 0 20",
        "valentine-gift 3 1 62",
    ]
    chart = page.split('<svg class="chart progress"')[1].split("</svg>")[0]
    titles = re.findall(r"<title>(.*?)</title>", chart)
    assert titles == [
        "2025-01-10 valentine-gift: score 56, ended",
        "2025-02-20 valentine-gift: score 80, resolved",
        "2025-03-05 app-login: score 20, hung up",
        "2025-03-06 valentine-gift: score 50, ended",
    ]
    colours = re.findall(r'<circle [^>]*fill="(#[0-9a-f]{6})"', chart)
    assert colours == ["#6b7280", "#2e9d5b", "#d1432f", "#6b7280"]
    heights = [float(y) for y in re.findall(r'<circle [^>]*cy="([\d.]+)"', chart)]
    assert heights[1] < heights[0] < heights[3] < heights[2]  # higher score, higher point
    assert ">2025-01-10</text>" in chart and ">2025-03-06</text>" in chart
    latest = re.findall(r'<a href="/sessions/(\d+)">', page.split("Latest calls")[1])
    assert [int(i) for i in latest] == [
        world.ids[n] for n in ("alice-4", "alice-3", "alice-2", "alice-1")
    ]


def test_the_progress_api(world: World, browsers: dict[str, Browser]) -> None:
    progress = browsers["tom"].get(f"/api/trainees/{world.user_ids['alice']}/progress").json()
    assert (progress["trainee_id"], progress["trainee"], progress["team"]) == (
        world.user_ids["alice"], "alice", "north",
    )  # fmt: skip
    assert progress["outcomes"] == {"ended": 2, "resolved": 1, "hung_up": 1}
    assert progress["resolved_rate"] == 0.25
    assert progress["per_persona"] == [
        {"persona": "app-login", "sessions": 1, "resolved": 0, "mean_score": 20.0},
        {"persona": "valentine-gift", "sessions": 3, "resolved": 1, "mean_score": 62.0},
    ]
    assert progress["mean_ratings"] == {
        "active_listening": 37.5, "apology": 50.0, "boundary": None, "harmful_moves": 81.25,
    }  # fmt: skip
    sessions = progress["sessions"]
    assert [s["id"] for s in sessions] == [
        world.ids[n] for n in ("alice-1", "alice-2", "alice-3", "alice-4")
    ]
    assert [(s["persona"], s["outcome"], s["overall_score"]) for s in sessions] == [
        ("valentine-gift", "ended", 56), ("valentine-gift", "resolved", 80),
        ("app-login", "hung_up", 20), ("valentine-gift", "ended", 50),
    ]  # fmt: skip
    assert sessions[3]["ratings"] == {
        "active_listening": 0, "apology": 50, "boundary": None, "harmful_moves": 100,
    }  # fmt: skip


def test_progress_follows_deletions_and_corrections_do_not_change_scores(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom = browsers["tom"]
    assert tom.form(f"/sessions/{world.ids['alice-3']}/delete").status_code == 303
    progress = tom.get(f"/api/trainees/{world.user_ids['alice']}/progress").json()
    assert progress["outcomes"] == {"ended": 2, "resolved": 1}
    assert progress["resolved_rate"] == pytest.approx(1 / 3)
    assert [p["persona"] for p in progress["per_persona"]] == ["valentine-gift"]
    page = tom.get(f"/progress/{world.user_ids['alice']}").text
    assert text_of(section(page, "outcomes")).startswith("33% calls resolved 1 resolved 0 hung up")


def test_a_trainee_without_sessions(world: World, browsers: dict[str, Browser]) -> None:
    dave = world.store.users.add_user("dave", "trainee", "dave-password-1", "north")
    page = browsers["tom"].get(f"/progress/{dave}").text
    assert main_text(page) == "dave 0 sessions · team north · see the sessions No sessions yet."
    assert "<svg" not in page
    progress = browsers["tom"].get(f"/api/trainees/{dave}/progress").json()
    assert progress["sessions"] == [] and progress["outcomes"] == {}
    assert progress["resolved_rate"] is None and progress["per_persona"] == []
    index = browsers["tom"].get("/progress").text
    rows = [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", index.split("<tbody>")[1], re.S)]
    assert rows == ["alice 4", "dave 0"]
