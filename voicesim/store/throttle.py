"""The sign-in throttle, kept in the store so every server process shares it.

Each attempt is checked against a few counters at once (``Attempt``): for example the name
with the client's address, and the name for every browser not known to the account. An
attempt is counted as a failure *before* its password is checked, in one transaction that
first takes the counters' rows (SQLite: the write lock; PostgreSQL: ``SELECT ... FOR
UPDATE``): so concurrent guesses cannot all pass the check before any is counted. A right
password takes its count back (``settle``). After a counter's free failures, each further
failure closes it for twice as long as the last (30 s, 1 min, 2 min ... at most 15 min), and
a counter left alone for a day is forgotten: growing waits, never a lock that a stranger can
keep shut.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from voicesim.store.database import Database
from voicesim.store.models import SignInThrottle, utc_now

FIRST_WAIT_S = 30  # after the free failures, the first wait
LONGEST_WAIT_S = 15 * 60  # waits double up to this
FORGET_AFTER = timedelta(days=1)  # a counter with no failure for this long starts again
PURGE_EVERY = 500  # attempts between sweeps of forgotten counters (guesses at many names add rows)


class Counter(NamedTuple):
    """One count an attempt is checked against and counted in."""

    scope: str  # what it counts, e.g. "client" (a name from one address or browser)
    key: str  # which one, e.g. "alice@203.0.113.9"; stored only as its sha256
    free_failures: int  # failures allowed before the first wait
    shared: bool = False  # counts many clients: a right password only takes its own try back


@dataclass(frozen=True)
class Attempt:
    keys: tuple[Counter | tuple[str, str, int], ...]

    @property
    def counters(self) -> list[Counter]:
        return [Counter(*key) for key in self.keys]


class Throttled(Exception):
    """Refused for now: ``wait_s`` seconds until the counter ``scope`` opens again."""

    def __init__(self, wait_s: int, scope: str):
        super().__init__(f"sign-in refused for {wait_s} s ({scope})")
        self.wait_s = wait_s
        self.scope = scope


def wait_after(failures: int, free_failures: int) -> int:
    """Seconds closed after the given number of failures (0 while some are still free)."""
    if failures < free_failures:
        return 0
    return int(min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** min(failures - free_failures, 16)))


def _digest(counter: Counter) -> str:
    return hashlib.sha256(f"{counter.scope}\0{counter.key}".encode("utf-8", "surrogatepass")).hexdigest()


class SignInThrottleRepository:
    def __init__(self, database: Database):
        self.database = database
        self._claims = itertools.count(1)

    def claim(self, attempt: Attempt, now: datetime | None = None) -> None:
        """Count this attempt as a failure on every counter, or raise ``Throttled`` (and count
        nothing) while one of them is closed."""
        now = now or utc_now()
        if next(self._claims) % PURGE_EVERY == 0:
            self.purge(now)
        counters = {_digest(c): c for c in attempt.counters}
        with self.database.session() as session:
            rows = self._locked_rows(session, sorted(counters), now)
            closed = [(row.blocked_until, counters[row.key_sha256].scope) for row in rows
                      if row.blocked_until is not None and row.blocked_until > now
                      and row.last_failure_at > now - FORGET_AFTER]  # fmt: skip
            if closed:
                until, scope = max(closed, key=lambda item: item[0])
                raise Throttled(math.ceil((until - now).total_seconds()), scope)
            for row in rows:
                if row.last_failure_at <= now - FORGET_AFTER:
                    row.failures = 0
                row.failures += 1
                row.last_failure_at = now
                wait_s = wait_after(row.failures, counters[row.key_sha256].free_failures)
                row.blocked_until = now + timedelta(seconds=wait_s) if wait_s else None

    def settle(self, attempt: Attempt, succeeded: bool, now: datetime | None = None) -> None:
        """After the password check: a right password takes the attempt's count back (and
        clears a client's own counter); a wrong one stays counted."""
        if not succeeded:
            return
        now = now or utc_now()
        counters = {_digest(c): c for c in attempt.counters}
        with self.database.session() as session:
            for row in self._locked_rows(session, sorted(counters), now):
                counter = counters[row.key_sha256]
                if not counter.shared:
                    session.delete(row)
                    continue
                row.failures = max(0, row.failures - 1)
                if not wait_after(row.failures, counter.free_failures):
                    row.blocked_until = None

    def purge(self, now: datetime | None = None) -> int:
        """Forget counters with no recent failure that are not closed; returns how many."""
        now = now or utc_now()
        with self.database.session() as session:
            result = session.execute(
                delete(SignInThrottle).where(
                    SignInThrottle.last_failure_at <= now - FORGET_AFTER,
                    or_(SignInThrottle.blocked_until.is_(None),
                        SignInThrottle.blocked_until <= now),
                )
            )  # fmt: skip
            return int(getattr(result, "rowcount", 0) or 0)

    def _locked_rows(self, session: Session, digests: list[str], now: datetime) -> list[SignInThrottle]:
        """The counters' rows, made if missing, held until the transaction ends. The INSERT
        comes first: on SQLite it takes the database's write lock, so a second attempt waits
        here until the first has counted; on PostgreSQL the rows are locked in key order."""
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = [{"key_sha256": d, "failures": 0, "last_failure_at": now} for d in digests]
        session.execute(insert(SignInThrottle).values(rows).on_conflict_do_nothing(
            index_elements=["key_sha256"]))  # fmt: skip
        found = session.scalars(
            select(SignInThrottle)
            .where(SignInThrottle.key_sha256.in_(digests))
            .order_by(SignInThrottle.key_sha256)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        return list(found)
