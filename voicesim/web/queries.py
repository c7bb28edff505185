"""The session-list query string, shared by the list page, the exports and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query

from voicesim.errors import VoicesimError
from voicesim.store.repository import SORT_COLUMNS, SessionFilter

OUTCOMES = ("resolved", "hung_up", "ended", "ongoing")
MODES = ("text", "voice")
SORTS = tuple(f"{sign}{name}" for name in SORT_COLUMNS for sign in ("-", ""))


@dataclass(frozen=True)
class ListQuery:
    filters: SessionFilter
    sort: str
    page: int
    page_size: int
    params: dict[str, str]  # the filters as given, to rebuild links (pages, exports)

    def link(self, **changes: object) -> str:
        """This query with some parameters changed, as a query string."""
        merged = {**self.params, "sort": self.sort, "page_size": str(self.page_size)}
        merged.update({k: str(v) for k, v in changes.items() if v is not None})
        return urlencode({k: v for k, v in merged.items() if v != ""})

    @property
    def filter_string(self) -> str:
        return urlencode({k: v for k, v in self.params.items() if v})


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_after(last: date | None) -> datetime | None:
    """The exclusive end of an inclusive last day; the calendar's last day has no day after
    it (date.max + 1 day overflows): no end at all."""
    if last is None or last == date.max:
        return None
    return _start_of(last + timedelta(days=1))


def _day(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise VoicesimError(f"{name} {value!r} is not a date: use YYYY-MM-DD") from None


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value and value not in allowed:
        raise VoicesimError(f"{name} {value!r} is not one of: {', '.join(allowed)}")
    return value or None


def list_query(
    trainee: Annotated[str | None, Query(max_length=100, description="trainee name")] = None,
    persona: Annotated[str | None, Query(max_length=100, description="persona id")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    outcome: Annotated[str | None, Query(description=" | ".join(OUTCOMES))] = None,
    mode: Annotated[str | None, Query(description=" | ".join(MODES))] = None,
    label: Annotated[str | None, Query(max_length=32, description="a reply got it")] = None,
    date_from: Annotated[str | None, Query(description="first day, YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(description="last day (inclusive), YYYY-MM-DD")] = None,
    sort: Annotated[str, Query(description=f"one of {', '.join(SORTS)}")] = "-started_at",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 25,
) -> ListQuery:
    # An empty form field means "any": the filter form sends every field.
    first, last = _day("date_from", date_from), _day("date_to", date_to)
    sort = sort or "-started_at"  # the form's empty choice
    if sort not in SORTS:
        raise VoicesimError(f"cannot sort by {sort!r}; use one of: {', '.join(SORTS)}")
    filters = SessionFilter(
        trainee=trainee or None,
        persona=persona or None,
        language=language or None,
        mode=_one_of("mode", mode, MODES),
        outcome=_one_of("outcome", outcome, OUTCOMES),
        label=label or None,
        started_from=_start_of(first) if first else None,
        started_before=_day_after(last),
    )
    params = {
        "trainee": trainee or "",
        "persona": persona or "",
        "language": language or "",
        "outcome": outcome or "",
        "mode": mode or "",
        "label": label or "",
        "date_from": first.isoformat() if first else "",
        "date_to": last.isoformat() if last else "",
    }
    return ListQuery(filters, sort, page, page_size, params)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]
