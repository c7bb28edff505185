"""The headset transport's wiring on fakes: fast, no devices or models (the real run, on a
PulseAudio device with Whisper and espeak, is tests/speech/test_voice_call_e2e.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.conftest import DATA
from voicesim.core.fakes import (
    EnergyVad,
    FakePlayer,
    ListRecorder,
    ManualClock,
    ScriptedMicrophone,
    ScriptedTranscriber,
    ToneSynthesizer,
    tone,
)
from voicesim.core.personas import load_persona
from voicesim.core.ports import SAMPLE_RATE
from voicesim.practice import LiveCall, SessionWriter, TurnOptions, fan_out
from voicesim.practice.events import CallEvent, ReplyHeard
from voicesim.practice.headset import HeadsetTransport


def test_the_headset_loop_runs_a_call_and_saves_each_turn(tmp_path: Path) -> None:
    persona = load_persona(DATA / "personas" / "test-caller.toml")
    clock = ManualClock()
    player = FakePlayer(clock)
    # The trainee: a reply, silence (the caller asks if anyone is there), two more replies.
    microphone = ScriptedMicrophone(clock, player, [tone(1.0), None, tone(1.0), tone(1.2)])
    call = LiveCall(
        persona,
        transcriber=ScriptedTranscriber(["calm down, as I said", "that's impossible", "no"]),
        synthesizer=ToneSynthesizer(),
        vad=EnergyVad(),
        turn_options=TurnOptions(end_of_turn_silence_ms=300, no_speech_timeout_s=1.0),
        seed=1,
        clock=clock,
    )
    recorder = ListRecorder()
    writer = SessionWriter(tmp_path, call.record, "tester", recorder=recorder,
                           details={"engine": "fake"})  # fmt: skip
    seen: list[CallEvent] = []
    record = HeadsetTransport(call, player, microphone, fan_out(seen.append, writer)).run()

    saved = json.loads((tmp_path / "session.json").read_text(encoding="utf-8"))
    assert record.closing is not None and saved["outcome"] == str(record.closing.outcome)
    assert saved["mode"] == "voice" and saved["trainee"] == "tester"
    assert (saved["audio"], saved["engine"]) == ("call.wav", "fake")
    replies = [turn["reply"] for turn in saved["turns"]]
    assert replies[:3] == ["calm down, as I said", "", "that's impossible"]
    assert saved["turns"][0]["audio_file"] == "turn-01.wav" and (tmp_path / "turn-01.wav").exists()
    assert saved["turns"][1]["audio_file"] is None  # silence keeps no audio
    first = saved["turns"][0]["timing"]
    assert 0.9 < first["speaking_s"] < 1.8
    # The reply began 0.3 s after the caller's line ended (the fake trainee's pause).
    assert abs(first["response_latency_s"] - 0.3) < 0.05
    assert first["caller_speaking_s"] > 0.2 and first["system_latency_s"] > 0
    # Every line was played; the recorder got each line at the time it started.
    assert len(player.playbacks) == len(saved["turns"]) + 1
    assert [at for at, _ in recorder.caller] == [p.started_s for p in player.playbacks]
    heard = sum(samples.size for _, samples in recorder.trainee) / SAMPLE_RATE
    assert heard > sum(turn["timing"]["speaking_s"] for turn in saved["turns"])
    assert len(call.measures) == len(saved["turns"])
    assert [e.index for e in seen if isinstance(e, ReplyHeard)] == list(
        range(1, len(saved["turns"]) + 1)
    )
