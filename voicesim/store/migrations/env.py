"""Alembic's entry point: migrate the connection voicesim hands over, against the models' tables.

voicesim runs migrations in code (``voicesim.store.database.upgrade_database``) with an open
connection in ``config.attributes``; the ``alembic`` command line is supported too, with
``-x url=...`` or ``VOICESIM_DATABASE_URL``, for writing new revisions.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from voicesim.store.database import create_engine, database_url
from voicesim.store.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or database_url()
    engine = create_engine(url)
    try:
        with engine.begin() as own_connection:
            run_on(own_connection)
    finally:
        engine.dispose()


run_migrations()
