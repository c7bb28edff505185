"""scripts/soak_web.py, briefly: it starts a real ``voicesim serve``, signs its clients in,
goes round every kind of request and reports no errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_runs_clean() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "soak_web.py"), "--clients", "2", "--seconds", "2",
         "--sessions", "3", "--no-upload", "--json"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == 0 and report["requests"] > 10
    kinds = {row["kind"] for row in report["rows"]}
    assert {"sign-in", "list page", "review page", "audio", "note (API)"} <= kinds
    assert report["peak_rss_mb"] >= report["start_rss_mb"] > 0
