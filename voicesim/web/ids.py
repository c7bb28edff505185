"""Ids in paths, checked at the edge: an id no row can have names nothing (404), whatever
the database would have made of it (SQLite cannot bind an integer past 2**63 - 1, and
PostgreSQL refuses one past 2**31 - 1 for its INTEGER id columns: both were 500s).

The app's validation handler turns an out-of-range path id into the same 404 as an id that
does not exist (``not_found_message``), so ids cannot be probed by their range either.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

MAX_ROW_ID = 2**31 - 1  # the largest id every supported database can hold (PostgreSQL INTEGER)

# What each id names, for the 404 line.
ID_NAMES = {
    "session_id": "no session with id {}",
    "turn_index": "no turn {}",
    "job_id": "no batch job with id {}",
    "result_id": "no batch result with id {}",
    "trainee_id": "no trainee with id {}",
}
RANGE_ERRORS = ("greater_than_equal", "less_than_equal")


def _row_id(description: str) -> Any:
    return Path(ge=1, le=MAX_ROW_ID, description=description)


SessionId = Annotated[int, _row_id("a practice session's id")]
TurnIndex = Annotated[int, _row_id("the turn's number in its call, from 1")]
JobId = Annotated[int, _row_id("a batch job's id")]
ResultId = Annotated[int, _row_id("one file's result in a batch job")]
TraineeId = Annotated[int, _row_id("a trainee's account id")]


def not_found_message(errors: list[dict[str, Any]]) -> str | None:
    """The 404 line when the request failed because a path id is out of range, else None."""
    for item in errors:
        location = tuple(item.get("loc", ()))
        if len(location) == 2 and location[0] == "path" and item.get("type") in RANGE_ERRORS:
            template = ID_NAMES.get(str(location[1]), "nothing has the id {}")
            return template.format(item.get("input"))
    return None
