"""Practice calls and the demo land in the data folder's default session database on their
own, so `voicesim serve` shows them with no import step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.conftest import listed_ids, main_text, sign_in
from voicesim.cli import main
from voicesim.settings import sessions_dir
from voicesim.store.store import open_store
from voicesim.web.app import create_app
from voicesim.web.settings import WebSettings

REPLIES = "I'm so sorry your gift hasn't arrived. What happened?\nCalm down, as I said.\n"


def _practice(tmp_path: Path, *extra: str) -> int:
    replies = tmp_path / "replies.txt"
    replies.write_text(REPLIES, encoding="utf-8")
    return main(["practice", "--persona", "valentine-gift", "--text", "--replies", str(replies),
                 "--seed", "1", "--json", *extra])  # fmt: skip


def test_a_practice_call_is_saved_to_the_default_database(
    tmp_path: Path, private_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _practice(tmp_path, "--trainee", "alice") == 0
    out, err = capsys.readouterr()
    call = json.loads(out)
    assert "in the session database as session 1 (review it with `voicesim serve`)" in err
    assert (private_data_dir / "voicesim.db").is_file()
    store = open_store()  # no URL: the default database of the data folder
    try:
        page = store.sessions.list_sessions()
        assert page.total == 1
        (summary,) = page.items
        assert (summary.trainee, summary.persona, summary.language, summary.mode) == (
            "alice", "valentine-gift", "en", "text",
        )  # fmt: skip
        assert summary.outcome == call["outcome"] and summary.final_level == call["final_level"]
        assert summary.overall_score == call["scorecard"]["overall"]
        (folder,) = sessions_dir().iterdir()
        assert summary.folder == folder.relative_to(private_data_dir).as_posix()
        stored = store.sessions.get_session(summary.id)
        assert [t["reply"] for t in stored["turns"]] == [t["reply"] for t in call["turns"]]
        assert [sorted(x["label"] for x in t["labels"]) for t in stored["turns"]] == [
            sorted(t["labels"]) for t in call["turns"]
        ]
    finally:
        store.close()


def test_the_demo_saves_both_calls_and_the_web_app_shows_them(
    tmp_path: Path, private_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _practice(tmp_path, "--trainee", "alice") == 0
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("in the session database as session") == 2
    store = open_store()
    try:
        page = store.sessions.list_sessions(sort="trainee")
        assert [s.trainee for s in page.items] == ["alice", "demo-arguer", "demo-listener"]
        by_trainee = {s.trainee: s for s in page.items}
        listener, arguer = by_trainee["demo-listener"], by_trainee["demo-arguer"]
        assert (listener.outcome, arguer.outcome, arguer.final_level) == ("resolved", "hung_up", 5)
        assert listener.overall_score is not None and arguer.overall_score is not None
        assert listener.overall_score > arguer.overall_score
        store.users.add_user("admin", "admin", "admin-password-1")
        app = create_app(store, WebSettings.from_env())
        admin = sign_in(app, "admin", "admin-password-1")
        listing = admin.get("/sessions")
        assert len(listed_ids(listing.text)) == 3
        text = main_text(listing.text)
        assert "demo-listener" in text and "demo-arguer" in text and "3 sessions" in text
        arguer_id = next(s.id for s in page.items if s.trainee == "demo-arguer")
        review = main_text(admin.get(f"/sessions/{arguer_id}").text)
        assert "Calm down. As I said, deliveries are handled by the courier" in review
    finally:
        store.close()


def test_no_save_keeps_it_out_and_an_unreachable_database_loses_nothing(
    tmp_path: Path, private_data_dir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    assert _practice(tmp_path, "--no-save") == 0
    assert not sessions_dir().exists() or not any(sessions_dir().iterdir())
    monkeypatch.setenv("VOICESIM_DATABASE_URL", "nosuchdb://nowhere/voicesim")
    capsys.readouterr()
    assert _practice(tmp_path, "--trainee", "bob") == 0
    err = capsys.readouterr().err
    (folder,) = sessions_dir().iterdir()
    assert "not added to the session database" in err
    assert f"import it later with `voicesim sessions import {folder}`" in err
    assert (folder / "session.json").is_file()
    monkeypatch.delenv("VOICESIM_DATABASE_URL")
    assert main(["sessions", "import", str(folder)]) == 0
    store = open_store()
    try:
        assert [s.trainee for s in store.sessions.list_sessions().items] == ["bob"]
    finally:
        store.close()
