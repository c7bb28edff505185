"""Practice sessions in the database: import, list, read, annotate, delete, expire.

The session folder stays the source of the audio: deleting a session (by hand or by the
retention policy) deletes its folder too, because recordings are personal data.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from voicesim.core.labels import Label
from voicesim.errors import NotFoundError, StoreError
from voicesim.settings import data_dir, sessions_dir
from voicesim.store.access import Viewer, visible_sessions
from voicesim.store.database import Database
from voicesim.store.importer import TIMING_FIELDS, fill_session, read_session_file
from voicesim.store.models import (
    AckKind,
    Acknowledgement,
    Annotation,
    PracticeSession,
    Role,
    Team,
    Turn,
    TurnLabel,
    User,
)
from voicesim.store.session_folder import SESSION_FILE
from voicesim.store.users import find_user

MAX_PAGE_SIZE = 500
SORT_COLUMNS = {
    "started_at": PracticeSession.started_at,
    "score": PracticeSession.overall_score,
    "final_level": PracticeSession.final_level,
    "persona": PracticeSession.persona_id,
    "trainee": User.name,
}


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions to list; None means any."""

    trainee: str | None = None  # user name
    team: str | None = None  # the trainee's team
    persona: str | None = None  # persona id
    language: str | None = None
    mode: str | None = None  # text or voice
    outcome: str | None = None  # resolved, hung_up, ended
    label: str | None = None  # at least one reply got this label
    started_from: datetime | None = None  # inclusive
    started_before: datetime | None = None  # exclusive
    min_score: int | None = None  # overall score, 0-100


@dataclass(frozen=True)
class SessionSummary:
    """One row of the session list."""

    id: int
    trainee: str
    persona: str
    language: str
    mode: str
    started_at: datetime
    outcome: str
    final_level: int | None
    overall_score: int | None
    folder: str


@dataclass(frozen=True)
class SessionPage:
    items: list[SessionSummary]
    total: int  # matching sessions on all pages
    page: int  # 1-based
    page_size: int


class SessionRepository:
    """Sessions, their turns and the trainers' annotations."""

    def __init__(self, database: Database, data_folder: Path | None = None):
        self.database = database
        self.data_folder = (data_folder or data_dir()).expanduser().resolve()

    def stored_folder(self, folder: Path) -> str:
        """Relative to the data folder when inside it, so the data folder can move."""
        resolved = folder.expanduser().resolve()
        if resolved.is_relative_to(self.data_folder):
            return resolved.relative_to(self.data_folder).as_posix()
        return str(resolved)

    def folder_path(self, stored: str) -> Path:
        return self.data_folder / stored  # an absolute stored path stays absolute

    def save_session_folder(self, folder: Path, trainee: str | None = None) -> int:
        """Import (or update) one session folder; ``trainee`` overrides the name in the file."""
        document = read_session_file(folder)
        name = (trainee or str(document.get("trainee") or "")).strip() or "trainee"
        key = self.stored_folder(folder)
        with self.database.session() as session:
            row = session.scalars(
                select(PracticeSession)
                .where(PracticeSession.folder == key)
                .options(selectinload(PracticeSession.turns).selectinload(Turn.labels))
            ).one_or_none()
            user = find_user(session, name)
            if user is None:  # first seen here: an account without a login yet
                user = User(name=name, role=Role.TRAINEE)
                session.add(user)
            if row is None:
                row = PracticeSession(folder=key)
            row.trainee = user
            fill_session(row, document, folder)
            session.add(row)  # only now: a half-filled row must not be flushed
            session.flush()
            return row.id

    def list_sessions(
        self,
        filters: SessionFilter | None = None,
        sort: str = "-started_at",
        page: int = 1,
        page_size: int = 50,
        viewer: Viewer | None = None,
    ) -> SessionPage:
        """A page of the sessions ``viewer`` may see (all when None); ``sort`` is a column
        name, ``-`` first for descending."""
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise StoreError(f"page must be >= 1 and page_size 1-{MAX_PAGE_SIZE}")
        column = SORT_COLUMNS.get(sort.lstrip("-"))
        if column is None:
            raise StoreError(f"cannot sort by {sort!r}; use one of: {', '.join(SORT_COLUMNS)}")
        order = column.desc() if sort.startswith("-") else column.asc()
        query = (
            select(PracticeSession, User.name)
            .join(User)
            .where(visible_sessions(viewer), *_conditions(filters or SessionFilter()))
        )
        with self.database.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(
                query.order_by(order, PracticeSession.id)
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).all()
            items = [
                SessionSummary(
                    row.id,
                    name,
                    row.persona_id,
                    row.language,
                    str(row.mode),
                    row.started_at,
                    row.outcome,
                    row.final_level,
                    row.overall_score,
                    row.folder,
                )
                for row, name in rows
            ]
        return SessionPage(items, total, page, page_size)

    def get_session(self, session_id: int, viewer: Viewer | None = None) -> dict[str, Any]:
        """A session with its turns, labels and annotations, ready for JSON."""
        with self.database.session() as session:
            row = _load(session, session_id, viewer)
            return {
                "id": row.id,
                "trainee": row.trainee.name,
                "trainee_id": row.trainee_id,
                "persona": row.persona_id,
                "language": row.language,
                "title": row.title,
                "mode": str(row.mode),
                "seed": row.seed,
                "started_at": row.started_at,
                "outcome": row.outcome,
                "final_level": row.final_level,
                "peak_level": row.peak_level,
                "overall_score": row.overall_score,
                "scorecard": row.scorecard,
                "folder": str(self.folder_path(row.folder)),
                "call_audio_file": row.call_audio_file,
                "engine": row.engine,
                "model": row.model,
                "closing": {
                    "caller": row.closing_line,
                    "rule": row.closing_rule,
                    "reason": row.closing_reason,
                },
                "turns": [_turn_dict(turn) for turn in row.turns],
                "acknowledgements": [
                    {
                        "kind": str(a.kind),
                        "turn": next((t.index for t in row.turns if t.id == a.turn_id), None),
                        "comment": a.comment,
                        "created_at": a.created_at,
                    }
                    for a in row.acknowledgements
                ],
            }

    def add_annotation(
        self,
        session_id: int,
        turn_index: int,
        author: str,
        comment: str | None = None,
        label_added: str | None = None,
        label_removed: str | None = None,
        viewer: Viewer | None = None,
    ) -> int:
        """A trainer's comment on a turn and/or a label correction, stamped with author and time."""
        for label in (label_added, label_removed):
            if label is not None and label not in set(Label):
                raise StoreError(f"unknown label {label!r}; use one of: {', '.join(Label)}")
        if not (comment or label_added or label_removed):
            raise StoreError("an annotation needs a comment or a label correction")
        with self.database.session() as session:
            row = _load(session, session_id, viewer)
            turn = next((t for t in row.turns if t.index == turn_index), None)
            if turn is None:
                raise NotFoundError(f"session {session_id} has no turn {turn_index}")
            user = find_user(session, author)
            if user is None:
                raise StoreError(f"no user named {author!r}; add one with `voicesim users add`")
            note = Annotation(
                turn=turn,
                author=user,
                author_name=user.name,
                comment=comment,
                label_added=label_added,
                label_removed=label_removed,
            )
            session.add(note)
            session.flush()
            return note.id

    def add_acknowledgement(
        self,
        session_id: int,
        trainee: str,
        kind: str = "acknowledged",
        comment: str | None = None,
        turn_index: int | None = None,
    ) -> int:
        """The trainee acknowledges the review, or disputes it (one turn, or the whole call)."""
        try:
            parsed = AckKind(kind)
        except ValueError:
            raise StoreError(f"unknown answer {kind!r}; use acknowledged or disputed") from None
        with self.database.session() as session:
            row = _load(session, session_id)
            if row.trainee.name != trainee:
                raise StoreError(
                    f"session {session_id} belongs to {row.trainee.name}, not {trainee}"
                )
            turn = None
            if turn_index is not None:
                turn = next((t for t in row.turns if t.index == turn_index), None)
                if turn is None:
                    raise NotFoundError(f"session {session_id} has no turn {turn_index}")
            answer = Acknowledgement(
                session=row, turn_id=turn.id if turn else None, user=row.trainee,
                kind=parsed, comment=comment,
            )  # fmt: skip
            session.add(answer)
            session.flush()
            return answer.id

    def delete_session(self, session_id: int, viewer: Viewer | None = None) -> None:
        """Delete the rows and the session folder (its audio); the rows stay if that fails."""
        with self.database.session() as session:
            self._delete(session, _load(session, session_id, viewer))

    def import_new_folders(self) -> int:
        """Import saved session folders the database does not have yet (a call saved while
        the database was unreachable); a folder that will not import is left for
        ``voicesim sessions import`` to report."""
        root = sessions_dir()
        if not root.is_dir():
            return 0
        with self.database.session() as session:
            known = set(session.scalars(select(PracticeSession.folder)).all())
        imported = 0
        for marker in sorted(root.glob(f"*/{SESSION_FILE}")):
            if self.stored_folder(marker.parent) in known:
                continue
            try:
                self.save_session_folder(marker.parent)
            except StoreError:
                continue
            imported += 1
        return imported

    def session_ids_of(self, trainee: str) -> list[int]:
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(PracticeSession.id).join(User).where(User.name == trainee)
                ).all()
            )

    def audio_path(
        self, session_id: int, turn_index: int | None = None, viewer: Viewer | None = None
    ) -> Path:
        """The call's recording (``turn_index`` None) or one reply's, checked to exist and to
        lie inside the session folder: a path is never taken from a request."""
        with self.database.session() as session:
            row = _load(session, session_id, viewer)
            if turn_index is None:
                name, what = row.call_audio_file, f"session {session_id}"
            else:
                turn = next((t for t in row.turns if t.index == turn_index), None)
                if turn is None:
                    raise NotFoundError(f"session {session_id} has no turn {turn_index}")
                name, what = turn.audio_file, f"session {session_id}, turn {turn_index},"
            folder = self.folder_path(row.folder).resolve()
        if not name:
            raise NotFoundError(f"{what} has no recording (a typed call, or silence)")
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            raise NotFoundError(f"{what}: its audio file {name!r} lies outside the session folder")
        if not path.is_file():
            raise NotFoundError(
                f"{what}: the audio file {name} is missing from the session folder "
                "(deleted or moved on the server)"
            )
        return path

    def apply_retention(self, days: int, now: datetime | None = None) -> int:
        """Delete every session (rows and audio) started more than ``days`` days ago."""
        if days < 1:
            raise StoreError(f"retention of {days} days: keep sessions for at least 1 day")
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        with self.database.session() as session:
            ids = session.scalars(
                select(PracticeSession.id).where(PracticeSession.started_at < cutoff)
            ).all()
        for session_id in ids:  # one transaction each: a failure keeps what was done
            self.delete_session(session_id)
        return len(ids)

    def _delete(self, session: Session, row: PracticeSession) -> None:
        folder = self.folder_path(row.folder)
        if folder.resolve() in (self.data_folder, *self.data_folder.parents):
            raise StoreError(
                f"session {row.id}: refusing to delete {folder} (not a session folder)"
            )
        session.delete(row)
        session.flush()
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass  # already gone: the rows were all that was left
        except OSError as error:
            raise StoreError(
                f"{folder}: cannot delete the session's audio ({error.strerror}); "
                "fix the permissions and try again"
            ) from error


def _load(session: Session, session_id: int, viewer: Viewer | None = None) -> PracticeSession:
    row = session.scalars(
        select(PracticeSession)
        .join(User, PracticeSession.trainee_id == User.id)
        .where(PracticeSession.id == session_id, visible_sessions(viewer))
        .options(
            selectinload(PracticeSession.trainee),
            selectinload(PracticeSession.acknowledgements),
            selectinload(PracticeSession.turns).selectinload(Turn.labels),
            selectinload(PracticeSession.turns)
            .selectinload(Turn.annotations)
            .selectinload(Annotation.author),
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no session with id {session_id}; see the session list for valid ids")
    return row


def _conditions(filters: SessionFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.trainee:
        conditions.append(User.name == filters.trainee)
    if filters.team:
        conditions.append(User.team.has(Team.name == filters.team))
    if filters.persona:
        conditions.append(PracticeSession.persona_id == filters.persona)
    if filters.language:
        conditions.append(PracticeSession.language == filters.language)
    if filters.mode:
        conditions.append(PracticeSession.mode == filters.mode)
    if filters.outcome:
        conditions.append(PracticeSession.outcome == filters.outcome)
    if filters.started_from:
        conditions.append(PracticeSession.started_at >= filters.started_from)
    if filters.started_before:
        conditions.append(PracticeSession.started_at < filters.started_before)
    if filters.min_score is not None:
        conditions.append(PracticeSession.overall_score >= filters.min_score)
    if filters.label:
        conditions.append(
            PracticeSession.turns.any(Turn.labels.any(TurnLabel.label == filters.label))
        )
    return conditions


def _turn_dict(turn: Turn) -> dict[str, Any]:
    return {
        "index": turn.index,
        "caller": turn.caller_line,
        "level": turn.level,
        "reply": turn.reply_text,
        "labels": [
            {"label": x.label, "phrase": x.phrase, "start": x.start, "end": x.end}
            for x in turn.labels
        ],
        "apology": turn.apology_kind,
        "question": turn.question_kind,
        "rule": turn.rule,
        "reason": turn.reason,
        "from_level": turn.from_level,
        "to_level": turn.to_level,
        "speaking_s": turn.speaking_s,
        "response_latency_s": turn.response_latency_s,
        "timing": {name: getattr(turn, name) for name in TIMING_FIELDS},
        "audio_file": turn.audio_file,
        "annotations": [
            {
                "id": a.id,
                "author": a.author.name if a.author else a.author_name,
                "comment": a.comment,
                "label_added": a.label_added,
                "label_removed": a.label_removed,
                "created_at": a.created_at,
            }
            for a in turn.annotations
        ],
    }
