"""`voicesim serve` on its defaults, as a newcomer meets it after the demo: the first start
makes an admin account and prints its password once; with it, the demo calls can be read."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from voicesim.cli import main


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_first_start_makes_an_admin_who_sees_the_demo_calls(private_data_dir: Path) -> None:
    assert main(["demo"]) == 0  # two calls, saved and stored, as setup leaves them
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "VOICESIM_ADMIN_PASSWORD"}
    process = subprocess.Popen(
        [sys.executable, "-m", "voicesim.cli", "serve", "--port", str(port)],
        env={**env, "VOICESIM_DATA_DIR": str(private_data_dir), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        printed = ""
        deadline = time.monotonic() + 30
        while "Ctrl-C stops it" not in printed and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            printed += line
        found = re.search(r"name: admin\n\s+password: (\S+)", printed)
        assert found, printed
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(50):
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert client.get("/api/sessions").status_code == 401
            wrong = client.post("/api/login", json={"name": "admin", "password": "guess"})
            assert wrong.status_code == 401 and wrong.json() == {"detail": "wrong name or password"}
            me = client.post("/api/login", json={"name": "admin", "password": found.group(1)})
            assert me.status_code == 200 and me.json()["role"] == "admin"
            sessions = client.get("/api/sessions").json()
            assert sessions["total"] == 2
            assert {s["trainee"] for s in sessions["items"]} == {"demo-listener", "demo-arguer"}
            assert {s["outcome"] for s in sessions["items"]} == {"resolved", "hung_up"}
            review = client.get(f"/sessions/{sessions['items'][0]['id']}")
            assert review.status_code == 200 and "Scorecard" in review.text
    finally:
        process.terminate()
        process.wait(10)
    # A bad flag is one clear line, not a traceback.
    again = subprocess.run(
        [sys.executable, "-m", "voicesim.cli", "serve", "--port", "not-a-port"],
        env={**env, "VOICESIM_DATA_DIR": str(private_data_dir)}, capture_output=True, text=True,
    )  # fmt: skip
    assert again.returncode == 2 and "'not-a-port' is not a port number" in again.stderr


def test_a_port_in_use_is_one_clear_line(private_data_dir: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "voicesim.cli", "serve", "--port", str(port)],
            env={**os.environ, "VOICESIM_DATA_DIR": str(private_data_dir)},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"voicesim: error: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "is voicesim serve already running? pick another port with --port"
    )
