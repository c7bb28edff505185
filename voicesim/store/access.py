"""Who may see which sessions: the one rule every route of the web app goes through.

A trainee sees their own sessions; a trainer sees their own and those of the trainees in
their team and in every team they lead; an admin sees everything. A session someone may not
see is reported exactly like one that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from voicesim.store.models import PracticeSession, Role, User, team_trainers


@dataclass(frozen=True)
class Viewer:
    """A signed-in user as far as access is concerned."""

    id: int
    name: str
    role: Role
    team_ids: frozenset[int]  # their own team and the teams they lead

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def reviews_others(self) -> bool:
        """Trainers and admins annotate, export and run batch jobs; trainees do not."""
        return self.role in (Role.TRAINER, Role.ADMIN)


def viewer_of(session: Session, user: User) -> Viewer:
    led = session.scalars(
        select(team_trainers.c.team_id).where(team_trainers.c.user_id == user.id)
    ).all()
    teams = set(led) | ({user.team_id} if user.team_id is not None else set())
    return Viewer(user.id, user.name, Role(user.role), frozenset(teams))


def visible_sessions(viewer: Viewer | None) -> ColumnElement[bool]:
    """A WHERE condition on ``PracticeSession`` (joined with its trainee ``User``)."""
    if viewer is None or viewer.is_admin:
        return true()
    own = PracticeSession.trainee_id == viewer.id
    if viewer.role is Role.TRAINEE:
        return own
    if not viewer.team_ids:
        return own
    # Trainees only: a fellow trainer or an admin in the same team keeps their calls.
    teams_trainees = and_(User.role == Role.TRAINEE, User.team_id.in_(sorted(viewer.team_ids)))
    return or_(own, teams_trainees)


def may_see_trainee(viewer: Viewer | None, trainee: User) -> bool:
    if viewer is None or viewer.is_admin or trainee.id == viewer.id:
        return True
    return (
        viewer.role is Role.TRAINER
        and trainee.role is Role.TRAINEE
        and trainee.team_id in viewer.team_ids
    )
