"""The stereo call recording: caller left, trainee right, lined up on one clock, never lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.speech.pulse import PulseServer
from tests.speech.speech_helpers import best_lag, espeak_to_audio
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioError
from voicesim.speech.audio_io import Microphone, Player
from voicesim.speech.recording import CallRecorder, read_recording

QUANTUM = 1 / 32767  # one 16-bit step


def _tone(frequency: float, seconds: float, level: float = 0.5) -> Audio:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def test_each_party_lands_on_its_channel_at_its_time(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    caller = _tone(220, 1.0)
    trainee = _tone(330, 1.5, level=0.3)
    with CallRecorder(path, origin_s=100.0) as recorder:
        recorder.add_caller(caller, at_s=100.5)
        # The microphone delivers 32 ms frames, each with its own time.
        for index in range(0, len(trainee), 512):
            recorder.add_trainee(trainee[index:index + 512], at_s=101.0 + index / SAMPLE_RATE)
    with wave.open(str(path), "rb") as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (2, 2, 16000)
    left, right, rate = read_recording(path)
    assert rate == SAMPLE_RATE and len(left) == len(right) == round(2.5 * SAMPLE_RATE)
    start_caller, start_trainee = round(0.5 * SAMPLE_RATE), SAMPLE_RATE
    assert np.allclose(left[start_caller:start_caller + len(caller)], caller, atol=2 * QUANTUM)
    assert np.allclose(right[start_trainee:], trainee, atol=2 * QUANTUM)
    assert not left[:start_caller].any() and not left[start_caller + len(caller):].any()
    assert not right[:start_trainee].any()


def test_overlap_keeps_the_other_channel_and_early_audio_is_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    recorder = CallRecorder(path, origin_s=10.0)
    recorder.add_trainee(np.full(16000, 0.25, np.float32), at_s=10.0)
    recorder.add_caller(np.full(8000, -0.5, np.float32), at_s=10.25)  # overtalk
    recorder.add_caller(np.full(3200, 0.1, np.float32), at_s=9.9)  # 0.1 s before the origin
    left, right, _ = read_recording(path)  # readable while still open
    recorder.close()
    assert np.allclose(right[:16000], 0.25, atol=QUANTUM)  # untouched by the caller's writes
    assert np.allclose(left[:1600], 0.1, atol=QUANTUM) and not left[1600:4000].any()
    assert np.allclose(left[4000:12000], -0.5, atol=QUANTUM)
    with pytest.raises(AudioError, match="already closed"):
        recorder.add_caller(np.ones(10, np.float32), at_s=11.0)


def test_jittery_frame_times_still_give_a_gapless_channel(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    speech = _tone(180, 2.0)
    jitter = np.random.default_rng(3).uniform(-0.002, 0.002, size=len(speech) // 512 + 1)
    with CallRecorder(path, origin_s=0.0) as recorder:
        for number, index in enumerate(range(0, len(speech), 512)):
            recorder.add_trainee(speech[index:index + 512], at_s=1.0 + index / SAMPLE_RATE
                                 + jitter[number])
    _, right, _ = read_recording(path)
    start = round((1.0 + jitter[0]) * SAMPLE_RATE)
    assert np.allclose(right[start:start + len(speech)], speech, atol=2 * QUANTUM)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_call_keeps_what_was_recorded(tmp_path: Path, stop: signal.Signals) -> None:
    path = tmp_path / "call.wav"
    script = textwrap.dedent(f"""
        import time
        import numpy as np
        from voicesim.speech.recording import CallRecorder
        with CallRecorder({str(path)!r}, origin_s=0.0) as recorder:
            for index in range(100000):
                recorder.add_trainee(np.full(512, 0.2, np.float32), at_s=index * 0.032)
                if index == 50:
                    print("recording", flush=True)
                time.sleep(0.002)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "recording"
    time.sleep(0.1)
    process.send_signal(stop)
    process.wait(timeout=20)
    process.stdout.close()
    left, right, _ = read_recording(path)  # a valid WAV: header matches the data
    assert len(right) >= 51 * 512
    assert np.allclose(right, 0.2, atol=QUANTUM) and not left.any()
    assert path.stat().st_size == 44 + 4 * len(right)


def test_unwritable_and_unreadable_files_give_one_line_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(AudioError, match=r"cannot write the call recording .*not-a-folder"):
        CallRecorder(blocker / "call.wav")
    mono = tmp_path / "mono.wav"
    with wave.open(str(mono), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16000)
        clip.writeframes(b"\0\0" * 100)
    with pytest.raises(AudioError, match="is not a stereo 16-bit call recording"):
        read_recording(mono)


def test_channels_line_up_on_a_real_device(pulse_server: PulseServer, tmp_path: Path) -> None:
    # The caller's line goes out through the player and comes back through the loopback
    # microphone: in the recording the right channel must hold the same line at the same time.
    line = espeak_to_audio("You people never call back when you promise to.")
    path = tmp_path / "call.wav"
    with CallRecorder(path) as recorder, Microphone(
            "pulse", tap=lambda stamp, frame: recorder.add_trainee(frame, stamp)) as microphone:
        frames = microphone.frames()
        for _ in range(10):
            next(frames)
        playback = Player("pulse").start(line)
        recorder.add_caller(line, playback.wait_started())
        for _ in range(int((len(line) / SAMPLE_RATE + 0.5) / 0.032)):
            next(frames)
        playback.wait()
    left, right, _ = read_recording(path)
    caller_at, caller_match = best_lag(line, left)
    trainee_at, trainee_match = best_lag(line[:SAMPLE_RATE], right)
    assert caller_match > 0.99 and trainee_match > 0.95
    # Measured 0-3 ms apart once the daemon has settled.
    assert abs(trainee_at - caller_at) / SAMPLE_RATE < 0.02
