"""``--no-save`` on a spoken call: the call runs on a real (virtual) device and leaves nothing
behind, no folder, no recording, no database row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.speech.pulse import PulseServer


def test_no_save_keeps_a_spoken_call_off_the_disk(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "voicesim.cli", "practice", "--persona", "valentine-gift",
         "--seed", "1", "--no-save"],
        env={**os.environ, "PULSE_SERVER": pulse_server.server,
             "VOICESIM_DATA_DIR": str(data_dir)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    seen = []
    while time.monotonic() < deadline:  # wait for the caller's opening line
        line = process.stdout.readline()
        seen.append(line)
        if "level 2/5" in line or not line:
            break
    time.sleep(1.5)  # the line is playing
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    output = "".join(seen) + rest
    assert process.returncode == 0, output
    assert "(call ended by you)" in output and "Scorecard" in output, output
    assert "Session saved" not in output and "session database" not in output, output
    assert not data_dir.exists() or not any(data_dir.rglob("*")), list(data_dir.rglob("*"))
