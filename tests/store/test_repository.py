"""Sessions, annotations, deletion, retention and accounts against a real database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.store.helpers import practice_folder, variant
from voicesim.errors import StoreError
from voicesim.store.repository import SessionFilter
from voicesim.store.store import Store


def test_import_a_real_practice_session(store: Store, tmp_path: Path, data_dir: Path) -> None:
    folder = practice_folder(tmp_path, trainee="alice")
    session_id = store.sessions.save_session_folder(folder)
    saved = store.sessions.get_session(session_id)
    assert saved["trainee"] == "alice" and saved["persona"] == "valentine-gift"
    assert saved["mode"] == "text" and saved["outcome"] == "ended" and saved["final_level"] == 2
    assert saved["overall_score"] == saved["scorecard"]["overall"]
    assert saved["folder"] == str(folder.resolve())
    first, second = saved["turns"]
    assert first["reply"] == "I am so sorry. What happened?" and first["apology"] == "blanket"
    assert {"label": "apology", "phrase": "sorry", "start": 8, "end": 13} in first["labels"]
    assert first["rule"] == "calmed_down" and (first["from_level"], first["to_level"]) == (2, 1)
    assert [x["label"] for x in second["labels"]] == ["dismissive"]
    page = store.sessions.list_sessions()
    assert page.total == 1 and page.items[0].folder == folder.relative_to(data_dir).as_posix()
    # Importing again updates in place, keeping the trainer's notes.
    store.users.add_user("tom", "trainer", "long enough", "north")
    store.sessions.add_annotation(session_id, 2, "tom", "too curt")
    assert store.sessions.save_session_folder(folder) == session_id
    assert store.sessions.list_sessions().total == 1
    assert store.sessions.get_session(session_id)["turns"][1]["annotations"][0]["comment"] == (
        "too curt"
    )


def test_filters_sort_and_pages(store: Store, tmp_path: Path) -> None:
    source = practice_folder(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    for number in range(7):
        folder = variant(
            source,
            f"copy-{number}",
            trainee="bob" if number % 2 else "carol",
            started_at=(now - timedelta(days=number)).isoformat(),
            scorecard={"overall": 10 * number, "peak_level": 3},
            outcome="resolved" if number == 3 else "ended",
        )
        store.sessions.save_session_folder(folder)
    store.users.add_user("bob", "trainee", "long enough", "east")
    assert store.sessions.list_sessions().total == 7
    assert store.sessions.list_sessions(SessionFilter(trainee="bob")).total == 3
    assert store.sessions.list_sessions(SessionFilter(team="east")).total == 3
    assert store.sessions.list_sessions(SessionFilter(outcome="resolved")).items[0].trainee == "bob"
    assert store.sessions.list_sessions(SessionFilter(min_score=40)).total == 3
    assert store.sessions.list_sessions(SessionFilter(label="dismissive")).total == 7
    assert store.sessions.list_sessions(SessionFilter(label="boundary")).total == 0
    recent = SessionFilter(started_from=now - timedelta(days=2, hours=1))
    assert store.sessions.list_sessions(recent).total == 3
    newest_first = store.sessions.list_sessions(page_size=3)
    assert [s.overall_score for s in newest_first.items] == [0, 10, 20]
    assert newest_first.items[0].started_at == now
    third_page = store.sessions.list_sessions(sort="-score", page=3, page_size=3)
    assert [s.overall_score for s in third_page.items] == [0] and third_page.total == 7
    by_score = store.sessions.list_sessions(sort="score", page=2, page_size=2)
    assert [s.overall_score for s in by_score.items] == [20, 30]
    with pytest.raises(StoreError, match="cannot sort by 'colour'"):
        store.sessions.list_sessions(sort="colour")


def test_annotations_have_author_and_time(store: Store, tmp_path: Path) -> None:
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path))
    store.users.add_user("tom", "trainer", "long enough")
    before = datetime.now(UTC) - timedelta(seconds=1)
    store.sessions.add_annotation(session_id, 1, "tom", "good question", label_removed="apology")
    store.sessions.add_annotation(session_id, 1, "tom", label_added="empathy")
    notes = store.sessions.get_session(session_id)["turns"][0]["annotations"]
    assert [(n["author"], n["comment"], n["label_added"], n["label_removed"]) for n in notes] == [
        ("tom", "good question", None, "apology"),
        ("tom", None, "empathy", None),
    ]
    assert all(before <= n["created_at"] <= datetime.now(UTC) for n in notes)
    with pytest.raises(StoreError, match="unknown label 'nice'"):
        store.sessions.add_annotation(session_id, 1, "tom", label_added="nice")
    with pytest.raises(StoreError, match="has no turn 9"):
        store.sessions.add_annotation(session_id, 9, "tom", "x")
    with pytest.raises(StoreError, match="no user named 'zed'"):
        store.sessions.add_annotation(session_id, 1, "zed", "x")


def test_delete_removes_rows_and_audio(store: Store, tmp_path: Path) -> None:
    folder = variant(practice_folder(tmp_path), "voice", with_audio=True)
    session_id = store.sessions.save_session_folder(folder)
    saved = store.sessions.get_session(session_id)
    assert (
        saved["call_audio_file"] == "call.wav" and saved["turns"][0]["audio_file"] == "turn-01.wav"
    )
    assert saved["turns"][0]["speaking_s"] == 1.0 and (folder / "turn-01.wav").exists()
    store.sessions.delete_session(session_id)
    assert not folder.exists()
    with pytest.raises(StoreError, match=f"no session with id {session_id}"):
        store.sessions.get_session(session_id)


def test_retention_deletes_old_sessions_and_their_audio(store: Store, tmp_path: Path) -> None:
    source = practice_folder(tmp_path)
    now = datetime.now(UTC)
    old = variant(source, "old", True, started_at=(now - timedelta(days=40)).isoformat())
    recent = variant(source, "recent", True, started_at=(now - timedelta(days=5)).isoformat())
    for folder in (source, old, recent):
        store.sessions.save_session_folder(folder)
    assert store.sessions.apply_retention(30) == 1
    assert not old.exists() and (recent / "call.wav").exists() and source.exists()
    assert store.sessions.list_sessions().total == 2
    assert store.sessions.apply_retention(30) == 0
    with pytest.raises(StoreError, match="at least 1 day"):
        store.sessions.apply_retention(0)


def test_users_get_argon2_hashes(store: Store, tmp_path: Path) -> None:
    store.sessions.save_session_folder(practice_folder(tmp_path, trainee="alice"))
    assert any(
        (a.name, a.role, a.team, a.can_sign_in) == ("alice", "trainee", None, False)
        for a in store.users.accounts()
    )
    assert not store.users.verify_password("alice", "")  # imported: no login yet
    store.users.add_user("alice", "trainee", "correct horse", "north")  # gets her login
    store.users.add_user("tom", "admin", "battery staple")
    from sqlalchemy import select

    from voicesim.store.models import User

    with store.database.session() as session:
        hashed = session.scalars(select(User.password_hash).where(User.name == "tom")).one()
    assert hashed is not None and hashed.startswith("$argon2id$") and "battery" not in hashed
    started = time.perf_counter()
    assert store.users.verify_password("tom", "battery staple")
    assert not store.users.verify_password("tom", "battery stapler")
    assert not store.users.verify_password("nobody", "battery staple")
    assert time.perf_counter() - started < 5
    assert store.users.verify_password("alice", "correct horse")
    with pytest.raises(StoreError, match="user 'tom' already exists"):
        store.users.add_user("tom", "trainer", "whatever123")
    with pytest.raises(StoreError, match="unknown role 'boss'"):
        store.users.add_user("ann", "boss", "whatever123")
    with pytest.raises(StoreError, match="at least 8 characters"):
        store.users.add_user("ann", "trainer", "short")


def test_a_removed_trainers_notes_stay_under_their_name(store: Store, tmp_path: Path) -> None:
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path, trainee="alice"))
    store.users.add_user("tom", "trainer", "long enough")
    store.sessions.add_annotation(session_id, 2, "tom", "mirror the feeling", None, "dismissive")
    assert store.delete_user("tom") == 0  # tom practised nothing himself
    (note,) = store.sessions.get_session(session_id)["turns"][1]["annotations"]
    assert (note["author"], note["comment"], note["label_removed"]) == (
        "tom",
        "mirror the feeling",
        "dismissive",
    )
