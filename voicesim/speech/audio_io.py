"""Sound devices through sounddevice (PortAudio): list, resolve, play caller lines, capture the mic.

Conversion happens here, at the edge (house rule 2): the program hands over and receives float32
mono 16 kHz; a device that refuses 16 kHz (or mono) is opened at its own rate and channel count
and the audio is converted on the way.

Timing matters for the call recording and for interruption detection, so both directions report
times on one clock, ``time.monotonic()``: PortAudio's callback gives the DAC/ADC time of each
buffer on the stream's own clock, and the callback also sees that clock's "now", so the offset to
the monotonic clock is measured in every callback.

sounddevice is imported inside the functions: ``import voicesim`` must not load PortAudio, and a
machine without a sound card must still run the text mode and batch scoring.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioDeviceError, AudioError
from voicesim.speech.resample import StreamResampler, resample

DeviceKind = Literal["input", "output"]
FRAME_SAMPLES = 512  # one VAD frame: 32 ms at 16 kHz
_REANCHOR_S = 0.05  # capture times further than this from the running clock mean lost audio
_DRIFT_GAIN = 0.01  # share of each block's timing disagreement the running clock follows
_LIST_HINT = "run `voicesim devices` to list them"


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device."""

    index: int  # PortAudio's device number (valid until devices change)
    name: str  # e.g. "pulse" or "USB Headset: Audio (hw:1,0)"
    host_api: str  # e.g. "ALSA"
    max_input_channels: int  # 0 for a pure output
    max_output_channels: int  # 0 for a pure input
    default_samplerate: float  # the rate the device prefers
    is_default_input: bool  # PortAudio's default capture device
    is_default_output: bool  # PortAudio's default playback device

    def channels(self, kind: DeviceKind) -> int:
        return self.max_input_channels if kind == "input" else self.max_output_channels


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as error:  # the Python package is there, the PortAudio library is not
        raise AudioDeviceError(f"PortAudio is not installed ({error}); install it "
                               "(Debian: `sudo apt-get install libportaudio2`)") from error
    except ImportError as error:
        raise AudioDeviceError("sounddevice is not installed; "
                               "`pip install 'voicesim[speech]'`") from error
    return sounddevice


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees, with its direction(s) and preferred rate."""
    sd = _sounddevice()
    apis = [str(api["name"]) for api in sd.query_hostapis()]
    default_in, default_out = (int(index) for index in sd.default.device)
    return [
        DeviceInfo(index=int(dev["index"]), name=str(dev["name"]),
                   host_api=apis[int(dev["hostapi"])] if int(dev["hostapi"]) < len(apis) else "",
                   max_input_channels=int(dev["max_input_channels"]),
                   max_output_channels=int(dev["max_output_channels"]),
                   default_samplerate=float(dev["default_samplerate"]),
                   is_default_input=int(dev["index"]) == default_in,
                   is_default_output=int(dev["index"]) == default_out)
        for dev in sd.query_devices()
    ]


def resolve_device(name_or_index: str | int | None, kind: DeviceKind = "input") -> DeviceInfo:
    """The device meant by a flag value: None/"default", a number, or (part of) a name.

    An exact name wins over a partial one; a partial name must match exactly one device.
    """
    devices = list_devices()
    usable = [device for device in devices if device.channels(kind) > 0]
    wanted = "" if name_or_index is None else str(name_or_index).strip()
    if wanted.lower() in ("", "default"):
        for device in usable:
            if device.is_default_input if kind == "input" else device.is_default_output:
                return device
        raise AudioDeviceError(f"there is no default {kind} device; plug in a headset or name "
                               f"one with the {kind} device option; {_LIST_HINT}")
    if wanted.isdigit():
        for device in devices:
            if device.index == int(wanted):
                if device.channels(kind) == 0:
                    raise AudioDeviceError(f"device {wanted} ({device.name!r}) has no {kind} "
                                           f"channels; {_LIST_HINT}")
                return device
        raise AudioDeviceError(f"there is no audio device number {wanted}; {_LIST_HINT}")
    exact = [device for device in usable if device.name.lower() == wanted.lower()]
    partial = [device for device in usable if wanted.lower() in device.name.lower()]
    matches = exact or partial
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioDeviceError(f"no {kind} device is called {wanted!r}; {_LIST_HINT}")
    names = ", ".join(f"{device.index}: {device.name}" for device in matches)
    raise AudioDeviceError(f"{kind} device {wanted!r} is ambiguous ({names}); "
                           f"give its number instead")


def _device_error(device: DeviceInfo, kind: DeviceKind, error: Exception) -> AudioDeviceError:
    text = str(error)
    problem = ("is busy or unavailable (another program may be using it)"
               if "unavailable" in text.lower() or "busy" in text.lower()
               else f"refused to open ({text})")
    return AudioDeviceError(f"{kind} device {device.name!r} {problem}; close other audio "
                            f"programs or pick another device; {_LIST_HINT}")


def _open_format(sd: Any, device: DeviceInfo, kind: DeviceKind) -> tuple[int, int]:
    """(rate, channels) the device accepts: 16 kHz mono if it can, else its own rate/stereo."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    rates = [SAMPLE_RATE, round(device.default_samplerate), 48_000, 44_100]
    channel_counts = [1, min(2, device.channels(kind))]
    last_error: Exception | None = None
    for rate in dict.fromkeys(rates):
        for channels in dict.fromkeys(channel_counts):
            try:
                check(device=device.index, samplerate=rate, channels=channels, dtype="float32")
            except sd.PortAudioError as error:
                last_error = error
                continue
            return rate, channels
    raise _device_error(device, kind, last_error or RuntimeError("no usable format"))


def _to_monotonic(stream_time: float, stream_now: float) -> float:
    """A stream-clock time on the monotonic clock (the offset is re-measured on each call)."""
    return time.monotonic() - stream_now + stream_time


@dataclass(frozen=True)
class PlaybackResult:
    """What happened to one played line (times on ``time.monotonic()``)."""

    started_s: float  # when the first sample reached the speaker
    ended_s: float  # when the last played sample did
    played_samples: int  # how much of the line was played, in 16 kHz samples
    completed: bool  # False when stopped early


class Playback:
    """A line being played; returned by ``Player.start``."""

    def __init__(self, samples: Audio, device_rate: int, channels: int):
        self._data = samples if device_rate == SAMPLE_RATE else resample(samples, SAMPLE_RATE,
                                                                         device_rate)
        self._rate = device_rate
        self._channels = channels
        self._position = 0
        self._started = threading.Event()
        self._done = threading.Event()
        self._stopping = False
        self.first_sample_s: float | None = None  # monotonic time the first sample went out
        self.stream: Any = None

    def callback(self, out: Any, frames: int, times: Any, status: Any) -> None:
        if self.first_sample_s is None:
            dac = float(times.outputBufferDacTime)
            now = float(times.currentTime)
            self.first_sample_s = (_to_monotonic(dac, now) if dac > 0
                                   else time.monotonic() + float(self.stream.latency))
            self._started.set()
        chunk = self._data[self._position:self._position + frames]
        out[:len(chunk)] = chunk[:, None]
        out[len(chunk):] = 0
        self._position += len(chunk)
        if self._stopping or self._position >= len(self._data):
            raise _sounddevice().CallbackStop

    def finished(self) -> None:
        self._started.set()
        self._done.set()

    @property
    def is_playing(self) -> bool:
        return not self._done.is_set()

    def wait_started(self, timeout_s: float = 2.0) -> float:
        """Blocks until the first sample is out; returns its monotonic time."""
        if not self._started.wait(timeout_s) or self.first_sample_s is None:
            raise AudioDeviceError(f"output device did not start playing within {timeout_s} s; "
                                   f"it may be stalled or in use; {_LIST_HINT}")
        return self.first_sample_s

    def stop(self) -> None:
        """Cuts the line short at the next buffer."""
        self._stopping = True

    def wait(self, timeout_s: float | None = None) -> PlaybackResult:
        """Blocks until the line has been played (or stopped) and the stream is closed."""
        limit = timeout_s if timeout_s is not None else len(self._data) / self._rate + 5.0
        if not self._done.wait(limit):
            self._stopping = True
            self._done.wait(1.0)
        with contextlib.suppress(Exception):
            self.stream.close()
        started = self.first_sample_s if self.first_sample_s is not None else time.monotonic()
        played = min(self._position, len(self._data))
        ended = started + played / self._rate
        # The stream may report "finished" while its last buffer is still in the speaker's
        # queue; return only when the line has really been heard (the trainee answers after).
        time.sleep(min(0.5, max(0.0, ended - time.monotonic())))
        played_16k = round(played * SAMPLE_RATE / self._rate)
        return PlaybackResult(started_s=started, ended_s=ended, played_samples=played_16k,
                              completed=played >= len(self._data))


class Player:
    """Plays caller lines on one output device; each line is its own short-lived stream."""

    def __init__(self, device: str | int | None = None, *, latency_s: float = 0.1):
        self.device = resolve_device(device, "output")
        self.rate, self.channels = _open_format(_sounddevice(), self.device, "output")
        # Output buffer. A caller line needs no low latency (its start time is reported, not
        # assumed), and on a loaded 2-core machine PortAudio's 35 ms default underran and
        # clicked where 100 ms played clean.
        self.latency_s = latency_s

    def start(self, samples: Audio) -> Playback:
        """Starts playing float32 16 kHz mono ``samples`` and returns at once."""
        if samples.ndim != 1:
            raise AudioError(f"playback needs mono samples, got shape {samples.shape}")
        sd = _sounddevice()
        playback = Playback(np.asarray(samples, dtype=np.float32), self.rate, self.channels)
        try:
            playback.stream = sd.OutputStream(
                device=self.device.index, samplerate=self.rate, channels=self.channels,
                dtype="float32", latency=self.latency_s, callback=playback.callback,
                finished_callback=playback.finished)
            playback.stream.start()
        except sd.PortAudioError as error:
            raise _device_error(self.device, "output", error) from error
        return playback

    def play(self, samples: Audio) -> PlaybackResult:
        """Plays a line to the end."""
        return self.start(samples).wait()


FrameTap = Callable[[float, Audio], None]


class Microphone:
    """Captures 512-sample float32 16 kHz frames; use as a context manager.

    PortAudio's callback only copies each block into a queue (no work on the audio thread);
    ``frames()`` converts the rate, re-cuts the blocks into VAD frames and stamps each frame
    with the monotonic time of its first sample. ``tap`` (e.g. the call recorder) sees every
    frame with that time.
    """

    def __init__(self, device: str | int | None = None, *, queue_s: float = 20.0,
                 stall_timeout_s: float = 2.0, tap: FrameTap | None = None):
        self.device = resolve_device(device, "input")
        self.rate, self.channels = _open_format(_sounddevice(), self.device, "input")
        self.tap = tap  # receives (monotonic time of first sample, frame) for every frame
        self.stall_timeout_s = stall_timeout_s  # no audio this long -> AudioDeviceError
        self.overflows = 0  # blocks lost because the consumer fell behind (or PortAudio did)
        self._blocksize = round(FRAME_SAMPLES * self.rate / SAMPLE_RATE)
        self._queue: queue.Queue[tuple[float, Audio]] = queue.Queue(
            maxsize=max(1, round(queue_s * SAMPLE_RATE / FRAME_SAMPLES)))
        self._resampler = (StreamResampler(self.rate, SAMPLE_RATE)
                           if self.rate != SAMPLE_RATE else None)
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_time = 0.0
        self._expected_stamp: float | None = None  # where the next block should start
        self._stream: Any = None

    def __enter__(self) -> Microphone:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        sd = _sounddevice()
        try:
            self._stream = sd.InputStream(
                device=self.device.index, samplerate=self.rate, channels=self.channels,
                dtype="float32", blocksize=self._blocksize,
                callback=self._callback)
            self._stream.start()
        except sd.PortAudioError as error:
            raise _device_error(self.device, "input", error) from error

    def close(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.close()
            self._stream = None

    def _callback(self, indata: Any, frames: int, times: Any, status: Any) -> None:
        adc = float(times.inputBufferAdcTime)
        stamp = (_to_monotonic(adc, float(times.currentTime)) if adc > 0
                 else time.monotonic() - frames / self.rate)
        if status.input_overflow:
            self.overflows += 1
        block = np.array(indata[:, 0], dtype=np.float32)
        try:
            self._queue.put_nowait((stamp, block))
        except queue.Full:  # the consumer stalled: drop the oldest audio, keep the newest
            self.overflows += 1
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait((stamp, block))

    def discard_pending(self) -> None:
        """Skips the audio captured so far (e.g. while the reply was being transcribed).

        The skipped frames still go to ``tap``: they are no reply, but they are part of the
        call and belong in its recording.
        """
        while True:
            try:
                stamp, block = self._queue.get_nowait()
            except queue.Empty:
                break
            self._take(stamp, block)
        for _ in self._ready_frames():
            pass

    def frames(self) -> Iterator[Audio]:
        """Yields VAD frames as they arrive; stop iterating whenever; call again to go on."""
        for _, frame in self.timed_frames():
            yield frame

    def timed_frames(self) -> Iterator[tuple[float, Audio]]:
        """Like ``frames``, each frame with the monotonic time of its first sample."""
        if self._stream is None:
            raise AudioDeviceError(f"microphone {self.device.name!r} is not open; "
                                   "use it as `with Microphone(...) as mic:`")
        while True:
            yield from self._ready_frames()
            try:
                stamp, block = self._queue.get(timeout=self.stall_timeout_s)
            except queue.Empty:
                raise AudioDeviceError(
                    f"microphone {self.device.name!r} delivered no audio for "
                    f"{self.stall_timeout_s:g} s; it may be unplugged, muted or used by another "
                    f"program; {_LIST_HINT}") from None
            self._take(stamp, block)

    def _take(self, stamp: float, block: Audio) -> None:
        """Converts one device block and appends it to the frames being cut."""
        stamp = self._smooth(stamp, len(block))
        converted = block if self._resampler is None else self._resampler.process(block)
        # (The converter emits about 1 ms late; the stamps ignore that: far below a frame.)
        if self._pending.size == 0:
            self._pending_time = stamp
        self._pending = np.concatenate([self._pending, converted])

    def _smooth(self, stamp: float, samples: int) -> float:
        """A block's time on a continuous clock: the capture runs at a fixed rate.

        Callback times jitter by a millisecond or two; used raw, consecutive frames would be
        placed overlapping or apart in the call recording, which smears speech. So a block
        starts where the previous one ended, nudged by 1% of the disagreement (to follow
        slow drift between the device clock and ours); only a jump of more than 50 ms (lost
        audio, a restarted stream) re-anchors on the reported time.
        """
        expected = self._expected_stamp
        if expected is not None and abs(stamp - expected) <= _REANCHOR_S:
            stamp = expected + (stamp - expected) * _DRIFT_GAIN
        self._expected_stamp = stamp + samples / self.rate
        return stamp

    def _ready_frames(self) -> Iterator[tuple[float, Audio]]:
        """Cuts every complete frame from the pending audio, tapping each one."""
        while self._pending.size >= FRAME_SAMPLES:
            frame = self._pending[:FRAME_SAMPLES].copy()
            stamp = self._pending_time
            self._pending = self._pending[FRAME_SAMPLES:]
            self._pending_time += FRAME_SAMPLES / SAMPLE_RATE
            if self.tap is not None:
                self.tap(stamp, frame)
            yield stamp, frame
