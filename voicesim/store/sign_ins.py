"""Server-side sign-ins: the cookie carries a random token, the store its sha256 and whose it is.

A sign-in ends when its row goes: at sign-out, when it expires, and for every sign-in of an
account at once when its password or role changes or it is removed (``UserRepository`` does
that in the same transaction as the change). Only a hash is stored, so someone who reads the
database (or a backup of it) learns no token that would sign them in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from voicesim.store.access import Viewer, viewer_of
from voicesim.store.database import Database
from voicesim.store.models import SignIn, User, utc_now

TOKEN_BYTES = 32  # 256 random bits, URL-safe in the cookie


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def end_sign_ins_of(session: Session, user_id: int) -> None:
    """Every sign-in of one account ends (inside the caller's transaction)."""
    session.execute(delete(SignIn).where(SignIn.user_id == user_id))


class SignInRepository:
    def __init__(self, database: Database):
        self.database = database

    def start(self, user_id: int, lifetime_s: float, now: datetime | None = None) -> str:
        """A new sign-in for the account; returns the token for the cookie (shown only here)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        started = now or utc_now()
        with self.database.session() as session:
            session.execute(delete(SignIn).where(SignIn.expires_at <= started))  # tidy as we go
            session.add(SignIn(token_sha256=token_hash(token), user_id=user_id,
                               created_at=started,
                               expires_at=started + timedelta(seconds=lifetime_s)))  # fmt: skip
        return token

    def viewer(self, token: str, now: datetime | None = None) -> Viewer | None:
        """Who this token signs in now; None when it is unknown, ended or expired, or the
        account can no longer sign in."""
        if not token or len(token) > 200:
            return None
        with self.database.session() as session:
            found = session.execute(
                select(SignIn.expires_at, User)
                .join(User, SignIn.user_id == User.id)
                .where(SignIn.token_sha256 == token_hash(token))
            ).one_or_none()
            if found is None:
                return None
            expires_at, user = found
            if expires_at <= (now or utc_now()) or user.password_hash is None:
                return None
            return viewer_of(session, user)

    def end(self, token: str) -> None:
        """Sign-out: this token stops working, on every copy of the cookie."""
        with self.database.session() as session:
            session.execute(delete(SignIn).where(SignIn.token_sha256 == token_hash(token)))

    def end_all(self, user_id: int) -> None:
        with self.database.session() as session:
            end_sign_ins_of(session, user_id)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete sign-ins past their lifetime; returns how many went."""
        with self.database.session() as session:
            result = session.execute(delete(SignIn).where(SignIn.expires_at <= (now or utc_now())))
            return int(getattr(result, "rowcount", 0) or 0)

    def end_every_sign_in(self) -> int:
        """Everyone signs in again (after a restore: a backup's sign-ins must not come back)."""
        with self.database.session() as session:
            result = session.execute(delete(SignIn))
            return int(getattr(result, "rowcount", 0) or 0)
