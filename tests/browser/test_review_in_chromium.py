"""The review page in a real headless Chromium against a real `voicesim serve`.

A trainer signs in, opens a stored voice session, plays a turn's recording, adds a comment
with a label correction, and checks what the page shows; the page is kept as a screenshot
in test-artifacts/ (or $VOICESIM_TEST_ARTIFACTS). Chromium is Debian's /usr/bin/chromium,
driven by Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.helpers import practice_folder
from voicesim.store.session_folder import SESSION_FILE
from voicesim.store.store import open_store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("VOICESIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
PASSWORD = "trainer-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def speak(text: str, path: Path) -> None:
    """Real espeak-ng speech as the reply's recording."""
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)


def voice_session(tmp_path: Path) -> Path:
    """A real practice call turned into a voice session with spoken replies."""
    folder = practice_folder(tmp_path, trainee="alice")
    document = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
    for turn in document["turns"]:
        name = f"turn-{turn['index']:02d}.wav"
        speak(turn["reply"], folder / name)
        turn["audio_file"] = name
        turn["timing"] = {"response_latency_s": 0.8, "speaking_s": 2.0, "words_per_minute": 150.0,
                          "loudness_dbfs": -20.0, "interruptions": 0, "caller_speaking_s": 4.0,
                          "system_latency_s": 0.3}  # fmt: skip
    speak(" ".join(t["caller"] for t in document["turns"]), folder / "call.wav")
    document.update(mode="voice", audio="call.wav", engine="faster-whisper", model="tiny.en")
    (folder / SESSION_FILE).write_text(json.dumps(document), encoding="utf-8")
    return folder


@pytest.fixture
def server(tmp_path: Path, private_data_dir: Path) -> Iterator[tuple[str, int]]:
    """`voicesim serve` on a free port, with a trainer and alice's stored voice session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser test needs Debian's chromium (scripts/setup.sh)"
        )
    folder = voice_session(tmp_path)
    store = open_store()
    try:
        store.users.add_user("tom", "trainer", PASSWORD, "north")
        store.users.add_user("alice", "trainee", "alice-password", "north")
        session_id = store.sessions.save_session_folder(folder)
    finally:
        store.close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "voicesim.cli", "serve", "--port", str(port)],
        env={**os.environ, "VOICESIM_DATA_DIR": str(private_data_dir)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(
                        f"voicesim serve exited: {process.stdout.read() if process.stdout else ''}"
                    )
                time.sleep(0.2)
        else:
            pytest.fail("voicesim serve did not start listening within 30 s")
        yield f"http://127.0.0.1:{port}", session_id
    finally:
        process.terminate()
        process.wait(10)


def test_a_trainer_reviews_a_voice_session_in_chromium(server: tuple[str, int]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, session_id = server
    artifacts = Path(os.environ.get("VOICESIM_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        # Not signed in: the review sends us to the sign-in form and back.
        page.goto(f"{base}/sessions/{session_id}")
        expect(page).to_have_url(f"{base}/login?next=%2Fsessions%2F{session_id}")
        page.fill("input[name=name]", "tom")
        page.fill("input[name=password]", "wrong password")
        page.click("button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("Wrong name or password")
        assert any("401" in p for p in problems)  # the refused sign-in, as HTTP says
        problems.clear()
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/sessions/{session_id}")

        # What the review shows: who, the outcome, the chart, the highlighted evidence.
        expect(page.locator("h1")).to_contain_text("Valentine")
        expect(page.locator(".sub").first).to_contain_text("alice")
        assert page.locator("svg.staircase circle").count() == 3  # the opening and two replies
        first = page.locator("#turn-1")
        expect(first.locator("mark[data-labels~=apology]")).to_have_text("sorry")
        expect(first.locator("mark[data-labels~=question]")).to_have_text("What happened")
        expect(page.locator("#turn-2 mark[data-labels~=dismissive]").first).to_be_visible()
        expect(page.locator("#timings")).to_contain_text("150")
        expect(page.locator("#scorecard")).to_contain_text("Coaching tips")

        # The whole call's recording loads; a turn's reply plays from its button.
        call_seconds = page.eval_on_selector(
            "#call-audio",
            "a => new Promise(ok => a.readyState >= 1 ? ok(a.duration)"
            " : a.addEventListener('loadedmetadata', () => ok(a.duration)))",
        )
        assert call_seconds > 1.0
        play = first.locator("button.play")
        play.click()
        expect(play).to_have_attribute("data-state", "playing", timeout=10_000)
        expect(play).to_have_attribute("data-state", "ended", timeout=20_000)

        # A comment with a label correction, shown on the turn with the trainer's name.
        first.locator("summary").click()
        first.locator("textarea[name=comment]").fill("Good start: name what went wrong next time.")
        first.locator("select[name=label_added]").select_option("empathy")
        first.locator("button[type=submit]").click()
        expect(page).to_have_url(f"{base}/sessions/{session_id}#turn-1")
        note = page.locator("#turn-1 .note")
        expect(note).to_contain_text("Good start: name what went wrong next time.")
        expect(note).to_contain_text("tom")
        expect(page.locator("#turn-1 .chip[data-label=empathy]")).to_have_attribute(
            "data-state", "added"
        )
        page.screenshot(path=str(artifacts / "review-page.png"), full_page=True)

        # The session list shows the call to this trainer.
        page.goto(f"{base}/sessions")
        expect(page.locator("#sessions tbody tr")).to_have_count(1)
        browser.close()
    assert (artifacts / "review-page.png").stat().st_size > 20_000
    assert not problems, f"errors in the browser console: {problems}"
