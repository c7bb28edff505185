"""Exports are safe to share and to open: no server paths, no spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json

from tests.web.conftest import Browser, World, error_message
from voicesim.store.session_folder import SESSION_FILE


def test_a_reply_that_looks_like_a_formula_opens_as_text(
    world: World, browsers: dict[str, Browser]
) -> None:
    folder = world.folder("alice-1")
    document = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
    document["turns"][0]["reply"] = '=HYPERLINK("http://evil.example","click")'
    (folder / SESSION_FILE).write_text(json.dumps(document), encoding="utf-8")
    world.store.sessions.save_session_folder(folder)
    exported = browsers["admin"].get("/export/turns.csv?trainee=alice").text
    replies = [row["reply"] for row in csv.DictReader(io.StringIO(exported))]
    assert '\'=HYPERLINK("http://evil.example","click")' in replies
    assert not any(reply.startswith(("=", "+", "-", "@")) for reply in replies)


def test_the_json_export_keeps_server_paths_on_the_server(
    world: World, browsers: dict[str, Browser]
) -> None:
    exported = browsers["admin"].get("/export/sessions.json").text
    assert json.loads(exported)["sessions"]
    assert str(world.data) not in exported and '"folder"' not in exported
    world.folder("alice-2").joinpath("turn-01.wav").unlink()
    missing = browsers["admin"].get(f"/sessions/{world.ids['alice-2']}/turns/1/audio")
    assert missing.status_code == 404 and str(world.data) not in missing.text
    assert "turn-01.wav is missing from the session folder" in error_message(missing.text)


def test_a_turn_that_is_not_a_number_is_refused(world: World, browsers: dict[str, Browser]) -> None:
    alice = browsers["alice"]
    answer = alice.form(
        f"/sessions/{world.ids['alice-2']}/answer", {"kind": "disputed", "turn": "two"}
    )
    assert answer.status_code == 400
    assert error_message(answer.text) == (
        "turn 'two' is not a turn number; leave it empty for the whole call"
    )
    assert world.store.sessions.get_session(world.ids["alice-2"])["acknowledgements"] == []


def test_an_empty_sort_means_the_default_order(world: World, browsers: dict[str, Browser]) -> None:
    listed = browsers["admin"].get("/api/sessions?sort=").json()
    dates = [item["started_at"] for item in listed["items"]]
    assert listed["total"] == 7 and dates == sorted(dates, reverse=True)
