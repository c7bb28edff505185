"""Session and batch-job persistence: SQLite by default, PostgreSQL by URL (SQLAlchemy + Alembic).

Kept import-light: the submodules load SQLAlchemy, this package does not.
"""
