"""The live call on its own: audio in any chunk size, typed replies and playback reports in,
typed events out. Fakes for the models (the real ones run in tests/speech)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.core.conftest import DATA
from voicesim.core.fakes import (
    EnergyVad,
    ManualClock,
    ScriptedTranscriber,
    ToneSynthesizer,
    tone,
)
from voicesim.core.personas import Persona, load_persona
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import CallOverError
from voicesim.practice import (
    CallEnded,
    CallerLine,
    CallerLineStarted,
    CallEvent,
    Interruption,
    LiveCall,
    ReplyHeard,
    ReplyScored,
    SpeechStarted,
    TurnOptions,
)

BROWSER_CHUNK = 128  # an AudioWorklet's render quantum


@pytest.fixture(scope="module")
def persona() -> Persona:
    return load_persona(DATA / "personas" / "test-caller.toml")


def voice_call(persona: Persona, clock: ManualClock, texts: list[str],
               seconds_per_character: float = 0.01) -> LiveCall:
    synthesizer = ToneSynthesizer()
    synthesizer.seconds_per_character = seconds_per_character
    return LiveCall(persona, transcriber=ScriptedTranscriber(texts), synthesizer=synthesizer,
                    vad=EnergyVad(), seed=1, clock=clock,
                    turn_options=TurnOptions(end_of_turn_silence_ms=300, no_speech_timeout_s=2))


def feed(call: LiveCall, audio: Audio, at_s: float, chunk: int = BROWSER_CHUNK) -> list[CallEvent]:
    """``audio`` from ``at_s`` on, in chunks of ``chunk`` samples, each stamped with its time."""
    events: list[CallEvent] = []
    for start in range(0, audio.size, chunk):
        events += call.feed_audio(audio[start:start + chunk], at_s + start / SAMPLE_RATE)
    return events


def of(kind: type, events: list[CallEvent]) -> list:  # type: ignore[type-arg]
    return [event for event in events if isinstance(event, kind)]


def test_a_reply_in_small_chunks_is_heard_timed_and_answered(persona: Persona) -> None:
    clock = ManualClock(100.0)
    call = voice_call(persona, clock, ["calm down, as I said"])
    (opening,) = call.start()
    assert isinstance(opening, CallerLine) and opening.text == "OPENING where is T-1?"
    assert opening.speech is not None and opening.level == 2
    assert of(CallerLineStarted, call.caller_started(0, 100.05))
    line_end = 100.05 + opening.speech.duration_s
    call.caller_stopped(0, line_end, opening.speech.samples.size)
    # 0.5 s after the line, one second of "speech", then silence until the turn ends.
    audio = np.concatenate([np.zeros(round((line_end + 0.5 - 100) * SAMPLE_RATE), np.float32),
                            tone(1.0), np.zeros(SAMPLE_RATE, np.float32)])
    events = feed(call, audio, 100.0)
    (started,) = of(SpeechStarted, events)
    assert started.at_s == pytest.approx(line_end + 0.5, abs=0.04)
    (heard,) = of(ReplyHeard, events)
    assert (heard.index, heard.text, heard.audio_file) == (1, "calm down, as I said", "turn-01.wav")
    assert heard.timing.response_latency_s == pytest.approx(0.5, abs=0.04)
    assert heard.timing.interruptions == 0 and 1.0 <= heard.timing.speaking_s < 1.7
    (scored,) = of(ReplyScored, events)
    assert "dismissive" in [str(label) for label in scored.turn.score.labels]
    (answer,) = of(CallerLine, events)
    assert answer.line_id == 1 and answer.level == 3  # "calm down" made it worse
    assert "DISMISSIVE" in answer.text and answer.reason
    # The caller's answer is heard 0.2 s after the decision: that is the system latency.
    clock.now = heard.decided_at_s + 0.2
    call.caller_started(1, clock.now)
    assert call.record.turns[0].timing is not None
    assert call.record.turns[0].timing.system_latency_s == pytest.approx(0.2)
    assert call.measures[0].total_s == pytest.approx(0.2)


def test_talking_over_the_caller_is_an_interruption(persona: Persona) -> None:
    clock = ManualClock(100.0)
    call = voice_call(persona, clock, ["I see"], seconds_per_character=0.2)
    (opening,) = call.start()
    assert opening.speech is not None
    call.caller_started(0, 100.0)
    length = opening.speech.duration_s  # about 4 s; no end reported: it plays its length
    audio = np.concatenate([np.zeros(round((length - 0.5) * SAMPLE_RATE), np.float32),
                            tone(1.5), np.zeros(SAMPLE_RATE, np.float32)])
    events = feed(call, audio, 100.0, chunk=1000)  # chunks that are no multiple of a frame
    (interruption,) = of(Interruption, events)
    assert interruption.at_s == pytest.approx(100.0 + length - 0.5, abs=0.04)
    (heard,) = of(ReplyHeard, events)
    assert heard.timing.interruptions == 1 and heard.timing.response_latency_s == 0.0
    assert "talked over the caller 1x" in call.record.turns[0].transition.reason


def test_audio_from_while_the_call_was_busy_is_no_reply(persona: Persona) -> None:
    clock = ManualClock(100.0)
    call = voice_call(persona, clock, ["first", "second"])
    call.start()
    call.caller_started(0, 100.0)
    call.caller_stopped(0, 100.2, 3200)
    clock.now = 103.0  # transcribing and answering take the clock to 103 s ...
    events = feed(call, np.concatenate([tone(1.0), np.zeros(SAMPLE_RATE, np.float32)]), 100.5)
    assert of(ReplyHeard, events)  # ... and the next line is handed out at 103 s
    # Speech captured before 103 s (queued while the call was busy) is recorded, not heard.
    stale = feed(call, tone(0.5), 102.0)
    assert not of(SpeechStarted, stale) and len(stale) > 1  # only TraineeAudio
    fresh = feed(call, tone(0.5), 103.1)
    assert of(SpeechStarted, fresh)


def test_reports_about_an_old_line_change_nothing(persona: Persona) -> None:
    clock = ManualClock(100.0)
    call = voice_call(persona, clock, ["hello there"])
    call.start()
    assert call.caller_started(7, 100.0) == [] and call.caller_stopped(7, 101.0, 10) == []
    assert call.caller_started(0, 100.0) and call.caller_started(0, 100.5) == []


def test_the_trainee_can_end_a_spoken_call(persona: Persona) -> None:
    clock = ManualClock(100.0)
    call = voice_call(persona, clock, [])
    call.start()
    (ended,) = call.end()
    assert isinstance(ended, CallEnded) and ended.by_trainee
    assert ended.record.scorecard is not None and str(ended.record.closing.outcome) == "ended"  # type: ignore[union-attr]
    assert call.end() == [] and call.over
    assert [type(e).__name__ for e in call.feed_audio(tone(0.1), 101.0)] == ["TraineeAudio"]


def test_a_typed_call_gives_the_same_events_without_audio(persona: Persona) -> None:
    call = LiveCall(persona, seed=1)
    assert call.mode == "text"
    (opening,) = call.start()
    assert isinstance(opening, CallerLine) and opening.speech is None
    events = call.feed_text("calm down, as I said")
    assert [type(e).__name__ for e in events] == ["ReplyScored", "CallerLine"]
    replies = ["calm down", "as I said", "not my department", "calm down"]
    while not call.over:
        events = call.feed_text(replies.pop())
    assert isinstance(events[-1], CallEnded) and not events[-1].by_trainee
    assert isinstance(events[-2], CallerLine) and events[-2].last
    with pytest.raises(CallOverError):
        call.feed_text("sorry")


def test_jittery_stamps_still_join_into_whole_frames(persona: Persona) -> None:
    clock = ManualClock(100.0)
    call = voice_call(persona, clock, ["what happened?"])
    call.start()
    call.caller_started(0, 100.0)
    call.caller_stopped(0, 100.2, 3200)
    audio = np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), tone(1.0),
                            np.zeros(SAMPLE_RATE, np.float32)])
    jitter = np.random.default_rng(1).uniform(-0.004, 0.004, audio.size // BROWSER_CHUNK + 1)
    events: list[CallEvent] = []
    for number, start in enumerate(range(0, audio.size, BROWSER_CHUNK)):
        stamp = 100.3 + start / SAMPLE_RATE + float(jitter[number])
        events += call.feed_audio(audio[start:start + BROWSER_CHUNK], stamp)
    (heard,) = of(ReplyHeard, events)
    assert heard.text == "what happened?" and 1.0 <= heard.timing.speaking_s < 1.7
    assert len(of(SpeechStarted, events)) == 1
