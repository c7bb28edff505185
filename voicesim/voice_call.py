"""The live headset call: speak the caller's line, listen, transcribe, score, answer.

``VoiceCall`` drives a ``PracticeCall`` through four ports (synthesizer, transcriber, player,
microphone), so the same loop runs on real devices and, in unit tests, on fakes. Each turn is
written to the session folder as it happens (``call.wav`` stereo, caller left / trainee right;
``turn-NN.wav`` per reply; ``session.json``), so Ctrl-C keeps everything said so far.
"""

from __future__ import annotations

import math
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from voicesim.core.call import CallRecord, PracticeCall, TurnTiming
from voicesim.core.personas import Persona
from voicesim.core.ports import SAMPLE_RATE, Audio, Synthesizer, Transcriber, Utterance
from voicesim.core.staircase import CallerTurn
from voicesim.scoring import scorer_named
from voicesim.sessions import save_session
from voicesim.speech.turns import FrameVad, TurnOptions, listen_for_reply
from voicesim.terminal import Screen


class Playing(Protocol):
    """A caller line being played (``voicesim.speech.audio_io.Playback``)."""

    @property
    def is_playing(self) -> bool: ...

    def wait_started(self, timeout_s: float = 2.0) -> float: ...

    def stop(self) -> None: ...

    def wait(self, timeout_s: float | None = None) -> PlaybackLike: ...


class PlaybackLike(Protocol):
    """How a line went (``voicesim.speech.audio_io.PlaybackResult``)."""

    @property
    def started_s(self) -> float: ...

    @property
    def ended_s(self) -> float: ...

    @property
    def played_samples(self) -> int: ...


class LinePlayer(Protocol):
    def start(self, samples: Audio) -> Playing: ...


class FrameSource(Protocol):
    def frames(self) -> Iterator[Audio]: ...

    def discard_pending(self) -> None: ...


class Recorder(Protocol):
    def add_caller(self, samples: Audio, at_s: float) -> None: ...

    def add_trainee(self, samples: Audio, at_s: float) -> None: ...


@dataclass(frozen=True)
class TurnMeasure:
    """Where one turn's time went after the trainee stopped speaking (seconds)."""

    transcribe_s: float
    score_s: float  # scoring and the engine's decision
    tts_s: float
    playback_start_s: float  # from handing the line to the device to its first sample
    total_s: float  # end-of-turn decision to the caller's first sample


def loudness_dbfs(samples: Audio) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20 * math.log10(rms) if rms > 1e-9 else -120.0


def write_mono_wav(path: Path, samples: Audio) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


class VoiceCall:
    """One spoken call on the given ports; ``run()`` plays it to the end (or Ctrl-C)."""

    def __init__(
        self,
        persona: Persona,
        *,
        synthesizer: Synthesizer,
        transcriber: Transcriber,
        player: LinePlayer,
        microphone: FrameSource,
        vad: FrameVad,
        folder: Path,
        recorder: Recorder | None = None,
        turn_options: TurnOptions | None = None,
        screen: Screen | None = None,
        trainee: str = "trainee",
        seed: int | None = None,
    ):
        self.persona = persona
        self.call = PracticeCall(persona, seed=seed, mode="voice", scorer=scorer_named().score)
        self.synthesizer = synthesizer
        self.transcriber = transcriber
        self.player = player
        self.microphone = microphone
        self.vad = vad
        self.folder = folder
        self.recorder = recorder
        self.turn_options = turn_options or TurnOptions()
        self.screen = screen
        self.trainee = trainee
        self.measures: list[TurnMeasure] = []
        self._playing: Playing | None = None  # the caller's line on the device, if any

    @property
    def record(self) -> CallRecord:
        return self.call.record

    def run(self) -> CallRecord:
        try:
            turn = self.call.start()
            playing, _ = self._speak(turn)
            while not self.call.over:
                turn, playing = self._one_turn(turn, playing)
            playing.wait()
        except KeyboardInterrupt:
            if self.screen:
                self.screen.write("\n(call ended by you)")
        finally:
            self._silence_caller()
            if not self.call.over:
                self.call.end()
            self._save()
        if self.screen and self.record.scorecard:
            self.screen.scorecard(self.record.scorecard)
        return self.record

    def _silence_caller(self) -> None:
        """Stop and close the line still playing (Ctrl-C mid-line). A stream left open keeps
        calling into Python from the audio thread after its objects are gone, which crashed
        the process a moment after the call ended."""
        if self._playing is not None and self._playing.is_playing:
            self._playing.stop()
        if self._playing is not None:
            self._playing.wait(2.0)
            self._playing = None

    def _speak(self, turn: CallerTurn) -> tuple[Playing, float]:
        """Synthesise and start the caller's line; show it; returns at the first sample."""
        began = time.perf_counter()
        speech = self.synthesizer.synthesize(
            turn.line, self.persona.language, turn.level, self.persona.voice
        )
        tts_s = time.perf_counter() - began
        if self.screen:
            self.screen.caller(self.persona, turn)
        self.microphone.discard_pending()  # what the mic heard while we were thinking is not a reply
        playing = self.player.start(speech.samples)
        self._playing = playing
        started = playing.wait_started()
        if self.recorder:
            self.recorder.add_caller(speech.samples, started)
        return playing, tts_s

    def _listen(self, playing: Playing) -> tuple[Utterance, float]:
        listening_since = time.monotonic()
        utterance = listen_for_reply(
            self.microphone.frames(),
            self.turn_options,
            vad=self.vad,
            caller_speaking=lambda _now: playing.is_playing,
        )
        return utterance, listening_since

    def _one_turn(self, asked: CallerTurn, playing: Playing) -> tuple[CallerTurn, Playing]:
        utterance, listening_since = self._listen(playing)
        decided = time.perf_counter()
        played = playing.wait()  # the caller's line is over (or was cut off) by now
        began = time.perf_counter()
        transcript = self.transcriber.transcribe(utterance.samples, self.persona.language)
        transcribe_s = time.perf_counter() - began
        index = len(self.record.turns) + 1
        audio_file = None
        if not utterance.is_silent:
            audio_file = f"turn-{index:02d}.wav"
            write_mono_wav(self.folder / audio_file, utterance.samples)
        speech_start = listening_since + utterance.started_s
        words = len(transcript.text.split())
        timing = TurnTiming(
            response_latency_s=max(0.0, speech_start - played.ended_s)
            if not utterance.is_silent
            else 0.0,
            speaking_s=utterance.duration_s,
            words_per_minute=60 * words / utterance.duration_s if utterance.duration_s > 0 else 0.0,
            loudness_dbfs=loudness_dbfs(utterance.samples),
            interruptions=len(utterance.interruptions),
            caller_speaking_s=played.played_samples / SAMPLE_RATE,
        )
        began = time.perf_counter()
        record, answer = self.call.answer(transcript.text, timing, audio_file)
        score_s = time.perf_counter() - began
        if self.screen:
            self.screen.write(f"you (heard): {transcript.text or '(silence)'}")
            self.screen.labels(record)
        began_speaking = time.perf_counter()
        playing, tts_s = self._speak(answer) if answer.line else (playing, 0.0)
        total_s = time.perf_counter() - decided
        playback_start_s = time.perf_counter() - began_speaking - tts_s
        self.measures.append(TurnMeasure(transcribe_s, score_s, tts_s, playback_start_s, total_s))
        self._set_latency(record.index, total_s)
        self._save()
        return answer, playing

    def _set_latency(self, index: int, total_s: float) -> None:
        turn = self.record.turns[index - 1]
        if turn.timing is not None:
            self.record.turns[index - 1] = replace(
                turn, timing=replace(turn.timing, system_latency_s=total_s)
            )

    def _save(self) -> None:
        save_session(
            self.record,
            self.folder,
            self.trainee,
            {
                "audio": "call.wav" if self.recorder else None,
                "engine": self.transcriber.engine,
                "model": self.transcriber.model,
            },
        )
