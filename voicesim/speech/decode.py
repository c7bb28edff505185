"""Decoding audio files into the program's format: float32 mono 16 kHz (or per channel).

ffmpeg reads every container a recorder or browser produces (WAV, FLAC, MP3, M4A/AAC,
Ogg/Opus, WebM). Each failure a user can cause becomes one ``AudioError`` line that names the
file and the problem: zero bytes, not audio (a text file renamed .wav), corrupt or truncated,
an unsupported format, no audio stream.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioError

_FFMPEG_HINT = "install ffmpeg (Debian: apt-get install ffmpeg; scripts/setup.sh does it)"


@dataclass(frozen=True)
class AudioInfo:
    """What ffprobe says about a file, before decoding it."""

    format_name: str
    codec: str
    channels: int
    sample_rate: int
    duration_s: float


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AudioError(f"{name} not found: {_FFMPEG_HINT}")
    return path


def _first_error_line(stderr: bytes) -> str:
    lines = [
        line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()
    ]
    return lines[-1] if lines else "unknown decoder error"


def probe(path: Path) -> AudioInfo:
    """Read the container and first audio stream; fail early with a precise reason."""
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    result = subprocess.run(
        [
            _tool("ffprobe"),
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-select_streams",
            "a:0",
            str(path),
        ],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise AudioError(f"{path}: not a readable audio file ({_first_error_line(result.stderr)})")
    info = json.loads(result.stdout or b"{}")
    streams = info.get("streams") or []
    if not streams:
        raise AudioError(f"{path}: contains no audio stream")
    stream = streams[0]
    fmt = info.get("format", {})
    return AudioInfo(
        format_name=str(fmt.get("format_name", "")),
        codec=str(stream.get("codec_name", "")),
        channels=int(stream.get("channels") or 1),
        sample_rate=int(stream.get("sample_rate") or 0),
        duration_s=float(fmt.get("duration") or stream.get("duration") or 0.0),
    )


def decode_file(
    path: Path | str, channels: int = 1, start_s: float = 0.0, duration_s: float | None = None
) -> Audio:
    """Decode to float32 at 16 kHz: mono (``channels=1``) or interleaved-then-split stereo.

    With ``channels=2`` the result has shape (samples, 2); otherwise (samples,). ``start_s``
    and ``duration_s`` decode one window of a long recording, so memory stays bounded.
    """
    path = Path(path)
    probe(path)
    command = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-xerror"]
    if start_s > 0:
        command += ["-ss", f"{start_s:.3f}"]
    command += ["-i", str(path)]
    if duration_s is not None:
        command += ["-t", f"{duration_s:.3f}"]
    command += ["-vn", "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    result = subprocess.run(command, capture_output=True, check=False, timeout=3600)
    if result.returncode != 0:
        raise AudioError(f"{path}: corrupt or truncated audio ({_first_error_line(result.stderr)})")
    samples = np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)
    if channels > 1:
        samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels)
    if samples.size == 0 and start_s == 0:
        raise AudioError(f"{path}: decodes to no samples (an empty or truncated recording)")
    return samples


def decode_windows(path: Path | str, channels: int = 1, window_s: float = 300.0,
                   checked: bool = False) -> Iterator[Audio]:
    """The whole file, decoded by one ffmpeg process and handed out ``window_s`` at a time.

    Shapes as ``decode_file``. Memory stays at one window however long the recording is, and
    consecutive windows join without a gap or an overlap (seeking with ``-ss`` in compressed
    formats may land a frame off). ``checked=True`` skips the ``probe`` the caller already
    made. A decoder error ends the iteration with an ``AudioError`` (the windows before it
    were good audio).
    """
    path = Path(path)
    if not checked:
        probe(path)
    command = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-xerror", "-i", str(path),
               "-vn", "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    window_bytes = max(1, round(window_s * SAMPLE_RATE)) * channels * 4
    total = 0
    # stderr to a file: a pipe that nobody reads while stdout is drained could fill and block.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=errors)
        assert process.stdout is not None
        try:
            while True:
                buffer = bytearray(window_bytes)
                got = _read_into(process.stdout, memoryview(buffer))
                usable = got - got % (4 * channels)
                if usable:
                    total += usable
                    samples = np.frombuffer(buffer, dtype="<f4", count=usable // 4)
                    samples = samples.astype(np.float32, copy=False)
                    yield samples.reshape(-1, channels) if channels > 1 else samples
                    del samples  # one window in memory, not two, while the next is read
                del buffer
                if got < window_bytes:
                    break
            returncode = process.wait(timeout=3600)
        finally:
            if process.poll() is None:  # the caller stopped early: do not leave ffmpeg running
                process.kill()
            process.stdout.close()
            process.wait()
        if returncode != 0:
            errors.seek(0)
            raise AudioError(
                f"{path}: corrupt or truncated audio ({_first_error_line(errors.read())})")
    if total == 0:
        raise AudioError(f"{path}: decodes to no samples (an empty or truncated recording)")


def _read_into(stream: IO[bytes], view: memoryview) -> int:
    """Fills ``view`` from a pipe (which returns short reads); fewer bytes only at the end."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got
