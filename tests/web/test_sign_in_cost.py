"""Signing in costs a bounded amount of memory, however many arrive at once: argon2 takes
64 MiB a check, so a real ``voicesim serve`` checks only a few passwords at a time, off the
event loop, and 40 concurrent sign-ins add at most 300 MB to its peak. On SQLite and
PostgreSQL alike."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.test_serve_command import free_port

ADMIN_PASSWORD = "admin-password-123"


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for process {pid}")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "VOICESIM_DATA_DIR": str(tmp_path / "data"),
           "VOICESIM_DATABASE_URL": database_url, "VOICESIM_ADMIN_PASSWORD": ADMIN_PASSWORD}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "voicesim.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(20)


def test_forty_concurrent_sign_ins_add_at_most_300_mb(server: tuple[str, int]) -> None:
    base, pid = server
    with httpx.Client(base_url=base, timeout=60) as client:  # everything loaded and used once
        assert client.post("/api/login", json={"name": "admin", "password": ADMIN_PASSWORD}
                           ).status_code == 200  # fmt: skip
    before_kb = status_kb(pid, "VmHWM")
    statuses: list[int] = []
    start = threading.Barrier(40)

    def sign_in(n: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            start.wait()
            answer = client.post("/api/login", json={"name": f"nobody-{n}", "password": "guess"})
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    added_mb = (status_kb(pid, "VmHWM") - before_kb) / 1024
    print(f"40 concurrent sign-ins added {added_mb:.0f} MB to the server's peak")
    assert statuses == [401] * 40, statuses
    assert added_mb <= 300, f"40 concurrent sign-ins added {added_mb:.0f} MB to the peak"
