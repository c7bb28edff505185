"""The review flow: a trainer comments and corrects labels, the trainee sees it and answers;
the page, the API and the exports all tell the same story, with who and when."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from tests.web.conftest import (
    Browser,
    World,
    error_message,
    listed_ids,
    main_text,
    section,
    text_of,
)


def _chips(turn_html: str) -> dict[str, str]:
    """label -> state (scored, added, removed) of the chips under a reply."""
    return dict(re.findall(r'data-label="(\w+)" data-state="(\w+)"', turn_html))


def test_a_trainer_comments_and_corrects_a_turn_and_everyone_sees_it(
    world: World, browsers: dict[str, Browser]
) -> None:
    tom, alice = browsers["tom"], browsers["alice"]
    session_id = world.ids["alice-1"]
    before = datetime.now(UTC) - timedelta(seconds=1)
    page = tom.get(f"/sessions/{session_id}").text
    assert _chips(section(page, "turn-1")) == {"question": "scored", "apology": "scored"}
    notes = f"/sessions/{session_id}/turns/1/notes"
    answer = tom.form(notes, {"comment": "Good open question, but name the problem.",
                              "label_added": "empathy", "label_removed": "apology"})  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sessions/{session_id}#turn-1"
    assert (
        tom.form(notes, {"comment": "  ", "label_added": "", "label_removed": ""}).status_code
        == 400
    )

    for browser in (tom, alice):  # the trainee sees exactly what the trainer wrote
        turn = section(browser.get(f"/sessions/{session_id}").text, "turn-1")
        assert _chips(turn) == {"empathy": "added", "question": "scored", "apology": "removed"}
        (note,) = [text_of(n) for n in re.findall(r'<div class="note">(.*?)</div>', turn, re.S)]
        assert re.fullmatch(
            r"tom · \d{4}-\d\d-\d\d \d\d:\d\d UTC added empathy removed apology "
            r"Good open question, but name the problem\.",
            note,
        ), note
        assert re.search(r'title="added by tom at \d{4}-\d\d-\d\dT', turn)
        assert "Trainee · turn 1" in text_of(turn)
    untouched = section(alice.get(f"/sessions/{session_id}").text, "turn-2")
    assert _chips(untouched) == {"dismissive": "scored"} and 'class="notes"' not in untouched

    api = alice.get(f"/api/sessions/{session_id}").json()
    first, second = api["turns"]
    assert first["final_labels"] == ["empathy", "question"]
    assert sorted(label["label"] for label in first["labels"]) == ["apology", "question"]
    assert second["final_labels"] == ["dismissive"]
    (note,) = first["annotations"]
    assert (note["author"], note["comment"], note["label_added"], note["label_removed"]) == (
        "tom", "Good open question, but name the problem.", "empathy", "apology",
    )  # fmt: skip
    made = datetime.fromisoformat(note["created_at"])
    assert before <= made <= datetime.now(UTC)

    turns = list(csv.DictReader(io.StringIO(tom.get("/export/turns.csv?trainee=alice").text)))
    row = next(r for r in turns if r["session_id"] == str(session_id) and r["turn"] == "1")
    assert row["scored_labels"] == "apology question"
    assert row["final_labels"] == "empathy question"
    stamp = made.isoformat(timespec="seconds")
    assert row["corrections"] == f"added empathy by tom at {stamp}; removed apology by tom at {stamp}"
    assert row["comments"] == f"tom at {stamp}: Good open question, but name the problem."
    sessions = list(csv.DictReader(io.StringIO(tom.get("/export/sessions.csv").text)))
    summary = next(r for r in sessions if r["id"] == str(session_id))
    assert (summary["corrections"], summary["comments"], summary["turns"]) == ("2", "1", "2")
    document = tom.get("/export/sessions.json").json()
    exported = next(s for s in document["sessions"] if s["id"] == session_id)
    assert exported["turns"][0]["final_labels"] == ["empathy", "question"]
    (exported_note,) = exported["turns"][0]["annotations"]
    assert exported_note["author"] == "tom"
    assert datetime.fromisoformat(exported_note["created_at"]) == made.replace(microsecond=0)


def test_the_api_adds_notes_and_rejects_unknown_labels(
    world: World, browsers: dict[str, Browser]
) -> None:
    tina = browsers["tina"]
    url = f"/api/sessions/{world.ids['erin-1']}/turns/2/annotations"
    assert tina.api("POST", url, json={"label_removed": "dismissive"}).status_code == 201
    bad = tina.api("POST", url, json={"label_added": "nice"})
    assert bad.status_code == 400 and "unknown label 'nice'" in bad.json()["detail"]
    empty = tina.api("POST", url, json={"comment": "   "})
    assert empty.status_code == 400
    assert empty.json() == {"detail": "an annotation needs a comment or a label correction"}
    page_bad = tina.form(f"/sessions/{world.ids['erin-1']}/turns/2/notes", {"label_added": "nice"})
    assert page_bad.status_code == 400
    assert error_message(page_bad.text) == "label to add: unknown label 'nice'"
    turn = tina.get(f"/api/sessions/{world.ids['erin-1']}").json()["turns"][1]
    assert turn["final_labels"] == [] and len(turn["annotations"]) == 1


def test_the_trainee_acknowledges_and_disputes(world: World, browsers: dict[str, Browser]) -> None:
    alice, tom = browsers["alice"], browsers["tom"]
    session_id = world.ids["alice-1"]
    url = f"/sessions/{session_id}/answer"
    first = alice.form(url, {"kind": "acknowledged", "turn": ""})
    assert (
        first.status_code == 303 and first.headers["location"] == f"/sessions/{session_id}#answers"
    )
    assert alice.form(url, {"kind": "disputed", "turn": "2",
                            "comment": "I was only repeating the policy."}).status_code == 303  # fmt: skip
    answers = section(tom.get(f"/sessions/{session_id}").text, "answers")
    lines = [text_of(li) for li in re.findall(r"<li>.*?</li>", answers, re.S)]
    assert len(lines) == 2
    assert lines[0].startswith("acknowledged · ")
    assert lines[1].startswith("disputed turn 2 · ") and lines[1].endswith(
        ": I was only repeating the policy."
    )
    assert "No answer yet." not in text_of(answers)
    api = alice.get(f"/api/sessions/{session_id}").json()["acknowledgements"]
    assert [(a["kind"], a["turn"], a["comment"]) for a in api] == [
        ("acknowledged", None, None),
        ("disputed", 2, "I was only repeating the policy."),
    ]
    made = alice.api("POST", f"/api/sessions/{session_id}/acknowledgements",
                     json={"kind": "disputed", "turn": 1, "comment": "the apology was specific"})  # fmt: skip
    assert made.status_code == 201
    assert len(tom.get(f"/api/sessions/{session_id}").json()["acknowledgements"]) == 3
    sessions = list(csv.DictReader(io.StringIO(tom.get("/export/sessions.csv").text)))
    row = next(r for r in sessions if r["id"] == str(session_id))
    assert row["answers"] == (
        "acknowledged; disputed turn 2: I was only repeating the policy.; "
        "disputed turn 1: the apology was specific"
    )


def test_a_trainer_cannot_answer_for_the_trainee(
    world: World, browsers: dict[str, Browser]
) -> None:
    session_id = world.ids["alice-1"]
    for viewer in ("tom", "admin"):
        browser = browsers[viewer]
        page = browser.form(f"/sessions/{session_id}/answer", {"kind": "acknowledged"})
        assert page.status_code == 403
        assert error_message(page.text) == (
            "only the trainee who practised this call can answer its review"
        )
        api = browser.api("POST", f"/api/sessions/{session_id}/acknowledgements",
                          json={"kind": "acknowledged"})  # fmt: skip
        assert api.status_code == 403
    assert world.store.sessions.get_session(session_id)["acknowledgements"] == []


def test_bad_answers_are_clear_400s(world: World, browsers: dict[str, Browser]) -> None:
    alice = browsers["alice"]
    session_id = world.ids["alice-1"]
    url = f"/sessions/{session_id}/answer"
    maybe = alice.form(url, {"kind": "maybe"})
    assert maybe.status_code == 400
    assert error_message(maybe.text) == "unknown answer 'maybe'; use acknowledged or disputed"
    missing_turn = alice.form(url, {"kind": "disputed", "turn": "7"})
    assert missing_turn.status_code == 404
    assert error_message(missing_turn.text) == f"session {session_id} has no turn 7"
    no_kind = alice.form(url, {})
    assert no_kind.status_code == 400 and "kind" in error_message(no_kind.text)
    api = alice.api("POST", f"/api/sessions/{session_id}/acknowledgements", json={"kind": "maybe"})
    assert api.status_code == 422 and api.json()["detail"].startswith("bad request: kind:")
    assert world.store.sessions.get_session(session_id)["acknowledgements"] == []


def test_notes_and_answers_are_shown_as_text_never_as_html(
    world: World, browsers: dict[str, Browser]
) -> None:
    session_id = world.ids["alice-1"]
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    browsers["tom"].form(f"/sessions/{session_id}/turns/1/notes", {"comment": script})
    browsers["alice"].form(
        f"/sessions/{session_id}/answer", {"kind": "disputed", "comment": script}
    )
    page = browsers["tom"].get(f"/sessions/{session_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 2
    assert main_text(page).count(script) == 2  # shown as the words that were typed


def test_the_review_page_shows_the_call(world: World, browsers: dict[str, Browser]) -> None:
    page = browsers["tom"].get(f"/sessions/{world.ids['alice-2']}").text
    text = main_text(page)
    assert "The Valentine's gift that never came" in text
    assert (
        "alice · 2025-02-20 14:30 UTC · en · voice call · heard by faster-whisper tiny.en" in text
    )
    assert section(page, "overall").endswith(">80</div>")
    turn = section(page, "turn-1")
    assert (
        '<mark class="lab lab-apology" title="apology" data-labels="apology">sorry</mark>' in turn
    )
    assert (
        '<mark class="lab lab-question" title="question" data-labels="question">What happened</mark>'
        in turn
    )
    assert "Level 2 → 1: question +1, apology +0.5" in text_of(turn)
    assert "answered after 0.4 s" in text_of(turn)
    staircase = page.split('class="chart staircase"')[1].split("</svg>")[0]
    assert staircase.count("<circle") == 3  # the opening and one point per reply
    assert "turn 2: level 2 blame. dismissive" in staircase
    timings = text_of(section(page, "timings"))
    assert "0.4 s response latency (median)" in timings
    scorecard = text_of(section(page, "scorecard"))
    assert "Active listening 50" in scorecard and "Coaching tips" in scorecard
    text_call = browsers["tom"].get(f"/sessions/{world.ids['alice-1']}").text
    assert "A typed call: no speech timings." in main_text(text_call)
    assert 'id="call-audio"' not in text_call and 'class="play"' not in text_call


def test_a_call_saved_before_it_ended_shows_everywhere(
    world: World, browsers: dict[str, Browser]
) -> None:
    """A voice call's session.json is saved after every turn: no outcome, no scorecard yet."""
    from tests.store.helpers import variant

    folder = variant(world.folder("alice-1"), "live", outcome=None, scorecard=None,
                     final_level=None, closing=None)  # fmt: skip
    session_id = world.store.sessions.save_session_folder(folder)
    tom = browsers["tom"]
    page = tom.get(f"/sessions/{session_id}")
    assert page.status_code == 200
    assert "ongoing final level – – overall / 100" in main_text(page.text)
    assert 'id="scorecard"' not in page.text
    assert tom.get(f"/api/sessions/{session_id}").json()["overall_score"] is None
    assert listed_ids(tom.get("/sessions?outcome=ongoing").text) == [session_id]
    rows = csv.DictReader(io.StringIO(tom.get("/export/sessions.csv?outcome=ongoing").text))
    assert [(r["id"], r["overall_score"], r["turns"]) for r in rows] == [(str(session_id), "", "2")]
    progress = tom.get(f"/api/trainees/{world.user_ids['alice']}/progress").json()
    assert progress["outcomes"]["ongoing"] == 1 and len(progress["sessions"]) == 5
    assert tom.get(f"/progress/{world.user_ids['alice']}").status_code == 200
