"""One object for everything stored: ``open_store()`` connects and migrates on first use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicesim.store.batch_jobs import BatchJobRepository
from voicesim.store.database import Database
from voicesim.store.progress import ProgressRepository
from voicesim.store.repository import SessionRepository
from voicesim.store.sign_ins import SignInRepository
from voicesim.store.throttle import SignInThrottleRepository
from voicesim.store.users import UserRepository


@dataclass(frozen=True)
class Store:
    database: Database  # the engine; schema brought up to date on the first query
    sessions: SessionRepository  # practice sessions, turns, annotations, retention
    users: UserRepository  # accounts and passwords
    batch_jobs: BatchJobRepository  # batch scoring jobs and their per-file results
    progress: ProgressRepository  # trainees' records over time, filter choices
    sign_ins: SignInRepository  # who is signed in where (the web app's server-side sessions)
    sign_in_throttle: SignInThrottleRepository  # wrong passwords, shared by every server

    def close(self) -> None:
        self.database.dispose()

    def delete_user(self, name: str) -> int:
        """Remove an account with every session it practised, audio included; returns how
        many sessions went. The database alone would keep the recordings on disk."""
        session_ids = self.sessions.session_ids_of(name)
        for session_id in session_ids:
            self.sessions.delete_session(session_id)
        self.users.delete_user(name)
        return len(session_ids)


def open_store(url: str | None = None, data_folder: Path | None = None) -> Store:
    """The store at ``url`` (default ``VOICESIM_DATABASE_URL`` or SQLite in the data folder)."""
    database = Database(url)
    return Store(
        database,
        SessionRepository(database, data_folder),
        UserRepository(database),
        BatchJobRepository(database, data_folder),
        ProgressRepository(database),
        SignInRepository(database),
        SignInThrottleRepository(database),
    )
