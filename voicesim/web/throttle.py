"""Slowing down password guessing: after a few wrong passwords for one name, that name is
refused for a while, whoever asks. Kept in memory: a restart forgets, which is fine for the
minutes it protects, and nothing about failed sign-ins lands on disk."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from voicesim.errors import VoicesimError


class TooManyAttempts(VoicesimError):
    """Sign-in refused for now (HTTP 429)."""


class SignInThrottle:
    def __init__(self, max_failures: int = 5, window_s: float = 900.0):
        self.max_failures = max_failures  # wrong passwords allowed per name in the window
        self.window_s = window_s  # how far back failures count
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        """Raise ``TooManyAttempts`` while ``name`` has too many recent failures."""
        key = name.strip().lower()
        with self._lock:
            recent = self._recent(key)
            if len(recent) < self.max_failures:
                return
            wait_s = recent[0] + self.window_s - time.monotonic()
        minutes = max(1, math.ceil(wait_s / 60))
        raise TooManyAttempts(
            f"too many wrong passwords for {name.strip()!r}: try again in {minutes} minute(s), "
            "or ask an admin to set a new password"
        )

    def failed(self, name: str) -> None:
        with self._lock:
            self._recent(name.strip().lower()).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.strip().lower(), None)

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        cutoff = time.monotonic() - self.window_s
        while times and times[0] < cutoff:
            times.popleft()
        return times
