"""The whole live call, for real: espeak caller, PortAudio on PulseAudio, Silero VAD, Whisper.

A scripted trainee (``voice_bot``) listens to the caller and speaks its replies into the
virtual microphone. A good trainee resolves the call; a rude one is hung up on; silence makes
the caller ask if anyone is there; an unusable device is one clear error line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.speech.pulse import PulseServer
from tests.speech.voice_bot import VoiceBot, add_call_sinks
from tests.trainees import PHRASEBOOKS

VOICESIM = [sys.executable, "-m", "voicesim.cli"]


@pytest.fixture(scope="module")
def call_sinks(pulse_server: PulseServer) -> Iterator[PulseServer]:
    streams = add_call_sinks(pulse_server)
    yield pulse_server
    for stream in streams:
        stream.terminate()
        stream.wait(timeout=5)


def good_policy(lang: str) -> object:
    book = PHRASEBOOKS[lang]
    listened = {"count": 0}

    def policy(level: int) -> str:
        if level == 4:
            return str(book["boundary"][0])
        if level == 3:
            return str(book["refocus"][0])
        if level == 1 and listened["count"] >= 2:
            return str(book["next_steps"][0])
        listened["count"] += 1
        return str(book["listen"][(listened["count"] - 1) % len(book["listen"])])

    return policy


def rude_policy(lang: str) -> object:
    rude = PHRASEBOOKS[lang]["rude"]
    said = {"count": 0}

    def policy(level: int) -> str:
        said["count"] += 1
        return str(rude[(said["count"] - 1) % len(rude)])

    return policy


def session_of(data_dir: Path) -> tuple[dict[str, object], Path]:
    files = list((data_dir / "sessions").glob("*/session.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text(encoding="utf-8")), files[0].parent


def run_call(
    server: PulseServer, tmp_path: Path, persona: str, policy: object, voice: str, *extra: str
) -> tuple[int, VoiceBot, dict[str, object], Path]:
    data_dir = tmp_path / "data"
    bot = VoiceBot(
        server,
        [*VOICESIM, "practice", "--persona", persona, "--seed", "1", "--trainee", "bot", *extra],
        {"VOICESIM_DATA_DIR": str(data_dir)},
        policy,
        voice,
        tmp_path,
    )  # type: ignore[arg-type]
    code = bot.run()
    session, folder = session_of(data_dir)
    return code, bot, session, folder


def channel_energy(path: Path) -> tuple[float, float]:
    with wave.open(str(path), "rb") as recording:
        assert recording.getnchannels() == 2 and recording.getframerate() == 16000
        pcm = np.frombuffer(recording.readframes(recording.getnframes()), dtype="<i2")
    stereo = pcm.reshape(-1, 2).astype(np.float32) / 32768.0
    return float(np.sqrt(np.mean(stereo[:, 0] ** 2))), float(np.sqrt(np.mean(stereo[:, 1] ** 2)))


def test_a_good_trainee_resolves_a_spoken_call(call_sinks: PulseServer, tmp_path: Path) -> None:
    code, bot, session, folder = run_call(
        call_sinks, tmp_path, "app-login", good_policy("en"), "en-us"
    )
    transcript = "\n".join(bot.output)
    assert code == 0, transcript
    assert session["outcome"] == "resolved", transcript
    turns = session["turns"]
    assert isinstance(turns, list) and len(turns) >= 2
    heard = " ".join(str(t["reply"]).lower() for t in turns)
    assert "sorry" in heard and "tomorrow" in heard  # Whisper heard the spoken replies
    assert any("next_steps" in t["labels"] for t in turns)
    for turn in turns:
        timing = turn["timing"]
        assert timing["speaking_s"] > 1.0 and timing["words_per_minute"] > 60
        assert (folder / turn["audio_file"]).exists()
    caller_rms, trainee_rms = channel_energy(folder / "call.wav")
    assert caller_rms > 0.01 and trainee_rms > 0.01  # caller left, trainee right


def test_a_rude_trainee_is_hung_up_on(call_sinks: PulseServer, tmp_path: Path) -> None:
    code, bot, session, _ = run_call(
        call_sinks, tmp_path, "valentine-gift", rude_policy("en"), "en-us"
    )
    assert code == 0, "\n".join(bot.output)
    assert session["outcome"] == "hung_up", "\n".join(bot.output)
    labels = {label for t in session["turns"] for label in t["labels"]}  # type: ignore[union-attr]
    assert labels & {"dismissive", "blame_shift", "argue"}


def test_silence_makes_the_caller_ask_and_ctrl_c_keeps_the_session(
    call_sinks: PulseServer, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [
            *VOICESIM,
            "practice",
            "--persona",
            "valentine-gift",
            "--seed",
            "1",
            "--no-speech-timeout-s",
            "2",
        ],
        env={
            **os.environ,
            "PULSE_SERVER": call_sinks.server,
            "PULSE_SINK": "vs_caller",
            "PULSE_SOURCE": "vs_trainee.monitor",
            "VOICESIM_DATA_DIR": str(data_dir),
            "PYTHONFAULTHANDLER": "1",  # a native crash shows every thread's stack
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 90
    sessions = data_dir / "sessions"
    while time.monotonic() < deadline:  # wait until the first (silent) turn is saved
        files = list(sessions.glob("*/session.json")) if sessions.exists() else []
        if files and json.loads(files[0].read_text(encoding="utf-8"))["turns"]:
            break
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    session, folder = session_of(data_dir)
    first = session["turns"][0]  # type: ignore[index]
    assert first["reply"] == "" and first["transition"]["rule"] == "silence", output
    assert "Hello?" in output or "still there" in output.lower(), output
    assert session["outcome"] == "ended" and session["scorecard"], output
    assert (folder / "call.wav").stat().st_size > 44
    assert process.returncode == 0, output


def test_an_unusable_device_is_one_clear_line(call_sinks: PulseServer, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *VOICESIM,
            "practice",
            "--persona",
            "valentine-gift",
            "--output-device",
            "no-such-headset",
        ],
        env={**os.environ, "PULSE_SERVER": call_sinks.server, "VOICESIM_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("voicesim: error: ") and result.stderr.count("\n") == 1, (
        result.stderr
    )
    assert "no-such-headset" in result.stderr and "voicesim devices" in result.stderr
