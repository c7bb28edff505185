"""The JSON API's request and response bodies (they make the OpenAPI document at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class LoginIn(BaseModel):
    name: str = Field(max_length=100)
    password: str = Field(max_length=200)


class Me(BaseModel):
    id: int
    name: str
    role: str
    csrf_token: str = Field(description="send as X-CSRF-Token on every POST and DELETE")


class SessionSummaryOut(BaseModel):
    id: int
    trainee: str
    persona: str
    language: str
    mode: str
    started_at: datetime
    outcome: str
    final_level: int | None
    overall_score: int | None


class SessionPageOut(BaseModel):
    items: list[SessionSummaryOut]
    total: int
    page: int
    page_size: int


class EvidenceOut(BaseModel):
    label: str
    phrase: str | None
    start: int | None
    end: int | None


class AnnotationOut(BaseModel):
    id: int
    author: str
    comment: str | None
    label_added: str | None
    label_removed: str | None
    created_at: datetime


class TurnOut(BaseModel):
    index: int
    caller: str
    level: int
    reply: str
    labels: list[EvidenceOut]
    final_labels: list[str] = Field(description="the labels after the trainers' corrections")
    apology: str | None
    rule: str
    reason: str
    from_level: int
    to_level: int
    timing: dict[str, float | int | None]
    audio_url: str | None
    annotations: list[AnnotationOut]


class AnswerOut(BaseModel):
    kind: str
    turn: int | None
    comment: str | None
    created_at: datetime


class SessionOut(BaseModel):
    id: int
    trainee: str
    persona: str
    language: str
    title: str
    mode: str
    seed: int | None
    started_at: datetime
    outcome: str
    final_level: int | None
    peak_level: int | None
    overall_score: int | None
    scorecard: dict[str, Any] | None
    audio_url: str | None
    engine: str | None
    model: str | None
    closing: dict[str, Any]
    turns: list[TurnOut]
    acknowledgements: list[AnswerOut]


class NoteIn(BaseModel):
    comment: str | None = Field(default=None, max_length=4000)
    label_added: str | None = Field(default=None, max_length=32)
    label_removed: str | None = Field(default=None, max_length=32)


class AnswerIn(BaseModel):
    kind: Literal["acknowledged", "disputed"]
    comment: str | None = Field(default=None, max_length=4000)
    turn: int | None = Field(default=None, ge=1, description="a disputed turn; none: the call")


class Created(BaseModel):
    id: int


class PersonaStatsOut(BaseModel):
    persona: str
    sessions: int
    resolved: int
    mean_score: float | None


class ProgressSessionOut(BaseModel):
    id: int
    started_at: datetime
    persona: str
    outcome: str
    overall_score: int | None
    ratings: dict[str, int | None]


class ProgressOut(BaseModel):
    trainee_id: int
    trainee: str
    team: str | None
    sessions: list[ProgressSessionOut]
    outcomes: dict[str, int]
    resolved_rate: float | None
    per_persona: list[PersonaStatsOut]
    mean_ratings: dict[str, float | None]


class BatchJobOut(BaseModel):
    id: int
    status: str = Field(description="queued | running | done | failed")
    files_total: int
    files_done: int = Field(description="finished files, failed ones included")
    progress: float = Field(description="0.0 to 1.0")
    error: str | None = Field(description="why the whole job failed")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    lang: str | None
    agent_channel: str | None
    engine: str | None


class BatchResultOut(BaseModel):
    id: int
    file: str
    error: str | None
    result: dict[str, Any] = Field(description="the row `voicesim batch` writes for the file")
