"""Users, teams, practice sessions, turns, labels, annotations, acknowledgements, batch jobs

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "trainee",
                "trainer",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_index(op.f("ix_users_team_id"), "users", ["team_id"], unique=False)

    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="job_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("files_total", sa.Integer(), nullable=False),
        sa.Column("files_done", sa.Integer(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_batch_jobs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_jobs")),
    )
    op.create_index(op.f("ix_batch_jobs_created_at"), "batch_jobs", ["created_at"], unique=False)
    op.create_index(op.f("ix_batch_jobs_status"), "batch_jobs", ["status"], unique=False)

    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=1024), nullable=False),
        sa.Column("persona_id", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "text", "voice", name="mode", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("final_level", sa.Integer(), nullable=True),
        sa.Column("peak_level", sa.Integer(), nullable=True),
        sa.Column("overall_score", sa.Integer(), nullable=True),
        sa.Column("closing_line", sa.Text(), nullable=True),
        sa.Column("closing_rule", sa.String(length=64), nullable=True),
        sa.Column("closing_reason", sa.Text(), nullable=True),
        sa.Column(
            "scorecard",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("call_audio_file", sa.String(length=255), nullable=True),
        sa.Column("engine", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["users.id"],
            name=op.f("fk_practice_sessions_trainee_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_sessions")),
        sa.UniqueConstraint("folder", name=op.f("uq_practice_sessions_folder")),
    )
    op.create_index(
        op.f("ix_practice_sessions_language"), "practice_sessions", ["language"], unique=False
    )
    op.create_index(
        op.f("ix_practice_sessions_outcome"), "practice_sessions", ["outcome"], unique=False
    )
    op.create_index(
        op.f("ix_practice_sessions_overall_score"),
        "practice_sessions",
        ["overall_score"],
        unique=False,
    )
    op.create_index(
        op.f("ix_practice_sessions_persona_id"), "practice_sessions", ["persona_id"], unique=False
    )
    op.create_index(
        op.f("ix_practice_sessions_started_at"), "practice_sessions", ["started_at"], unique=False
    )
    op.create_index(
        op.f("ix_practice_sessions_trainee_id"), "practice_sessions", ["trainee_id"], unique=False
    )

    op.create_table(
        "batch_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=False),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["batch_jobs.id"],
            name=op.f("fk_batch_results_job_id_batch_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_results")),
    )
    op.create_index(op.f("ix_batch_results_job_id"), "batch_results", ["job_id"], unique=False)

    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("caller_line", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("apology_kind", sa.String(length=16), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_level", sa.Integer(), nullable=False),
        sa.Column("to_level", sa.Integer(), nullable=False),
        sa.Column("response_latency_s", sa.Double(), nullable=True),
        sa.Column("speaking_s", sa.Double(), nullable=True),
        sa.Column("words_per_minute", sa.Double(), nullable=True),
        sa.Column("loudness_dbfs", sa.Double(), nullable=True),
        sa.Column("interruptions", sa.Integer(), nullable=True),
        sa.Column("caller_speaking_s", sa.Double(), nullable=True),
        sa.Column("system_latency_s", sa.Double(), nullable=True),
        sa.Column("audio_file", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_sessions.id"],
            name=op.f("fk_turns_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turns")),
        sa.UniqueConstraint("session_id", "index", name="uq_turns_session_index"),
    )
    op.create_index(op.f("ix_turns_session_id"), "turns", ["session_id"], unique=False)

    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "acknowledged",
                "disputed",
                name="ack_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_sessions.id"],
            name=op.f("fk_acknowledgements_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["turn_id"],
            ["turns.id"],
            name=op.f("fk_acknowledgements_turn_id_turns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_acknowledgements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
    )
    op.create_index(
        op.f("ix_acknowledgements_session_id"), "acknowledgements", ["session_id"], unique=False
    )

    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("label_added", sa.String(length=32), nullable=True),
        sa.Column("label_removed", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "comment IS NOT NULL OR label_added IS NOT NULL OR label_removed IS NOT NULL",
            name=op.f("ck_annotations_not_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_annotations_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name=op.f("fk_annotations_turn_id_turns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
    )
    op.create_index(op.f("ix_annotations_author_id"), "annotations", ["author_id"], unique=False)
    op.create_index(op.f("ix_annotations_turn_id"), "annotations", ["turn_id"], unique=False)

    op.create_table(
        "turn_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=True),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("apology_kind", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name=op.f("fk_turn_labels_turn_id_turns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_labels")),
    )
    op.create_index(op.f("ix_turn_labels_label"), "turn_labels", ["label"], unique=False)
    op.create_index(op.f("ix_turn_labels_turn_id"), "turn_labels", ["turn_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_turn_labels_turn_id"), table_name="turn_labels")
    op.drop_index(op.f("ix_turn_labels_label"), table_name="turn_labels")

    op.drop_table("turn_labels")
    op.drop_index(op.f("ix_annotations_turn_id"), table_name="annotations")
    op.drop_index(op.f("ix_annotations_author_id"), table_name="annotations")

    op.drop_table("annotations")
    op.drop_index(op.f("ix_acknowledgements_session_id"), table_name="acknowledgements")

    op.drop_table("acknowledgements")
    op.drop_index(op.f("ix_turns_session_id"), table_name="turns")

    op.drop_table("turns")
    op.drop_index(op.f("ix_batch_results_job_id"), table_name="batch_results")

    op.drop_table("batch_results")
    op.drop_index(op.f("ix_practice_sessions_trainee_id"), table_name="practice_sessions")
    op.drop_index(op.f("ix_practice_sessions_started_at"), table_name="practice_sessions")
    op.drop_index(op.f("ix_practice_sessions_persona_id"), table_name="practice_sessions")
    op.drop_index(op.f("ix_practice_sessions_overall_score"), table_name="practice_sessions")
    op.drop_index(op.f("ix_practice_sessions_outcome"), table_name="practice_sessions")
    op.drop_index(op.f("ix_practice_sessions_language"), table_name="practice_sessions")

    op.drop_table("practice_sessions")
    op.drop_index(op.f("ix_batch_jobs_status"), table_name="batch_jobs")
    op.drop_index(op.f("ix_batch_jobs_created_at"), table_name="batch_jobs")

    op.drop_table("batch_jobs")
    op.drop_index(op.f("ix_users_team_id"), table_name="users")

    op.drop_table("users")
    op.drop_table("teams")
