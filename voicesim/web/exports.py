"""Sessions and scores as CSV and JSON downloads, trainers' corrections included.

The filters are those of the session list, so "what I see" is "what I export". Only the
sessions the viewer may see are exported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from voicesim.csv_cells import safe_row
from voicesim.store.access import Viewer
from voicesim.store.progress import DIMENSIONS
from voicesim.store.store import Store
from voicesim.web.queries import ListQuery, ListQueryDep
from voicesim.web.review import final_labels
from voicesim.web.security import SignedIn, StoreDep, check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], tags=["export"])

SESSION_COLUMNS = [
    "id", "started_at", "trainee", "persona", "language", "mode", "outcome", "final_level",
    "peak_level", "overall_score", *DIMENSIONS, "turns", "corrections", "comments", "answers",
]  # fmt: skip
TURN_COLUMNS = [
    "session_id", "turn", "caller_level", "caller_line", "reply", "scored_labels",
    "final_labels", "apology", "rule", "to_level", "corrections", "comments",
    "response_latency_s", "speaking_s", "words_per_minute", "interruptions", "question",
]  # fmt: skip


def matching_sessions(store: Store, query: ListQuery, viewer: Viewer) -> Iterator[dict[str, Any]]:
    """Every session the query matches (all pages), in full."""
    page_number = 1
    while True:
        page = store.sessions.list_sessions(
            query.filters, query.sort, page_number, 500, viewer=viewer
        )
        for item in page.items:
            yield store.sessions.get_session(item.id, viewer)
        if page_number * 500 >= page.total:
            return
        page_number += 1


def _corrections(turn: dict[str, Any]) -> list[str]:
    lines = []
    for note in turn["annotations"]:
        at = _iso(note["created_at"])
        if note.get("label_added"):
            lines.append(f"added {note['label_added']} by {note['author']} at {at}")
        if note.get("label_removed"):
            lines.append(f"removed {note['label_removed']} by {note['author']} at {at}")
    return lines


def _comments(turn: dict[str, Any]) -> list[str]:
    return [
        f"{n['author']} at {_iso(n['created_at'])}: {n['comment']}"
        for n in turn["annotations"]
        if n.get("comment")
    ]


def session_row(session: dict[str, Any]) -> dict[str, Any]:
    card = session.get("scorecard") or {}
    turns = session["turns"]
    return {
        "id": session["id"],
        "started_at": _iso(session["started_at"]),
        "trainee": session["trainee"],
        "persona": session["persona"],
        "language": session["language"],
        "mode": session["mode"],
        "outcome": session["outcome"],
        "final_level": session["final_level"],
        "peak_level": session["peak_level"],
        "overall_score": session["overall_score"],
        **{name: (card.get(name) or {}).get("rating") for name in DIMENSIONS},
        "turns": len(turns),
        "corrections": sum(len(_corrections(t)) for t in turns),
        "comments": sum(len(_comments(t)) for t in turns),
        "answers": "; ".join(
            f"{a['kind']}{' turn ' + str(a['turn']) if a['turn'] else ''}"
            f"{': ' + a['comment'] if a['comment'] else ''}"
            for a in session["acknowledgements"]
        ),
    }


def turn_rows(session: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for turn in session["turns"]:
        timing = turn.get("timing") or {}
        yield {
            "session_id": session["id"],
            "turn": turn["index"],
            "caller_level": turn["level"],
            "caller_line": turn["caller"],
            "reply": turn["reply"],
            "scored_labels": " ".join(dict.fromkeys(x["label"] for x in turn["labels"])),
            "final_labels": " ".join(final_labels(turn)),
            "apology": turn["apology"] or "",
            "question": turn.get("question") or "",
            "rule": turn["rule"],
            "to_level": turn["to_level"],
            "corrections": "; ".join(_corrections(turn)),
            "comments": "; ".join(_comments(turn)),
            "response_latency_s": timing.get("response_latency_s"),
            "speaking_s": timing.get("speaking_s"),
            "words_per_minute": timing.get("words_per_minute"),
            "interruptions": timing.get("interruptions"),
        }


def json_ready(session: dict[str, Any]) -> dict[str, Any]:
    """A full session with each turn's labels after corrections, times as ISO strings; the
    server's own folder path stays on the server."""
    turns = [{**t, "final_labels": final_labels(t)} for t in session["turns"]]
    shared = {k: v for k, v in session.items() if k != "folder"}
    ready: dict[str, Any] = _isoformat({**shared, "turns": turns})
    return ready


def csv_response(rows: Iterable[dict[str, Any]], columns: Sequence[str], filename: str) -> Response:
    """A CSV download whose text cells are safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(safe_row(row))
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/export/sessions.csv", summary="Sessions and their scores as CSV")
def sessions_csv(viewer: SignedIn, store: StoreDep, query: ListQueryDep) -> Response:
    rows = (session_row(s) for s in matching_sessions(store, query, viewer))
    return csv_response(rows, SESSION_COLUMNS, "voicesim-sessions.csv")


@router.get("/export/turns.csv", summary="Every turn with its labels and corrections as CSV")
def turns_csv(viewer: SignedIn, store: StoreDep, query: ListQueryDep) -> Response:
    rows = (row for s in matching_sessions(store, query, viewer) for row in turn_rows(s))
    return csv_response(rows, TURN_COLUMNS, "voicesim-turns.csv")


@router.get("/export/sessions.json", summary="Sessions in full (turns, labels, notes) as JSON")
def sessions_json(viewer: SignedIn, store: StoreDep, query: ListQueryDep) -> Response:
    sessions = [json_ready(s) for s in matching_sessions(store, query, viewer)]
    return Response(
        json.dumps({"sessions": sessions}, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="voicesim-sessions.json"'},
    )


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def _isoformat(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        return {k: _isoformat(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoformat(v) for v in value]
    return value
