"""A trainee's record over time, and the people and personas a viewer can pick from.

Read-only queries for the progress page and the session list's filter menus; every one goes
through the same access rule as the session list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from voicesim.errors import NotFoundError
from voicesim.store.access import Viewer, may_see_trainee, visible_sessions
from voicesim.store.database import Database
from voicesim.store.models import PracticeSession, Role, User

DIMENSIONS = ("active_listening", "apology", "boundary", "harmful_moves")


@dataclass(frozen=True)
class SessionScore:
    id: int
    started_at: datetime
    persona: str
    language: str
    mode: str
    outcome: str
    final_level: int | None
    overall_score: int | None
    ratings: dict[str, int | None]  # the scorecard's dimensions


@dataclass(frozen=True)
class PersonaStats:
    persona: str
    sessions: int
    resolved: int
    mean_score: float | None


@dataclass(frozen=True)
class TraineeHistory:
    trainee_id: int
    trainee: str
    team: str | None
    sessions: list[SessionScore]  # oldest first
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def resolved_rate(self) -> float | None:
        return self.outcomes["resolved"] / len(self.sessions) if self.sessions else None

    def per_persona(self) -> list[PersonaStats]:
        stats: list[PersonaStats] = []
        for persona in sorted({s.persona for s in self.sessions}):
            rows = [s for s in self.sessions if s.persona == persona]
            scores = [s.overall_score for s in rows if s.overall_score is not None]
            stats.append(
                PersonaStats(
                    persona,
                    len(rows),
                    sum(s.outcome == "resolved" for s in rows),
                    sum(scores) / len(scores) if scores else None,
                )
            )
        return stats

    def mean_ratings(self) -> dict[str, float | None]:
        means: dict[str, float | None] = {}
        for name in DIMENSIONS:
            values = [s.ratings[name] for s in self.sessions if s.ratings.get(name) is not None]
            means[name] = sum(v for v in values if v is not None) / len(values) if values else None
        return means


@dataclass(frozen=True)
class Choices:
    """What the session list's filter menus offer this viewer."""

    trainees: list[tuple[int, str]]  # (user id, name)
    personas: list[str]
    languages: list[str]


class ProgressRepository:
    def __init__(self, database: Database):
        self.database = database

    def history(self, trainee_id: int, viewer: Viewer | None = None) -> TraineeHistory:
        with self.database.session() as session:
            trainee = session.get(User, trainee_id)
            if trainee is None or not may_see_trainee(viewer, trainee):
                raise NotFoundError(f"no trainee with id {trainee_id}")
            rows = session.scalars(
                select(PracticeSession)
                .where(PracticeSession.trainee_id == trainee_id)
                .order_by(PracticeSession.started_at, PracticeSession.id)
            ).all()
            scores = [_score(row) for row in rows]
            return TraineeHistory(
                trainee.id,
                trainee.name,
                trainee.team.name if trainee.team else None,
                scores,
                Counter(s.outcome for s in scores),
            )

    def choices(self, viewer: Viewer | None = None) -> Choices:
        with self.database.session() as session:
            visible = (
                select(PracticeSession.trainee_id, PracticeSession.persona_id,
                       PracticeSession.language, User.name)
                .join(User, PracticeSession.trainee_id == User.id)
                .where(visible_sessions(viewer))
            )  # fmt: skip
            rows = session.execute(visible).all()
        trainees = sorted({(r.trainee_id, r.name) for r in rows}, key=lambda t: t[1].lower())
        return Choices(
            trainees,
            sorted({r.persona_id for r in rows}),
            sorted({r.language for r in rows}),
        )

    def trainees(self, viewer: Viewer | None = None) -> list[tuple[int, str, int]]:
        """(id, name, sessions) of every trainee the viewer may follow, sessions or not."""
        with self.database.session() as session:
            users = session.scalars(select(User).order_by(User.name)).all()
            counts = Counter(session.scalars(select(PracticeSession.trainee_id)).all())
            return [
                (u.id, u.name, counts[u.id])
                for u in users
                if may_see_trainee(viewer, u) and (u.role is Role.TRAINEE or counts[u.id])
            ]


def _score(row: PracticeSession) -> SessionScore:
    card: dict[str, Any] = row.scorecard or {}
    ratings = {
        name: (card.get(name) or {}).get("rating") if isinstance(card.get(name), dict) else None
        for name in DIMENSIONS
    }
    return SessionScore(
        row.id, row.started_at, row.persona_id, row.language, str(row.mode), row.outcome,
        row.final_level, row.overall_score, ratings,
    )  # fmt: skip
