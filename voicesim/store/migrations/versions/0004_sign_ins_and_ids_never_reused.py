"""Server-side sign-ins, a shared sign-in throttle, and ids that are never reused

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

SQLite hands out the largest id again once its row is deleted, unless the table is declared
AUTOINCREMENT; a table cannot be altered into that, so on SQLite every table with an id is
rebuilt (rows, indexes, keys and constraints kept; ``database._migrate`` switches foreign keys
off around migrations, as SQLite's own procedure for rebuilding a table asks). PostgreSQL's
sequences never reuse an id: nothing to do there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents before children, so each rebuilt table's references already point at a rebuilt one.
TABLES_WITH_IDS = (
    "teams", "users", "practice_sessions", "turns", "turn_labels", "annotations",
    "acknowledgements", "batch_jobs", "batch_results",
)  # fmt: skip


def _rebuild_with_autoincrement(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES_WITH_IDS:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild_with_autoincrement(True)
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_ins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_sign_ins_token_sha256")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_sign_ins_user_id"), "sign_ins", ["user_id"], unique=False)
    op.create_index(op.f("ix_sign_ins_expires_at"), "sign_ins", ["expires_at"], unique=False)
    op.create_table(
        "sign_in_throttle",
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_sha256", name=op.f("pk_sign_in_throttle")),
    )
    op.create_index(
        op.f("ix_sign_in_throttle_last_failure_at"), "sign_in_throttle", ["last_failure_at"],
        unique=False,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_throttle_last_failure_at"), table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
    op.drop_index(op.f("ix_sign_ins_expires_at"), table_name="sign_ins")
    op.drop_index(op.f("ix_sign_ins_user_id"), table_name="sign_ins")
    op.drop_table("sign_ins")
    _rebuild_with_autoincrement(False)
