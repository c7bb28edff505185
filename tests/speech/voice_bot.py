"""A scripted trainee on a headset, for end-to-end tests of the live call.

voicesim runs as a real process on a private PulseAudio daemon: it plays the caller into the
sink ``vs_caller`` and listens on the monitor of ``vs_trainee``. The bot listens to
``vs_caller.monitor`` (parec); when the caller's line has ended it speaks its reply with
espeak-ng into ``vs_trainee`` (paplay), choosing the reply from the staircase level voicesim
printed. Nothing is faked: TTS, VAD, Whisper and PortAudio are the real ones.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.speech.pulse import PulseServer

CALLER_SINK = "vs_caller"
TRAINEE_SINK = "vs_trainee"
_FRAME = 512  # 32 ms at 16 kHz
_SPEAKING_RMS = 0.01
_LINE_END_S = 0.9  # quiet this long after speech: the caller's line is over

Policy = Callable[[int], str | None]  # caller level -> what to say (None: stay silent)


def add_call_sinks(server: PulseServer) -> list[subprocess.Popen[bytes]]:
    """Two null sinks, each kept clocked by a stream of silence; returns those streams."""
    streams = []
    for sink in (CALLER_SINK, TRAINEE_SINK):
        if sink not in server.pactl("list", "short", "sinks"):
            server.pactl("load-module", "module-null-sink", f"sink_name={sink}", "rate=48000")
        streams.append(
            subprocess.Popen(
                [
                    "pacat",
                    "--playback",
                    f"--device={sink}",
                    "--rate=16000",
                    "--channels=1",
                    "--format=s16le",
                    "--latency-msec=20",
                    "/dev/zero",
                ],
                env={**os.environ, "PULSE_SERVER": server.server},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(0.3)
    return streams


class VoiceBot:
    """Runs ``voicesim practice`` and answers the caller by voice until the call ends."""

    def __init__(
        self,
        server: PulseServer,
        argv: list[str],
        env: dict[str, str],
        policy: Policy,
        voice: str,
        workdir: Path,
    ):
        self.server = server
        self.policy = policy
        self.voice = voice
        self.workdir = workdir
        self.level = 0
        self.output: list[str] = []
        self.replies: list[str] = []
        self.caller_lines_heard = 0
        self._pulse_env = {**os.environ, "PULSE_SERVER": server.server}
        self.process = subprocess.Popen(
            argv,
            env={
                **os.environ,
                **env,
                "PULSE_SERVER": server.server,
                "PULSE_SINK": CALLER_SINK,
                "PULSE_SOURCE": f"{TRAINEE_SINK}.monitor",
            },
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            found = re.search(r"level (\d)/5", line)
            if found:
                self.level = int(found.group(1))

    def _say(self, text: str, index: int) -> None:
        clip = self.workdir / f"reply-{index:02d}.wav"
        subprocess.run(
            ["espeak-ng", "-v", self.voice, "-s", "150", "-w", str(clip), text],
            check=True,
            timeout=30,
        )
        subprocess.run(
            ["paplay", f"--device={TRAINEE_SINK}", str(clip)],
            env=self._pulse_env,
            check=True,
            timeout=60,
        )

    def run(self, timeout_s: float = 240.0) -> int:
        """Listen to the caller and answer each finished line; returns voicesim's exit code."""
        listener = subprocess.Popen(
            [
                "parec",
                f"--device={CALLER_SINK}.monitor",
                "--rate=16000",
                "--channels=1",
                "--format=s16le",
                "--latency-msec=20",
            ],
            env=self._pulse_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert listener.stdout is not None
        frames: queue.Queue[bytes] = queue.Queue()

        def pump() -> None:  # keeps the pipe drained while the bot is busy speaking
            assert listener.stdout is not None
            while chunk := listener.stdout.read(_FRAME * 2):
                frames.put(chunk)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        speaking, quiet_s = False, 0.0
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    chunk = frames.get(timeout=1.0)
                except queue.Empty:
                    continue
                frame = np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0
                loud = float(np.sqrt(np.mean(frame**2))) > _SPEAKING_RMS
                if loud:
                    speaking, quiet_s = True, 0.0
                    continue
                quiet_s += len(frame) / 16000
                if speaking and quiet_s >= _LINE_END_S:
                    speaking = False
                    self.caller_lines_heard += 1
                    reply = self.policy(self.level)
                    if reply is not None:
                        self.replies.append(reply)
                        self._say(reply, len(self.replies))
            if self.process.poll() is None:
                self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            listener.terminate()
            listener.wait(timeout=5)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
            self._reader.join(timeout=5)
        return self.process.returncode
