"""A private PulseAudio daemon: a real sound device for tests on machines without a sound card.

Recipe (PLATFORM.md): a user daemon on a private socket, ``module-native-protocol-unix``, a
``module-null-sink`` whose monitor is the capture source, so what is played comes back as
microphone input; and a low-latency stream of silence kept playing into the sink, without
which capture starts only when playback does and the timing of a round trip is meaningless.

``PULSE_SERVER`` is set before sounddevice is imported (PortAudio enumerates devices at import,
and ALSA's pulse plugin reads the variable when a device is opened). If sounddevice was already
imported by an earlier test, PortAudio is re-initialised so it sees the daemon.

If the daemon cannot start, the tests that need it FAIL with the reason: CI installs
pulseaudio, and a silently skipped device test would hide a broken audio path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SINK = "voicesim_test_sink"
_START_TIMEOUT_S = 15.0
_SETTLE_S = 2.0


@dataclass
class PulseServer:
    """A running private daemon and what tests need to reach it."""

    root: Path  # folder holding its socket, config, runtime files and log
    server: str  # the PULSE_SERVER value, "unix:<root>/native"
    sink: str = SINK  # the null sink (playback ends here)
    source: str = SINK + ".monitor"  # its monitor (capture reads what was played)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def pactl(self, *args: str) -> str:
        """Runs pactl against this daemon; returns its output."""
        result = subprocess.run(["pactl", *args], env={**os.environ, "PULSE_SERVER": self.server},
                                capture_output=True, text=True, timeout=10)
        if result.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    @property
    def log(self) -> str:
        path = self.root / "pulseaudio.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


def start_pulse(root: Path) -> PulseServer:
    """Starts the daemon and the silence stream; raises RuntimeError saying why it could not."""
    for tool in ("pulseaudio", "pactl", "pacat"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed; install PulseAudio "
                               "(Debian: apt-get install pulseaudio pulseaudio-utils)")
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("home", "runtime", "state"):
        (root / sub).mkdir(exist_ok=True)
    socket = root / "native"
    script = root / "default.pa"
    script.write_text(
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
        f"load-module module-null-sink sink_name={SINK} rate=48000 "
        f"sink_properties=device.description=voicesim-test\n"
        f"set-default-sink {SINK}\n"
        f"set-default-source {SINK}.monitor\n")
    # The daemon gets its own HOME and runtime folders so it never touches (or collides
    # with) a desktop session's PulseAudio.
    daemon_env = {**os.environ, "HOME": str(root / "home"),
                  "PULSE_RUNTIME_PATH": str(root / "runtime"),
                  "PULSE_STATE_PATH": str(root / "state"), "XDG_CONFIG_HOME": str(root / "home")}
    daemon_env.pop("PULSE_SERVER", None)
    server = PulseServer(root=root, server=f"unix:{socket}")
    daemon = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--system=false", "--disallow-exit=yes", f"--file={script}",
         f"--log-target=file:{root / 'pulseaudio.log'}"],
        env=daemon_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    server.processes.append(daemon)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if daemon.poll() is not None:
            stop_pulse(server)
            raise RuntimeError(f"pulseaudio exited with code {daemon.returncode}: {server.log}")
        try:
            if socket.exists() and SINK in server.pactl("list", "short", "sinks"):
                break
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        if time.monotonic() > deadline:
            stop_pulse(server)
            raise RuntimeError(f"pulseaudio did not come up in {_START_TIMEOUT_S:.0f} s: "
                               f"{server.log}")
        time.sleep(0.1)
    # Keep the sink running with a low-latency stream of silence, so capture is clocked.
    silence = subprocess.Popen(
        ["pacat", "--playback", f"--device={SINK}", "--rate=16000", "--channels=1",
         "--format=s16le", "--latency-msec=20", "/dev/zero"],
        env={**os.environ, "PULSE_SERVER": server.server}, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server.processes.append(silence)
    # Let the fresh sink settle: streams opened in its first second were measured to report
    # times 120 ms off (consistently, for the whole stream); after 1.5 s they agree within 2 ms.
    time.sleep(_SETTLE_S)
    if silence.poll() is not None:
        error = silence.stderr.read().decode(errors="replace") if silence.stderr else ""
        stop_pulse(server)
        raise RuntimeError(f"pacat could not play silence into the sink: {error.strip()}")
    return server


def stop_pulse(server: PulseServer) -> None:
    """Stops the processes this module started (newest first)."""
    for process in reversed(server.processes):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()
    server.processes.clear()


def _point_portaudio_at(server: str) -> None:
    os.environ["PULSE_SERVER"] = server
    sounddevice = sys.modules.get("sounddevice")
    if sounddevice is not None:  # imported before the daemon existed: re-enumerate devices
        sounddevice._terminate()
        sounddevice._initialize()


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A private PulseAudio daemon for the whole test session; PortAudio points at it."""
    # A short path: unix socket paths are limited to ~108 bytes.
    root = Path(tmp_path_factory.mktemp("pulse"))
    previous = os.environ.get("PULSE_SERVER")
    try:
        server = start_pulse(root)
    except RuntimeError as error:
        pytest.fail(f"cannot start the private PulseAudio daemon needed by the audio device "
                    f"tests: {error}", pytrace=False)
    _point_portaudio_at(server.server)
    yield server
    stop_pulse(server)
    if previous is None:
        os.environ.pop("PULSE_SERVER", None)
    else:
        os.environ["PULSE_SERVER"] = previous
