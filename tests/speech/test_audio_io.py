"""Sound devices for real: PortAudio through ALSA's pulse plugin to a private PulseAudio daemon.

The daemon's null sink loops playback back to capture, so a line played by ``Player`` comes
back through ``Microphone``. Recorded audio is compared by correlation and alignment, never
by bytes (the path resamples and adds latency).
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import numpy as np
import pytest

from tests.speech.pulse import PulseServer
from tests.speech.speech_helpers import best_lag, espeak_to_audio
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioDeviceError
from voicesim.speech import audio_io
from voicesim.speech.audio_io import Microphone, Player, list_devices, resolve_device

LINE = "Hello, I have been waiting on hold for forty minutes and nobody answers."


@pytest.fixture(scope="module")
def line() -> Audio:
    return espeak_to_audio(LINE)


def _play_and_capture(player: Player, microphone: Microphone, samples: Audio
                      ) -> tuple[Audio, list[float], audio_io.PlaybackResult]:
    """Plays ``samples`` while capturing; returns capture, its frames' times, the result."""
    stamps: list[float] = []
    microphone.tap = lambda stamp, _frame: stamps.append(stamp)
    captured = []
    frames = microphone.frames()
    for _ in range(8):  # let capture settle before the line starts
        captured.append(next(frames))
    playback = player.start(samples)
    playback.wait_started()
    tail_frames = int((len(samples) / SAMPLE_RATE + 0.8) / 0.032)
    captured += [next(frames) for _ in range(tail_frames)]
    return np.concatenate(captured), stamps, playback.wait()


def _assert_came_back(line: Audio, captured: Audio) -> int:
    """Asserts the line is in the capture; returns where it starts (samples).

    Each half second of the line must be found near where the line's start puts it. Checking
    windows, not one correlation over the whole line, keeps a single dropout on a loaded
    machine (it shifts everything after it by a few ms) from failing a sound path that works.
    """
    lag, onset_match = best_lag(line[:SAMPLE_RATE], captured)
    assert onset_match > 0.95, onset_match  # measured 0.99
    window, slack = SAMPLE_RATE // 2, SAMPLE_RATE // 20
    matches = []
    for start in range(0, len(line) - window, window):
        piece = line[start:start + window]
        if np.sqrt(np.mean(piece ** 2)) < 0.01:
            continue  # a pause: nothing to match
        around = captured[max(0, lag + start - slack):lag + start + window + slack]
        matches.append(best_lag(piece, around)[1])
    assert np.median(matches) > 0.95 and min(matches) > 0.5, matches
    return lag


def _capture_time(stamps: list[float], index: int) -> float:
    """Capture time of sample ``index`` of the concatenated frames, from the frame stamps."""
    return stamps[index // 512] + (index % 512) / SAMPLE_RATE


def test_devices_are_listed_and_resolved(pulse_server: PulseServer) -> None:
    devices = list_devices()
    pulse = next(device for device in devices if device.name == "pulse")
    assert pulse.max_input_channels > 0 and pulse.max_output_channels > 0
    assert resolve_device("pulse", "output") == pulse
    assert resolve_device("PULS", "input") == pulse  # part of the name, any case
    assert resolve_device(pulse.index, "input") == pulse
    assert resolve_device(str(pulse.index), "output") == pulse
    default = resolve_device(None, "input")
    assert default.is_default_input


def test_unusable_device_names_give_one_clear_line(pulse_server: PulseServer) -> None:
    with pytest.raises(AudioDeviceError, match=r"no input device is called 'Headset 9000'; "
                                               r"run `voicesim devices` to list them"):
        Microphone("Headset 9000")
    with pytest.raises(AudioDeviceError, match="there is no audio device number 4242"):
        Player(4242)
    names = [device.name for device in list_devices()]
    if {"pulse", "default"} <= set(names):
        with pytest.raises(AudioDeviceError, match="'ul' is ambiguous"):
            resolve_device("ul", "output")  # matches "pulse" and "default"


def test_a_refusing_or_busy_device_names_itself_and_the_fix(
        pulse_server: PulseServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sd = audio_io._sounddevice()

    def busy(*_: Any, **__: Any) -> None:
        raise sd.PortAudioError("Error opening InputStream: Device unavailable [PaErrorCode -9985]")

    monkeypatch.setattr(sd, "InputStream", busy)
    with pytest.raises(AudioDeviceError) as caught:
        Microphone("pulse").open()
    message = str(caught.value)
    assert "input device 'pulse' is busy or unavailable" in message
    assert "`voicesim devices`" in message and "\n" not in message


def test_playback_comes_back_through_capture(pulse_server: PulseServer, line: Audio) -> None:
    player = Player("pulse")
    assert (player.rate, player.channels) == (SAMPLE_RATE, 1)  # the virtual device takes 16 kHz
    with Microphone("pulse") as microphone:
        captured, stamps, result = _play_and_capture(player, microphone, line)
    lag = _assert_came_back(line, captured)
    # The reported time of the first sample matches where the line really is in the capture
    # (measured within 1-3 ms once the daemon has settled).
    assert _capture_time(stamps, lag) == pytest.approx(result.started_s, abs=0.02)
    assert result.completed and result.played_samples == len(line)
    assert result.ended_s - result.started_s == pytest.approx(len(line) / SAMPLE_RATE, abs=0.01)
    assert time.monotonic() >= result.ended_s - 0.05  # wait() returned after the line was heard


def test_a_device_that_refuses_16_khz_gets_converted_audio(
        pulse_server: PulseServer, line: Audio, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend the device only takes 48 kHz stereo: both directions are opened that way for
    # real and must convert on the way.
    monkeypatch.setattr(audio_io, "_open_format", lambda *_: (48_000, 2))
    player = Player("pulse")
    with Microphone("pulse") as microphone:
        assert (microphone.rate, microphone.channels) == (48_000, 2)
        captured, stamps, result = _play_and_capture(player, microphone, line)
    lag = _assert_came_back(line, captured)
    assert _capture_time(stamps, lag) == pytest.approx(result.started_s, abs=0.02)
    assert result.played_samples == len(line)


def test_frames_are_512_samples_and_evenly_stamped(pulse_server: PulseServer) -> None:
    stamps: list[float] = []
    with Microphone("pulse", tap=lambda stamp, _frame: stamps.append(stamp)) as microphone:
        frames = microphone.frames()
        shapes = {next(frames).shape for _ in range(40)}
    assert shapes == {(512,)}
    steps = np.diff(stamps)
    # Callback times jitter by 1-3 ms; the frames' times run on a smoothed continuous clock.
    assert np.abs(steps - 0.032).max() < 0.0005
    assert stamps[-1] == pytest.approx(time.monotonic(), abs=0.5)


def test_skipped_audio_still_reaches_the_tap(pulse_server: PulseServer) -> None:
    stamps: list[float] = []
    with Microphone("pulse", tap=lambda stamp, _frame: stamps.append(stamp)) as microphone:
        time.sleep(0.5)
        microphone.discard_pending()
        skipped = len(stamps)
        next(microphone.frames())
    assert skipped >= 10  # about 15 frames in 0.5 s, none yielded, all recorded
    assert stamps[-1] > stamps[skipped - 1]


def test_a_stalled_microphone_raises_instead_of_hanging(pulse_server: PulseServer) -> None:
    with Microphone("pulse", stall_timeout_s=1.0) as microphone:
        frames = microphone.frames()
        next(frames)
        pulse_server.pactl("suspend-sink", pulse_server.sink, "1")  # its monitor stops too
        try:
            started = time.monotonic()
            with pytest.raises(AudioDeviceError, match="delivered no audio for 1 s"):
                for _ in range(1000):
                    next(frames)
            assert time.monotonic() - started < 10
        finally:
            pulse_server.pactl("suspend-sink", pulse_server.sink, "0")


def test_importing_voicesim_loads_no_sound_library() -> None:
    script = ("import sys, voicesim, voicesim.speech.audio_io, voicesim.practice.live_call, "
              "voicesim.practice.headset, voicesim.speech.recording, voicesim.speech.tts; "
              "print('sounddevice' in sys.modules, 'pyttsx3' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.split() == ["False", "False"]
