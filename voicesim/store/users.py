"""Trainee, trainer and admin accounts, with argon2 password hashes (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from voicesim.errors import StoreError
from voicesim.store.database import Database
from voicesim.store.models import Role, Team, User

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("voicesim-no-such-user")


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise StoreError(f"unknown role {role!r}; use one of: {valid}") from None


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def team_named(session: Session, name: str) -> Team:
    team = session.scalars(select(Team).where(Team.name == name)).one_or_none()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


class UserRepository:
    """Accounts: add, list, verify a password."""

    def __init__(self, database: Database):
        self.database = database

    def add_user(self, name: str, role: str, password: str, team: str | None = None) -> int:
        """Create an account; a trainee first seen in an imported session gets its login here."""
        name = name.strip()
        if not name:
            raise StoreError("a user name cannot be empty")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise StoreError(
                f"user {name!r}: the password must have at least {MIN_PASSWORD_LENGTH} characters"
            )
        parsed_role = parse_role(role)
        with self.database.session() as session:
            user = find_user(session, name)
            if user is not None and user.password_hash is not None:
                raise StoreError(
                    f"user {name!r} already exists; pick another name or remove the old account"
                )
            if user is None:
                user = User(name=name)
                session.add(user)
            user.role = parsed_role
            user.password_hash = _hasher.hash(password)
            user.team = team_named(session, team) if team else None
            session.flush()
            return user.id

    def verify_password(self, name: str, password: str) -> bool:
        with self.database.session() as session:
            user = find_user(session, name)
            stored = user.password_hash if user else None
            try:
                _hasher.verify(stored or _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                return False
            if user is None or stored is None:
                return False
            if _hasher.check_needs_rehash(stored):  # parameters got stronger since
                user.password_hash = _hasher.hash(password)
            return True

    def list_users(self) -> list[tuple[str, Role, str | None, bool]]:
        """(name, role, team, has a password) for every account, by name."""
        with self.database.session() as session:
            users = session.scalars(select(User).order_by(User.name)).all()
            return [
                (u.name, u.role, u.team.name if u.team else None, u.password_hash is not None)
                for u in users
            ]
