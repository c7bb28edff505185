"""Checking a sign-in: slowed down where guesses come from, bounded in what it costs.

Guesses are counted in the store (``store.sign_in_throttle``, shared by every server
process) where they come from, never for a name alone, so a stranger cannot lock the real
user out (OWASP's "Slow Down Online Guessing Attacks with Device Cookies"):

- A browser that signed in to an account before carries a signed device cookie for it; its
  guesses for that account count against that browser only.
- Any other client counts against the name with its address, and all of them together
  against the name, with more room (a guesser with many addresses slows down unknown
  browsers, never the user's own).

Each counter allows a few failures, then waits that double (30 s up to 15 min). Password
checks (argon2, 64 MiB each) run on a small thread pool of their own, never on the event loop
and never more than ``PASSWORD_CHECKS_AT_ONCE`` at a time: a crowd of sign-ins queues, and
past ``MAX_WAITING`` it is told to come back later.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from voicesim.errors import VoicesimError
from voicesim.store.access import Viewer
from voicesim.store.throttle import Attempt, Counter, Throttled
from voicesim.store.users import PASSWORD_CHECKS_AT_ONCE
from voicesim.web.security import store_of

DEVICE_COOKIE = "voicesim_device"
DEVICE_DAYS = 180  # how long a browser stays known to the account it signed in to
MAX_WAITING = 200  # password checks queued at once before new ones are turned away
T = TypeVar("T")


class TooManyAttempts(VoicesimError):
    """Sign-in refused for now (HTTP 429, with Retry-After)."""

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ServerBusy(VoicesimError):
    """Too many sign-ins waiting for a password check (HTTP 503, with Retry-After)."""


class PasswordChecks:
    """A small pool of threads for argon2, apart from the one that serves pages."""

    def __init__(self, workers: int = PASSWORD_CHECKS_AT_ONCE, max_waiting: int = MAX_WAITING):
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="voicesim-password")
        self._max_waiting = max_waiting
        self._waiting = 0
        self._lock = threading.Lock()

    async def run(self, check: Callable[[], T]) -> T:
        with self._lock:
            if self._waiting >= self._max_waiting:
                raise ServerBusy("too many sign-ins at once: try again in a few seconds")
            self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, check)
        finally:
            with self._lock:
                self._waiting -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _devices(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="voicesim-device")


def known_browser(request: Request, name: str) -> str | None:
    """This browser's id when its device cookie is genuine, recent and for ``name``."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _devices(request).loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("name") != name:
        return None
    device = data.get("device")
    return device if isinstance(device, str) else None


def remember_browser(request: Request, response: Response, name: str) -> None:
    """After a right password: this browser is known to the account from now on."""
    device = known_browser(request, name) or secrets.token_urlsafe(16)
    response.set_cookie(
        DEVICE_COOKIE, _devices(request).dumps({"name": name, "device": device}),
        max_age=DEVICE_DAYS * 86400, httponly=True, samesite="lax",
        secure=request.app.state.settings.secure_cookie,
    )  # fmt: skip


def attempt_for(request: Request, name: str) -> Attempt:
    """The counters a sign-in for ``name`` from this client is checked against."""
    settings = request.app.state.settings
    device = known_browser(request, name)
    if device is not None:
        return Attempt((Counter("browser", f"{name}\0{device}", settings.free_failures),))
    address = request.client.host if request.client else "unknown"
    return Attempt((
        Counter("client", f"{name}\0{address}", settings.free_failures),
        Counter("unknown browsers", name, settings.free_failures_unknown, shared=True),
    ))  # fmt: skip


def _wait_text(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 90 else f"{math.ceil(seconds / 60)} minutes"


def _refusal(name: str, refused: Throttled) -> TooManyAttempts:
    wait = _wait_text(refused.wait_s)
    if refused.scope == "unknown browsers":
        message = (f"too many wrong passwords for {name!r} from browsers it has not signed in "
                   f"with: try again in {wait}, or from a browser you signed in with before, "
                   "or ask an admin to set a new password")  # fmt: skip
    else:
        message = (f"too many wrong passwords for {name!r} from here: try again in {wait}, "
                   "or ask an admin to set a new password")  # fmt: skip
    return TooManyAttempts(message, refused.wait_s)


async def check_sign_in(request: Request, name: str, password: str) -> Viewer | None:
    """The viewer when ``password`` is right, None when wrong; ``TooManyAttempts`` when this
    client must wait. The attempt is counted before the password is checked."""
    store = store_of(request)
    name = name.strip()
    attempt = attempt_for(request, name)
    try:
        await run_in_threadpool(store.sign_in_throttle.claim, attempt)
    except Throttled as refused:
        raise _refusal(name, refused) from None
    checks: PasswordChecks = request.app.state.password_checks
    viewer = await checks.run(lambda: store.users.authenticate(name, password))
    await run_in_threadpool(store.sign_in_throttle.settle, attempt, viewer is not None)
    return viewer
