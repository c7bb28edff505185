"""One pyttsx3 espeak-ng engine per process, driven so that its known bugs cannot bite.

pyttsx3 2.99's espeak driver runs libespeak-ng in asynchronous "retrieval" mode and has these
reproduced faults (PLATFORM.md), each answered here:

* Several ``save_to_file`` calls before one ``runAndWait`` write only the last file:
  exactly one ``save_to_file`` per ``runAndWait``, under a lock.
* ``runAndWait`` can return before the WAV file exists (synthesis runs on espeak's own
  thread): wait for the ``finished-utterance`` notification, then ``espeak_Synchronize``.
* Property changes are silently lost: ``setProperty`` only queues a parameter command in
  espeak's FIFO, and the ``stop()`` that ``runAndWait`` issues cancels whatever is still
  queued. Before the first ``runAndWait`` the driver is even marked busy, so the change
  waits in pyttsx3's own queue and is cancelled the same way. So: one warm-up synthesis at
  start-up (the driver becomes idle), then ``espeak_Synchronize`` after every change, then
  read the values back to be sure.
* ``getProperty('rate')`` can be stale: pyttsx3 binds ``espeak_GetParameter`` without its
  second argument (``current``), so the call reads garbage. We bind it properly ourselves.
* A later ``runAndWait``/``say`` re-synthesises the previous text into the previous file:
  every line gets a fresh file name, the file is deleted once read, and afterwards the
  driver's remembered file points at a scratch file that nothing reads.
* The driver prints "Audio saved to ..." on stdout, which would corrupt JSON output:
  its module-level ``print`` is routed to debug logging.

espeak-ng itself can be initialised only once per process, and pyttsx3 shares one engine
per driver name anyway, so a module-level lazy singleton is the honest shape.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import shutil
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voicesim.errors import BackendError

_LOG = logging.getLogger(__name__)

# espeak_PARAMETER values from espeak-ng's speak_lib.h (pyttsx3 names 7 wrongly "EMPHASIS").
_RATE, _VOLUME, _PITCH, _RANGE, _WORD_GAP = 1, 2, 3, 4, 7
# Synthesis of a sentence takes ~10 ms; this only guards against a wedged espeak thread.
_FINISH_TIMEOUT_S = 30.0
_INSTALL_HINT = "install espeak-ng (Debian: `sudo apt-get install espeak-ng`) and " \
    "`pip install 'voicesim[speech]'`"


@dataclass(frozen=True)
class EspeakSettings:
    """Everything espeak needs for one line; the values are espeak's own units."""

    voice_id: str  # espeak voice identifier as pyttsx3 lists it, e.g. "gmw/en-us"
    rate_wpm: int  # speaking rate, words per minute (espeak clamps to 80-450)
    pitch: int  # base pitch, 0-100, 50 is the voice's normal
    pitch_range: int  # pitch variation, 0 monotone - 100, 50 is normal
    volume_percent: int  # amplitude, 0-100; more than 100 clips
    word_gap_10ms: int  # extra pause between words, in 10 ms units at normal speed


@dataclass(frozen=True)
class VoiceEntry:
    """One installed espeak-ng voice."""

    voice_id: str  # e.g. "gmq/da"
    name: str  # e.g. "Danish"
    languages: tuple[str, ...]  # e.g. ("da",)


class EspeakEngine:
    """The process's pyttsx3 engine; ``synthesize`` is safe to call from any thread."""

    def __init__(self) -> None:
        try:
            import pyttsx3
            from pyttsx3.drivers import _espeak
            from pyttsx3.drivers import espeak as espeak_driver
        except (ImportError, OSError, RuntimeError) as error:
            raise BackendError(f"espeak TTS is unavailable ({error}); {_INSTALL_HINT}") from error
        self._espeak: Any = _espeak
        # Route the driver's stdout chatter ("Audio saved to ...") to the debug log.
        espeak_driver.print = lambda *args, **_: _LOG.debug(" ".join(map(str, args)))
        # pyttsx3's binding drops espeak_GetParameter's second argument; bind it properly.
        self._get_parameter = _espeak.dll.espeak_GetParameter
        self._get_parameter.argtypes = [ctypes.c_int, ctypes.c_int]
        self._get_parameter.restype = ctypes.c_int
        try:
            self._engine: Any = pyttsx3.init("espeak")
        except RuntimeError as error:
            raise BackendError(f"espeak-ng could not start ({error}); {_INSTALL_HINT}") from error
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._engine.connect("finished-utterance", self._on_finished)
        self._workdir = Path(tempfile.mkdtemp(prefix="voicesim-tts-"))
        self._counter = itertools.count()
        self.voices = tuple(self._list_voices())
        with self._lock:
            # Leaves pyttsx3's driver idle, so later setProperty calls reach espeak at once.
            self._render("warm up")

    def synthesize(self, text: str, settings: EspeakSettings) -> tuple[npt.NDArray[np.int16], int]:
        """Speaks ``text`` with ``settings``; returns 16-bit mono samples and their rate."""
        with self._lock:
            self._apply(settings)
            return self._render(text)

    def close(self) -> None:
        """Removes the scratch folder (the engine itself lives as long as the process)."""
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _list_voices(self) -> list[VoiceEntry]:
        return [
            VoiceEntry(voice_id=str(voice.id).lower(), name=str(voice.name),
                       languages=tuple(str(code).lower() for code in (voice.languages or [])))
            for voice in self._engine.getProperty("voices")
        ]

    def _on_finished(self, **_: object) -> None:
        self._finished.set()

    def _apply(self, settings: EspeakSettings) -> None:
        for attempt in range(2):
            # The voice is set synchronously by espeak and resets nothing we set after it,
            # so it goes first; the parameters are queued and drained by Synchronize.
            self._engine.setProperty("voice", settings.voice_id)
            self._engine.setProperty("rate", settings.rate_wpm)
            self._engine.setProperty("pitch", settings.pitch)
            self._engine.setProperty("volume", settings.volume_percent / 100)
            self._espeak.SetParameter(_RANGE, settings.pitch_range, 0)
            self._espeak.SetParameter(_WORD_GAP, settings.word_gap_10ms, 0)
            self._espeak.Synchronize()
            wrong = self._mismatches(settings)
            if not wrong:
                return
            _LOG.debug("espeak settings not applied (attempt %d): %s", attempt + 1, wrong)
        raise BackendError(f"espeak-ng ignored the settings {wrong} for voice "
                           f"{settings.voice_id!r}; reinstall espeak-ng or use `--tts piper`")

    def _mismatches(self, settings: EspeakSettings) -> dict[str, tuple[int, int]]:
        wanted = {
            "rate": (_RATE, max(80, min(450, settings.rate_wpm))),
            "pitch": (_PITCH, settings.pitch),
            "range": (_RANGE, settings.pitch_range),
            "volume": (_VOLUME, settings.volume_percent),
            "word gap": (_WORD_GAP, settings.word_gap_10ms),
        }
        wrong = {}
        for label, (parameter, value) in wanted.items():
            actual = int(self._get_parameter(parameter, 1))
            if actual != value:
                wrong[label] = (value, actual)
        current = self._engine.getProperty("voice")
        if str(current or "").lower() != settings.voice_id.lower():
            wrong["voice"] = (0, 1)
        return wrong

    def _render(self, text: str) -> tuple[npt.NDArray[np.int16], int]:
        path = self._workdir / f"line-{next(self._counter)}.wav"
        driver = self._engine.proxy._driver
        self._finished.clear()
        self._engine.save_to_file(text, str(path))
        self._engine.runAndWait()
        finished = self._finished.wait(_FINISH_TIMEOUT_S)
        self._espeak.Synchronize()
        # The driver remembers this file and text, and any later runAndWait re-synthesises
        # them into it. Point it at a scratch file nobody reads instead. (Clearing the text
        # would be worse: a runAndWait with no text never ends in pyttsx3 2.99.)
        driver._save_file = str(self._workdir / "stray.wav")
        if not finished or not path.exists():
            raise BackendError(f"espeak-ng produced no audio for {text[:40]!r} within "
                               f"{_FINISH_TIMEOUT_S:.0f} s; check `espeak-ng --version`")
        try:
            with wave.open(str(path), "rb") as clip:
                rate = clip.getframerate()
                if clip.getsampwidth() != 2 or clip.getnchannels() != 1:
                    raise BackendError(f"espeak-ng wrote an unexpected WAV format to {path}")
                samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
        finally:
            path.unlink(missing_ok=True)
        return samples.astype(np.int16), rate


_ENGINE: EspeakEngine | None = None
_ENGINE_LOCK = threading.Lock()


def espeak_engine() -> EspeakEngine:
    """The process-wide engine, created on first use (espeak can start only once)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = EspeakEngine()
        return _ENGINE
