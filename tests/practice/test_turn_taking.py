"""End-of-turn detection on synthetic frame sequences: real espeak-ng speech, real Silero VAD.

Every sequence is built from speech rendered by the espeak-ng command line and stretches of
quiet room noise, so the expected times are known to the frame. A scripted VAD is used only in
addition, for branches real speech cannot hit on demand (a click shorter than a syllable).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from tests.speech.speech_helpers import espeak_to_audio, silence
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import ConfigError
from voicesim.practice.turn_taking import FRAME_S, TurnOptions, frames_of, listen_for_reply
from voicesim.settings import load_settings
from voicesim.speech.vad import StreamingVad

ROOM = 0.002  # faint noise floor, as from a headset microphone in a quiet room
FRAME_TOLERANCE_S = 0.1  # the VAD fires a few frames into a word and lets go a few after


@pytest.fixture(scope="module")
def vad() -> StreamingVad:
    return StreamingVad()


@pytest.fixture(scope="module")
def first() -> Audio:
    return espeak_to_audio("I understand that you have been waiting a long time.")


@pytest.fixture(scope="module")
def second() -> Audio:
    return espeak_to_audio("Let me look at your order right now.")


def _speech_span(audio: Audio) -> tuple[float, float]:
    """First and last loud sample of a clip (s): where the words really are."""
    loud = np.flatnonzero(np.abs(audio) > 0.02)
    return loud[0] / SAMPLE_RATE, loud[-1] / SAMPLE_RATE


def _sequence(*parts: Audio) -> tuple[Audio, list[float]]:
    """The parts joined, with the start time of each part."""
    starts, at = [], 0.0
    for part in parts:
        starts.append(at)
        at += len(part) / SAMPLE_RATE
    return np.concatenate(parts).astype(np.float32), starts


def test_a_thinking_pause_does_not_end_the_turn(vad: StreamingVad, first: Audio,
                                                second: Audio) -> None:
    audio, starts = _sequence(silence(1.0, ROOM), first, silence(0.4, ROOM, seed=1), second,
                              silence(2.0, ROOM, seed=2))
    reply = listen_for_reply(frames_of(audio), TurnOptions(), vad=vad)
    speech_start = starts[1] + _speech_span(first)[0]
    speech_end = starts[3] + _speech_span(second)[1]
    assert reply.started_s == pytest.approx(speech_start, abs=FRAME_TOLERANCE_S)
    # The turn ends 700 ms after the last word, not in the 400 ms pause.
    assert reply.ended_s == pytest.approx(speech_end + 0.7, abs=0.15)
    # Both sentences are in the clip, with pre-roll before and post-roll after.
    assert reply.duration_s >= speech_end - speech_start + 0.3
    assert reply.duration_s <= speech_end - speech_start + 0.3 + 0.3 + 0.2
    assert reply.interruptions == ()


def test_a_longer_pause_ends_the_turn_after_the_first_sentence(vad: StreamingVad, first: Audio,
                                                               second: Audio) -> None:
    audio, starts = _sequence(silence(1.0, ROOM), first, silence(1.5, ROOM, seed=1), second)
    reply = listen_for_reply(frames_of(audio), TurnOptions(end_of_turn_silence_ms=700), vad=vad)
    first_end = starts[1] + _speech_span(first)[1]
    assert reply.ended_s == pytest.approx(first_end + 0.7, abs=0.15)
    assert reply.ended_s < starts[3]  # decided before the second sentence began
    # A more patient listener waits through the same pause.
    patient = listen_for_reply(frames_of(audio), TurnOptions(end_of_turn_silence_ms=2000),
                               vad=vad)
    assert patient.duration_s > reply.duration_s + 1.5


def test_pre_roll_keeps_the_first_syllable(vad: StreamingVad, first: Audio) -> None:
    audio, starts = _sequence(silence(1.0, ROOM), first, silence(1.5, ROOM, seed=1))
    onset = starts[1] + _speech_span(first)[0]
    for pre_roll_ms in (0, 300):
        reply = listen_for_reply(frames_of(audio), TurnOptions(pre_roll_ms=pre_roll_ms), vad=vad)
        # Pre-roll is kept in whole frames: 300 ms is 10 frames (320 ms).
        clip_start = reply.started_s - math.ceil(pre_roll_ms / 1000 / FRAME_S) * FRAME_S
        if pre_roll_ms:
            assert clip_start <= onset - 0.1  # the onset, and some room tone before it
        # The clip begins exactly where the frames say it does.
        begin = round(clip_start * SAMPLE_RATE)
        assert np.array_equal(reply.samples[:2000], audio[begin:begin + 2000])


def test_a_long_reply_is_cut_at_max_reply(vad: StreamingVad, first: Audio,
                                          second: Audio) -> None:
    audio, _ = _sequence(silence(0.5, ROOM), *([first, second] * 4), silence(1.0, ROOM))
    reply = listen_for_reply(frames_of(audio), TurnOptions(max_reply_s=5.0), vad=vad)
    assert 5.0 - FRAME_S <= reply.duration_s <= 5.0
    assert reply.ended_s == pytest.approx(reply.started_s - 0.3 + 5.0, abs=FRAME_TOLERANCE_S)


def test_silence_times_out_with_an_empty_utterance(vad: StreamingVad) -> None:
    frames_read = 0

    def counted(audio: Audio) -> Iterator[Audio]:
        nonlocal frames_read
        for frame in frames_of(audio):
            frames_read += 1
            yield frame

    reply = listen_for_reply(counted(silence(20.0, ROOM)), TurnOptions(), vad=vad)
    assert reply.is_silent
    assert reply.ended_s == pytest.approx(8.0, abs=FRAME_S)
    assert frames_read * FRAME_S == pytest.approx(8.0, abs=FRAME_S)  # stopped reading at 8 s


def test_the_timeout_counts_from_the_end_of_the_callers_line(vad: StreamingVad) -> None:
    reply = listen_for_reply(frames_of(silence(20.0, ROOM)), TurnOptions(no_speech_timeout_s=3),
                             vad=vad, caller_speaking=lambda t: t < 4.0)
    assert reply.is_silent
    assert reply.ended_s == pytest.approx(7.0, abs=2 * FRAME_S)


def test_speech_over_the_callers_line_is_an_interruption(vad: StreamingVad, first: Audio,
                                                         second: Audio) -> None:
    # The caller talks for 4 s; the trainee talks over them, stops, then replies properly.
    audio, starts = _sequence(silence(1.0, ROOM), first, silence(2.0, ROOM, seed=1), second,
                              silence(2.0, ROOM, seed=2))
    reply = listen_for_reply(frames_of(audio), TurnOptions(), vad=vad,
                             caller_speaking=lambda t: t < 4.0)
    assert len(reply.interruptions) == 1
    assert reply.interruptions[0] == pytest.approx(starts[1] + _speech_span(first)[0],
                                                   abs=FRAME_TOLERANCE_S)
    # The interjection is not the reply: the reply is the second sentence.
    assert reply.started_s == pytest.approx(starts[3] + _speech_span(second)[0],
                                            abs=FRAME_TOLERANCE_S)


def test_talking_on_past_the_callers_line_is_the_reply(vad: StreamingVad, first: Audio) -> None:
    audio, starts = _sequence(silence(2.5, ROOM), first, silence(2.0, ROOM, seed=1))
    reply = listen_for_reply(frames_of(audio), TurnOptions(), vad=vad,
                             caller_speaking=lambda t: t < 3.0)
    onset = starts[1] + _speech_span(first)[0]
    assert reply.interruptions == pytest.approx((onset,), abs=FRAME_TOLERANCE_S)
    assert reply.started_s == pytest.approx(onset, abs=FRAME_TOLERANCE_S)
    assert reply.duration_s > 2.5


def test_a_short_back_channel_is_not_an_interruption(vad: StreamingVad) -> None:
    mm = espeak_to_audio("Yes.")
    audio, _ = _sequence(silence(1.0, ROOM), mm, silence(5.0, ROOM, seed=1))
    reply = listen_for_reply(frames_of(audio), TurnOptions(min_interruption_ms=600), vad=vad,
                             caller_speaking=lambda t: t < 3.0)
    assert reply.interruptions == ()


class ScriptedVad:
    """Returns a scripted probability per frame (0.0 when the script runs out)."""

    def __init__(self, probabilities: list[float]):
        self.probabilities = probabilities
        self.position = 0
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def probability(self, frame: Audio) -> float:
        value = self.probabilities[self.position] if self.position < len(
            self.probabilities) else 0.0
        self.position += 1
        return value


def test_a_click_shorter_than_min_speech_is_ignored() -> None:
    script = [0.0] * 10 + [0.9] * 3 + [0.0] * 40 + [0.9] * 30 + [0.0] * 40
    fake = ScriptedVad(script)
    frames = frames_of(silence(len(script) * FRAME_S, ROOM))
    reply = listen_for_reply(frames, TurnOptions(min_speech_ms=250), vad=fake)
    assert fake.resets == 1
    assert reply.started_s == pytest.approx(53 * FRAME_S)


def test_hysteresis_keeps_a_soft_syllable_inside_the_reply() -> None:
    # 0.4 is below the speech threshold but above the silence threshold: still speech.
    script = [0.0] * 5 + [0.9] * 10 + [0.4] * 25 + [0.9] * 10 + [0.0] * 40
    reply = listen_for_reply(frames_of(silence(len(script) * FRAME_S, ROOM)), TurnOptions(),
                             vad=ScriptedVad(script))
    assert reply.ended_s == pytest.approx((50 + 22) * FRAME_S)


def test_frames_run_out_mid_reply() -> None:
    script = [0.0] * 5 + [0.9] * 20
    reply = listen_for_reply(frames_of(silence(len(script) * FRAME_S, ROOM)), TurnOptions(),
                             vad=ScriptedVad(script))
    assert not reply.is_silent and reply.ended_s == pytest.approx(25 * FRAME_S)


def test_frames_of_pads_the_last_frame() -> None:
    frames = list(frames_of(np.ones(1000, dtype=np.float32)))
    assert [frame.shape for frame in frames] == [(512,), (512,)]
    assert frames[1][:488].sum() == 488 and frames[1][488:].sum() == 0


def test_options_are_validated_and_read_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match="end_of_turn_silence_ms must be positive"):
        TurnOptions(end_of_turn_silence_ms=0)
    with pytest.raises(ConfigError, match="thresholds"):
        TurnOptions(speech_threshold=0.3, silence_threshold=0.5)
    monkeypatch.setenv("VOICESIM_END_OF_TURN_SILENCE_MS", "900")
    monkeypatch.setenv("VOICESIM_MAX_REPLY_S", "12.5")
    monkeypatch.setenv("VOICESIM_PRE_ROLL_MS", "200")
    options = TurnOptions.from_settings(load_settings())
    assert (options.end_of_turn_silence_ms, options.max_reply_s, options.pre_roll_ms) == (
        900, 12.5, 200)
    # A flag wins over the variable.
    flagged = TurnOptions.from_settings(load_settings({"end_of_turn_silence_ms": 1200}))
    assert flagged.end_of_turn_silence_ms == 1200
    monkeypatch.setenv("VOICESIM_NO_SPEECH_TIMEOUT_S", "soon")
    with pytest.raises(ConfigError, match="VOICESIM_NO_SPEECH_TIMEOUT_S='soon' is not a number"):
        load_settings()
