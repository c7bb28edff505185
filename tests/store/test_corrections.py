"""Trainers' label corrections leave the store as training rows the scorer can learn from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.store.helpers import practice_folder
from voicesim.cli import main
from voicesim.scoring.corpus import read_corpus_file
from voicesim.store.corrections import corrected_replies
from voicesim.store.store import Store


def test_corrections_become_labelled_replies(store: Store, tmp_path: Path) -> None:
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path))
    store.users.add_user("tom", "trainer", "long enough")
    turns = store.sessions.get_session(session_id)["turns"]
    scored = {item["label"] for item in turns[0]["labels"]}
    assert "apology" in scored  # "I am so sorry. What happened?"
    store.sessions.add_annotation(session_id, 1, "tom", label_removed="apology")
    store.sessions.add_annotation(session_id, 1, "tom", label_added="empathy")
    store.sessions.add_annotation(session_id, 1, "tom", label_added="apology")  # changed their mind
    store.sessions.add_annotation(session_id, 2, "tom", "a comment corrects nothing")

    (row,) = corrected_replies(store.database)
    assert row["text"] == turns[0]["reply"] and row["lang"] == "en"
    assert row["labels"] == sorted(scored | {"empathy"})
    assert row["source"] == "trainer correction"


def test_export_command_writes_rows_that_training_reads(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path))
    store.users.add_user("tom", "trainer", "long enough")
    store.sessions.add_annotation(session_id, 2, "tom", label_removed="dismissive")
    out = tmp_path / "corrections.jsonl"
    assert main(["scorer", "export-corrections", "--out", str(out)]) == 0
    assert "1 corrected reply exported" in capsys.readouterr().err
    (row,) = read_corpus_file(out, corrections=True)
    assert row.lang == "en" and "dismissive" not in row.labels
    assert json.loads(out.read_text(encoding="utf-8"))["id"].endswith("-turn-2")


def test_a_questions_kind_is_stored_with_its_turn(store: Store, tmp_path: Path) -> None:
    session_id = store.sessions.save_session_folder(practice_folder(tmp_path))
    first = store.sessions.get_session(session_id)["turns"][0]  # "I am so sorry. What happened?"
    assert "question" in {item["label"] for item in first["labels"]}
    assert first["question"] == "open"
