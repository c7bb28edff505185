"""The call recording: a stereo 16-bit WAV, caller on the LEFT channel, trainee on the RIGHT.

That is how call-centre recorders store calls (one party per channel), so a trainer can solo
either side, batch scoring can split the agent channel, and overtalk is visible at a glance.

Both parties arrive as timestamped chunks on one clock (``time.monotonic()``: the player
reports when a line's first sample reached the speaker, the microphone stamps every frame),
and each chunk is written at the position its time gives, so the channels line up whatever
order or size the chunks come in. Silence between chunks is zeros.

The file is written as it goes and its header is rewritten after every chunk: Ctrl-C, a crash
or a kill leaves a valid WAV holding everything recorded so far.
"""

from __future__ import annotations

import struct
import threading
import time
import wave
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioError

_HEADER_BYTES = 44
_CHANNELS = 2
_SAMPLE_BYTES = 2
_FRAME_BYTES = _CHANNELS * _SAMPLE_BYTES
_SNAP_FRAMES = 80  # 5 ms at 16 kHz: closer than this to the channel's end continues it


class Channel(IntEnum):
    """Which party a channel holds (the value is the channel's index in a WAV frame)."""

    CALLER = 0  # left
    TRAINEE = 1  # right


def _header(data_bytes: int, rate: int) -> bytes:
    """A canonical 44-byte PCM WAV header for ``data_bytes`` of stereo 16-bit audio."""
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, _CHANNELS, rate, rate * _FRAME_BYTES,
                                    _FRAME_BYTES, 8 * _SAMPLE_BYTES)
            + b"data" + struct.pack("<I", data_bytes))


def _to_pcm16(samples: Audio) -> np.ndarray[tuple[int], np.dtype[np.int16]]:
    clipped = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2")


class CallRecorder:
    """Writes one call; thread-safe (the mic thread and the playback code both feed it)."""

    def __init__(self, path: str | Path, *, origin_s: float | None = None,
                 sample_rate: int = SAMPLE_RATE):
        self.path = Path(path)
        self.sample_rate = sample_rate
        # Time (monotonic clock) of the recording's first sample; chunks are placed from it.
        self.origin_s = time.monotonic() if origin_s is None else origin_s
        self._frames = 0  # frames (sample pairs) in the file so far
        self._channel_end = [0, 0]  # where each channel's last chunk ended (frames)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: BinaryIO | None = open(self.path, "w+b")  # noqa: SIM115 (kept open)
            self._file.write(_header(0, sample_rate))
            self._file.flush()
        except OSError as error:
            raise AudioError(f"cannot write the call recording {self.path}: {error.strerror}; "
                             "choose a writable folder for recordings") from error

    def __enter__(self) -> CallRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    @property
    def duration_s(self) -> float:
        return self._frames / self.sample_rate

    def add_caller(self, samples: Audio, at_s: float) -> None:
        """Caller audio whose first sample was heard at ``at_s`` (monotonic clock)."""
        self.add(Channel.CALLER, samples, at_s)

    def add_trainee(self, samples: Audio, at_s: float) -> None:
        """Microphone audio whose first sample was captured at ``at_s`` (monotonic clock)."""
        self.add(Channel.TRAINEE, samples, at_s)

    def add(self, channel: Channel, samples: Audio, at_s: float) -> None:
        """Writes ``samples`` (float32, this recorder's rate) into ``channel`` at time ``at_s``.

        Anything before the origin is dropped; a later chunk overwrites an earlier one on the
        same channel where they overlap; the other channel is left as it was.
        """
        pcm = _to_pcm16(samples)
        start = round((at_s - self.origin_s) * self.sample_rate)
        if start < 0:
            pcm, start = pcm[-start:], 0
        if pcm.size == 0:
            return
        with self._lock:
            handle = self._open_file()
            # Chunks of one stream (32 ms mic frames) carry times with a little jitter; one
            # that starts within a few ms of where the channel's last chunk ended continues it
            # exactly, so a stream stays gapless and unsmeared in the file.
            if 0 < abs(start - self._channel_end[channel]) <= _SNAP_FRAMES:
                start = self._channel_end[channel]
            self._channel_end[channel] = start + pcm.size
            end = start + pcm.size
            if start > self._frames:  # a gap of silence before this chunk
                self._write_frames(handle, self._frames, np.zeros((start - self._frames, 2),
                                                                  dtype="<i2"))
            # Keep the other channel where the chunk overlaps frames already written.
            overlap = max(0, min(end, self._frames) - start)
            block = np.zeros((pcm.size, _CHANNELS), dtype="<i2")
            if overlap:
                handle.seek(_HEADER_BYTES + start * _FRAME_BYTES)
                existing = np.frombuffer(handle.read(overlap * _FRAME_BYTES), dtype="<i2")
                block[:overlap] = existing.reshape(-1, _CHANNELS)
            block[:, int(channel)] = pcm
            self._write_frames(handle, start, block)
            handle.flush()

    def close(self) -> None:
        """Finishes the file (it is already valid; this only releases it)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _open_file(self) -> BinaryIO:
        if self._file is None:
            raise AudioError(f"the call recording {self.path} is already closed")
        return self._file

    def _write_frames(self, handle: BinaryIO, start: int, block: np.ndarray[
            tuple[int, int], np.dtype[np.int16]]) -> None:
        handle.seek(_HEADER_BYTES + start * _FRAME_BYTES)
        handle.write(block.tobytes())
        if start + block.shape[0] > self._frames:
            self._frames = start + block.shape[0]
            handle.seek(0)
            handle.write(_header(self._frames * _FRAME_BYTES, self.sample_rate))


def read_recording(path: str | Path) -> tuple[Audio, Audio, int]:
    """(caller, trainee, rate) from a stereo call recording, as float32 arrays."""
    try:
        with wave.open(str(path), "rb") as clip:
            if clip.getnchannels() != _CHANNELS or clip.getsampwidth() != _SAMPLE_BYTES:
                raise AudioError(f"{path} is not a stereo 16-bit call recording "
                                 f"({clip.getnchannels()} channels, {8 * clip.getsampwidth()} "
                                 "bit); record it with voicesim or split it first")
            rate = clip.getframerate()
            data = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    except (OSError, wave.Error, EOFError) as error:
        raise AudioError(f"cannot read the call recording {path}: {error}; "
                         "check the path and that it is a WAV file") from error
    frames = data.reshape(-1, _CHANNELS).astype(np.float32) / 32768.0
    return frames[:, 0].copy(), frames[:, 1].copy(), rate
