"""session.json (the CallRecord format) into rows; re-importing a folder updates it in place.

Turns are matched by index rather than replaced, so a trainer's annotations survive when a
voice call's session.json is rewritten after every turn.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicesim.errors import StoreError
from voicesim.store.models import Mode, PracticeSession, Turn, TurnLabel
from voicesim.store.session_folder import SESSION_FILE

TIMING_FIELDS = (
    "response_latency_s",
    "speaking_s",
    "words_per_minute",
    "loudness_dbfs",
    "interruptions",
    "caller_speaking_s",
    "system_latency_s",
)


def read_session_file(folder: Path) -> dict[str, Any]:
    path = folder / SESSION_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file; is {folder} a session folder?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(f"{path}: not a readable session file ({error})") from error
    if not isinstance(document, dict) or "persona" not in document or "turns" not in document:
        raise StoreError(f"{path}: not a voicesim session (no persona or turns)")
    return document


def parse_time(value: Any, path: Path) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise StoreError(f"{path}: started_at {value!r} is not an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fill_session(row: PracticeSession, document: dict[str, Any], folder: Path) -> None:
    """Copy a session document onto ``row`` (new or existing), turns included."""
    path = folder / SESSION_FILE
    try:
        row.persona_id = str(document["persona"])
        row.language = str(document["language"])
        row.title = str(document.get("title") or "")
        row.mode = Mode(document.get("mode", "text"))
        row.seed = document.get("seed")
        row.started_at = parse_time(document["started_at"], path)
        row.outcome = str(document.get("outcome") or "ongoing")
        row.final_level = document.get("final_level")
        scorecard = document.get("scorecard")
        row.scorecard = scorecard
        row.overall_score = scorecard.get("overall") if scorecard else None
        row.peak_level = scorecard.get("peak_level") if scorecard else None
        closing = document.get("closing") or {}
        row.closing_line = closing.get("caller")
        row.closing_rule = (closing.get("transition") or {}).get("rule")
        row.closing_reason = (closing.get("transition") or {}).get("reason")
        row.call_audio_file = document.get("audio")
        row.engine = document.get("engine")
        row.model = document.get("model")
        fill_turns(row, document["turns"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise StoreError(f"{path}: malformed session ({type(error).__name__}: {error})") from error


def fill_turns(row: PracticeSession, turns: list[dict[str, Any]]) -> None:
    existing = {turn.index: turn for turn in row.turns}
    seen: set[int] = set()
    for item in turns:
        index = int(item["index"])
        seen.add(index)
        turn = existing.get(index)
        if turn is None:
            turn = Turn(index=index)
            row.turns.append(turn)
        transition = item["transition"]
        turn.caller_line = item["caller"]
        turn.level = int(item["level"])
        turn.reply_text = item.get("reply") or ""
        turn.apology_kind = item.get("apology")
        question = item.get("question")
        turn.question_kind = question if question in ("open", "closed") else None
        turn.rule = transition["rule"]
        turn.reason = transition.get("reason") or ""
        turn.from_level = int(transition["from_level"])
        turn.to_level = int(transition["to_level"])
        timing = item.get("timing") or {}
        for name in TIMING_FIELDS:
            setattr(turn, name, timing.get(name))
        turn.audio_file = item.get("audio_file")
        turn.labels = list(labels_of(item))
    row.turns = [turn for turn in row.turns if turn.index in seen]


def labels_of(item: dict[str, Any]) -> list[TurnLabel]:
    """One row per piece of evidence; a label without evidence still gets a row."""
    rows: list[TurnLabel] = []
    apology = item.get("apology")
    for evidence in item.get("evidence") or []:
        label = evidence["label"]
        rows.append(
            TurnLabel(
                label=label,
                phrase=evidence.get("phrase"),
                start=evidence.get("start"),
                end=evidence.get("end"),
                apology_kind=apology if label == "apology" else None,
            )
        )
    quoted = {row.label for row in rows}
    for label in item.get("labels") or []:
        if label not in quoted:
            rows.append(
                TurnLabel(label=label, apology_kind=apology if label == "apology" else None)
            )
    return rows
