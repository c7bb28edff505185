"""Trainers' notes outlive the trainer's account: author kept by name, link set NULL

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_annotations_author_id_users"


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("author_name", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE annotations SET author_name = "
        "(SELECT users.name FROM users WHERE users.id = annotations.author_id)"
    )
    with op.batch_alter_table("annotations") as batch:
        batch.alter_column("author_name", existing_type=sa.String(length=100), nullable=False)
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(FK, "users", ["author_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    op.execute("DELETE FROM annotations WHERE author_id IS NULL")
    with op.batch_alter_table("annotations") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(FK, "users", ["author_id"], ["id"], ondelete="CASCADE")
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("author_name")
