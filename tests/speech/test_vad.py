"""Silero VAD (the ONNX model shipped with faster-whisper) on real espeak-ng speech."""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech.speech_helpers import espeak_to_audio, silence
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioError
from voicesim.speech.vad import FRAME_SAMPLES, SileroVad, StreamingVad, load_vad


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return load_vad()


@pytest.fixture(scope="module")
def speech() -> Audio:
    return espeak_to_audio("I am sorry about your parcel. Let me check that for you.")


def test_one_probability_per_32_ms_frame(vad: SileroVad, speech: Audio) -> None:
    probabilities = vad.speech_probabilities(speech)
    assert len(probabilities) == -(-len(speech) // FRAME_SAMPLES)
    assert probabilities.dtype == np.float32
    assert probabilities.min() >= 0 and probabilities.max() <= 1
    assert probabilities.max() > 0.9


def test_spans_find_the_speech_between_silences(vad: SileroVad, speech: Audio) -> None:
    reply = espeak_to_audio("Yes.")
    clip = np.concatenate([silence(1.0), speech, silence(1.5), reply, silence(1.0)])
    spans = vad.speech_spans(clip, pad_ms=0)
    assert len(spans) == 2
    (start1, end1), (start2, end2) = spans
    second_starts = SAMPLE_RATE + len(speech) + int(1.5 * SAMPLE_RATE)
    assert abs(start1 - SAMPLE_RATE) < 0.3 * SAMPLE_RATE
    assert abs(end1 - (SAMPLE_RATE + len(speech))) < 0.4 * SAMPLE_RATE
    assert abs(start2 - second_starts) < 0.3 * SAMPLE_RATE and end2 <= len(clip)
    padded = vad.speech_spans(clip, pad_ms=200)
    assert padded[0][0] == start1 - 200 * SAMPLE_RATE // 1000


def test_silence_and_noise_hold_no_speech(vad: SileroVad, speech: Audio) -> None:
    noise = (np.random.default_rng(0).standard_normal(3 * SAMPLE_RATE) * 0.1).astype(np.float32)
    hum = (0.3 * np.sin(2 * np.pi * 100 * np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE))
    for clip in (silence(3.0), noise, hum.astype(np.float32), np.zeros(0, np.float32)):
        assert not vad.has_speech(clip)
        assert vad.speech_spans(clip) == []
    assert vad.has_speech(speech)


def test_streaming_gives_the_same_probabilities_as_a_whole_clip(vad: SileroVad,
                                                                speech: Audio) -> None:
    clip = np.concatenate([silence(0.5), speech])
    whole = vad.speech_probabilities(clip)
    stream = StreamingVad(vad)
    frames = len(clip) // FRAME_SAMPLES
    streamed = [stream.probability(clip[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES])
                for i in range(frames)]
    np.testing.assert_allclose(streamed, whole[:frames], atol=1e-5)

    stream.reset()  # a new stream starts from a fresh state
    assert stream.probability(clip[:FRAME_SAMPLES]) == pytest.approx(float(whole[0]), abs=1e-5)


def test_wrong_shapes_are_refused(vad: SileroVad) -> None:
    with pytest.raises(AudioError, match="512 samples"):
        StreamingVad(vad).probability(np.zeros(480, np.float32))
    with pytest.raises(AudioError, match="mono"):
        vad.speech_probabilities(np.zeros((2, 16000), np.float32))
