"""The database tables: users and teams, practice sessions with their turns, labels and
trainer annotations, trainee acknowledgements, and batch jobs with their results.

Audio never goes into the database: a session row holds the session folder (relative to the
data folder when it lies inside it) and the audio file names inside that folder. Enums are
stored as checked strings rather than native PostgreSQL enum types, so one migration works
unchanged on SQLite and PostgreSQL.

An id is never handed out twice: a cookie, a link or a note that names a removed account,
session or batch job must never come to name a new one. PostgreSQL's sequences never reuse a
value; SQLite reuses the largest id after its row is deleted unless the table is declared
AUTOINCREMENT, which every table with an id here is (``NEVER_REUSED``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names, so migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Role(StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"
    ADMIN = "admin"


class Mode(StrEnum):
    TEXT = "text"
    VOICE = "voice"


class AckKind(StrEnum):
    """A trainee's answer to a reviewed session."""

    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite itself stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store times with a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def enum_column(enum: type[StrEnum], name: str) -> sa.Enum:
    """A string column checked against the enum's values (not a native enum type)."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


NEVER_REUSED = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JsonType,
    }


# Which teams a trainer leads, besides their own: a trainer reviews the sessions of all of them.
team_trainers = sa.Table(
    "team_trainers",
    Base.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    members: Mapped[list[User]] = relationship(back_populates="team")


class User(Base):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.TRAINEE)
    # NULL for a trainee first seen in an imported session: no login until a password is set.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    team: Mapped[Team | None] = relationship(back_populates="members")
    led_teams: Mapped[list[Team]] = relationship(secondary=team_trainers, order_by="Team.name")


class PracticeSession(Base):
    """One practice call, imported from its session folder (``session.json``)."""

    __tablename__ = "practice_sessions"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    # Relative to the data folder when inside it (so the data folder can move), else absolute.
    folder: Mapped[str] = mapped_column(sa.String(1024), unique=True)
    persona_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    language: Mapped[str] = mapped_column(sa.String(16), index=True)
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    mode: Mapped[Mode] = mapped_column(enum_column(Mode, "mode"))
    seed: Mapped[int | None] = mapped_column(sa.BigInteger)
    trainee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(sa.String(32), index=True)  # resolved, hung_up, ...
    final_level: Mapped[int | None]
    peak_level: Mapped[int | None]
    overall_score: Mapped[int | None] = mapped_column(index=True)  # the scorecard's 0-100
    closing_line: Mapped[str | None] = mapped_column(sa.Text)
    closing_rule: Mapped[str | None] = mapped_column(sa.String(64))
    closing_reason: Mapped[str | None] = mapped_column(sa.Text)
    scorecard: Mapped[dict[str, Any] | None]
    call_audio_file: Mapped[str | None] = mapped_column(sa.String(255))  # e.g. call.wav
    engine: Mapped[str | None] = mapped_column(sa.String(64))  # transcriber of a voice call
    model: Mapped[str | None] = mapped_column(sa.String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    trainee: Mapped[User] = relationship()
    turns: Mapped[list[Turn]] = relationship(
        back_populates="session",
        order_by="Turn.index",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    acknowledgements: Mapped[list[Acknowledgement]] = relationship(
        back_populates="session",
        order_by="Acknowledgement.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Turn(Base):
    """The caller's line, the trainee's reply and what it did to the caller."""

    __tablename__ = "turns"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "index", name="uq_turns_session_index"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int]  # 1-based, as in session.json
    caller_line: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[int]  # the caller's level when saying caller_line
    reply_text: Mapped[str] = mapped_column(sa.Text)
    apology_kind: Mapped[str | None] = mapped_column(sa.String(16))
    question_kind: Mapped[str | None] = mapped_column(sa.String(16))  # open or closed
    rule: Mapped[str] = mapped_column(sa.String(64))  # the staircase rule that fired
    reason: Mapped[str] = mapped_column(sa.Text)
    from_level: Mapped[int]
    to_level: Mapped[int]
    # Timing of a spoken reply; all NULL in text mode.
    response_latency_s: Mapped[float | None]
    speaking_s: Mapped[float | None]
    words_per_minute: Mapped[float | None]
    loudness_dbfs: Mapped[float | None]
    interruptions: Mapped[int | None]
    caller_speaking_s: Mapped[float | None]
    system_latency_s: Mapped[float | None]
    audio_file: Mapped[str | None] = mapped_column(sa.String(255))  # inside the session folder

    session: Mapped[PracticeSession] = relationship(back_populates="turns")
    labels: Mapped[list[TurnLabel]] = relationship(
        back_populates="turn",
        order_by="TurnLabel.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    annotations: Mapped[list[Annotation]] = relationship(
        back_populates="turn",
        order_by="Annotation.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class TurnLabel(Base):
    """One label the scorer gave a reply, with the phrase that earned it."""

    __tablename__ = "turn_labels"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(sa.ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(32), index=True)
    phrase: Mapped[str | None] = mapped_column(sa.Text)  # NULL: a label without evidence
    start: Mapped[int | None]  # character offsets of phrase in the reply
    end: Mapped[int | None]
    apology_kind: Mapped[str | None] = mapped_column(sa.String(16))  # for the apology label

    turn: Mapped[Turn] = relationship(back_populates="labels")


class Annotation(Base):
    """A trainer's note on a turn: a comment and/or a corrected label."""

    __tablename__ = "annotations"
    __table_args__ = (
        sa.CheckConstraint(
            "comment IS NOT NULL OR label_added IS NOT NULL OR label_removed IS NOT NULL",
            name="not_empty",
        ),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(sa.ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    # NULL once the author's account is removed: the note stays, under author_name.
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(sa.String(100))  # as it was when written
    comment: Mapped[str | None] = mapped_column(sa.Text)
    label_added: Mapped[str | None] = mapped_column(sa.String(32))  # the scorer missed it
    label_removed: Mapped[str | None] = mapped_column(sa.String(32))  # the scorer was wrong
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    turn: Mapped[Turn] = relationship(back_populates="annotations")
    author: Mapped[User | None] = relationship()


class Acknowledgement(Base):
    """A trainee's acknowledgement of a reviewed session, or a dispute of one turn or all."""

    __tablename__ = "acknowledgements"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True
    )
    turn_id: Mapped[int | None] = mapped_column(sa.ForeignKey("turns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[AckKind] = mapped_column(enum_column(AckKind, "ack_kind"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    session: Mapped[PracticeSession] = relationship(back_populates="acknowledgements")
    user: Mapped[User] = relationship()


class BatchJob(Base):
    """A batch of uploaded audio files to transcribe and score."""

    __tablename__ = "batch_jobs"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    files_total: Mapped[int] = mapped_column(default=0)
    files_done: Mapped[int] = mapped_column(default=0)  # finished, with or without an error
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language, engine, model...
    error: Mapped[str | None] = mapped_column(sa.Text)  # why the whole job failed
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    results: Mapped[list[BatchResult]] = relationship(
        back_populates="job",
        order_by="BatchResult.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class BatchResult(Base):
    """One file's result: the JSON row ``voicesim batch`` writes (``file``, ``error``...)."""

    __tablename__ = "batch_results"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        sa.ForeignKey("batch_jobs.id", ondelete="CASCADE"), index=True
    )
    file: Mapped[str] = mapped_column(sa.String(1024))
    result: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    job: Mapped[BatchJob] = relationship(back_populates="results")


class SignIn(Base):
    """One signed-in browser or API client. The cookie carries a random token; only its
    sha256 is kept here, so a copy of the database cannot be used to sign in. Deleting the
    row (sign-out, new password or role, removed account) ends the sign-in at once."""

    __tablename__ = "sign_ins"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInThrottle(Base):
    """Wrong passwords counted per key (a name with a client address or a known browser, or a
    name for every unknown browser), shared by every server process on this store. The key is
    kept as its sha256: names and addresses of failed sign-ins are not stored readably."""

    __tablename__ = "sign_in_throttle"

    key_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)  # attempts not (yet) known to be right
    blocked_until: Mapped[datetime | None]  # no attempt on this key before then
    last_failure_at: Mapped[datetime] = mapped_column(index=True)  # old counts are forgotten
