"""Trainee, trainer and admin accounts, with argon2 password hashes (argon2-cffi).

A new password, a new role or a removed account ends every sign-in of that account in the
same transaction as the change. Hashing is memory-hard on purpose (64 MiB a hash), so at most
``PASSWORD_CHECKS_AT_ONCE`` run at a time in this process, whoever asks: a crowd of sign-ins
waits its turn instead of adding 64 MiB each.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from voicesim.errors import NotFoundError, StoreError
from voicesim.store.access import Viewer, viewer_of
from voicesim.store.database import Database
from voicesim.store.models import Role, Team, User
from voicesim.store.sign_ins import end_sign_ins_of

MIN_PASSWORD_LENGTH = 8
PASSWORD_CHECKS_AT_ONCE = 2  # argon2 hashes at once in this process: 2 x 64 MiB at most
_hasher = PasswordHasher()
_hash_slots = threading.BoundedSemaphore(PASSWORD_CHECKS_AT_ONCE)
# Verified against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("voicesim-no-such-user")


@contextmanager
def _hashing() -> Iterator[None]:
    with _hash_slots:
        yield


def hash_password(password: str) -> str:
    with _hashing():
        return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    with _hashing():
        try:
            return bool(_hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise StoreError(f"unknown role {role!r}; use one of: {valid}") from None


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def _existing(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise NotFoundError(f"no user named {name!r}; see `voicesim users list`")
    return user


def team_named(session: Session, name: str) -> Team:
    team = session.scalars(select(Team).where(Team.name == name)).one_or_none()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


@dataclass(frozen=True)
class Account:
    """One row of the account list."""

    id: int
    name: str
    role: Role
    team: str | None  # the team they belong to
    leads: tuple[str, ...]  # the other teams a trainer reviews
    can_sign_in: bool  # has a password


def check_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StoreError(
            f"user {name!r}: the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )


class UserRepository:
    """Accounts: add, list, verify a password, change one, remove an account."""

    def __init__(self, database: Database):
        self.database = database

    def add_user(
        self,
        name: str,
        role: str,
        password: str,
        team: str | None = None,
        leads: Sequence[str] = (),
    ) -> int:
        """Create an account; a trainee first seen in an imported session gets its login here.

        ``leads`` names the teams a trainer reviews besides their own ``team``."""
        name = name.strip()
        if not name:
            raise StoreError("a user name cannot be empty")
        check_password(name, password)
        parsed_role = parse_role(role)
        if leads and parsed_role is not Role.TRAINER:
            raise StoreError(f"user {name!r}: only a trainer leads teams (--leads)")
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
            user.password_hash = hash_password(password)
            user.team = team_named(session, team) if team else None
            user.led_teams = [team_named(session, led) for led in dict.fromkeys(leads)]
            session.flush()
            return user.id

    def set_password(self, name: str, password: str) -> None:
        """A new password; every sign-in of the account ends with the old one."""
        check_password(name, password)
        new_hash = hash_password(password)
        with self.database.session() as session:
            user = _existing(session, name)
            user.password_hash = new_hash
            end_sign_ins_of(session, user.id)

    def set_role(self, name: str, role: str) -> None:
        """A new role; every sign-in of the account ends, so nothing runs on the old one.
        Only trainers lead teams: another role drops the teams led."""
        parsed_role = parse_role(role)
        with self.database.session() as session:
            user = _existing(session, name)
            user.role = parsed_role
            if parsed_role is not Role.TRAINER:
                user.led_teams = []
            end_sign_ins_of(session, user.id)

    def delete_user(self, name: str) -> None:
        """Remove an account and its sign-ins; ``Store.delete_user`` removes its sessions'
        audio first."""
        with self.database.session() as session:
            user = _existing(session, name)
            end_sign_ins_of(session, user.id)
            session.delete(user)

    def authenticate(self, name: str, password: str) -> Viewer | None:
        """The signed-in viewer, or None for a wrong name or password (same time for both)."""
        if not self.verify_password(name, password):
            return None
        with self.database.session() as session:
            return viewer_of(session, _existing(session, name))

    def has_login(self) -> bool:
        """Whether any account can sign in (a fresh install has none)."""
        with self.database.session() as session:
            return (
                session.scalar(select(User.id).where(User.password_hash.is_not(None)).limit(1))
                is not None
            )

    def accounts(self) -> list[Account]:
        with self.database.session() as session:
            users = session.scalars(select(User).order_by(User.name)).all()
            return [
                Account(
                    id=u.id,
                    name=u.name,
                    role=Role(u.role),
                    team=u.team.name if u.team else None,
                    leads=tuple(t.name for t in u.led_teams),
                    can_sign_in=u.password_hash is not None,
                )
                for u in users
            ]

    def verify_password(self, name: str, password: str) -> bool:
        with self.database.session() as session:
            user = find_user(session, name)
            stored = user.password_hash if user else None
        # Outside the transaction: the hash takes a while and must not hold the database.
        if not _verify(stored or _DUMMY_HASH, password) or user is None or stored is None:
            return False
        if _hasher.check_needs_rehash(stored):  # parameters got stronger since
            new_hash = hash_password(password)
            with self.database.session() as session:
                found = find_user(session, name)
                if found is not None and found.password_hash == stored:
                    found.password_hash = new_hash
        return True
