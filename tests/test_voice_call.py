"""The voice loop's wiring on fakes: fast, no devices or models (the real run is in tests/speech)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.core.conftest import DATA
from voicesim.core.fakes import ScriptedTranscriber, ToneSynthesizer
from voicesim.core.personas import load_persona
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.speech.turns import TurnOptions
from voicesim.voice_call import VoiceCall

FRAME = 512


@dataclass(frozen=True)
class Played:
    started_s: float
    ended_s: float
    played_samples: int


class InstantPlayback:
    """A line that has already been played the moment it starts."""

    def __init__(self, samples: Audio):
        self.samples = samples

    @property
    def is_playing(self) -> bool:
        return False

    def wait_started(self, timeout_s: float = 2.0) -> float:
        return 0.0

    def stop(self) -> None:
        pass

    def wait(self, timeout_s: float | None = None) -> Played:
        return Played(0.0, len(self.samples) / SAMPLE_RATE, len(self.samples))


class FakePlayer:
    def __init__(self) -> None:
        self.lines: list[Audio] = []

    def start(self, samples: Audio) -> InstantPlayback:
        self.lines.append(samples)
        return InstantPlayback(samples)


class ScriptedMicrophone:
    """Each listen gets one 'reply': a second of tone (speech) or nothing, then silence."""

    def __init__(self, spoken: list[bool]):
        self.spoken = list(spoken)

    def discard_pending(self) -> None:
        pass

    def frames(self) -> Iterator[Audio]:
        speaks = self.spoken.pop(0) if self.spoken else False
        if speaks:
            tone = 0.3 * np.sin(np.arange(SAMPLE_RATE) / SAMPLE_RATE * 2 * np.pi * 220).astype(
                np.float32
            )
            for start in range(0, len(tone), FRAME):
                yield tone[start : start + FRAME]
        while True:
            yield np.zeros(FRAME, dtype=np.float32)


class EnergyVad:
    def reset(self) -> None:
        pass

    def probability(self, frame: Audio) -> float:
        return 1.0 if float(np.abs(frame).max()) > 0.05 else 0.0


def test_voice_loop_runs_a_call_and_saves_each_turn(tmp_path: Path) -> None:
    persona = load_persona(DATA / "personas" / "test-caller.toml")
    player = FakePlayer()
    call = VoiceCall(
        persona,
        synthesizer=ToneSynthesizer(),
        transcriber=ScriptedTranscriber(["calm down, as I said", "that's impossible"]),
        player=player,
        microphone=ScriptedMicrophone([True, False, True, True]),
        vad=EnergyVad(),
        folder=tmp_path,
        turn_options=TurnOptions(end_of_turn_silence_ms=300, no_speech_timeout_s=1.0),
        seed=1,
    )
    record = call.run()
    saved = json.loads((tmp_path / "session.json").read_text(encoding="utf-8"))
    assert saved["mode"] == "voice" and saved["outcome"] == record.closing.outcome  # type: ignore[union-attr]
    replies = [turn["reply"] for turn in saved["turns"]]
    assert replies[:2] == ["calm down, as I said", ""]  # the second listen heard only silence
    assert saved["turns"][0]["audio_file"] == "turn-01.wav" and (tmp_path / "turn-01.wav").exists()
    assert saved["turns"][1]["audio_file"] is None
    timing = saved["turns"][0]["timing"]
    assert 0.9 < timing["speaking_s"] < 1.8 and timing["system_latency_s"] >= 0
    assert len(player.lines) == len(saved["turns"]) + 1  # the opening, then one line per reply
    assert len(call.measures) == len(saved["turns"])
