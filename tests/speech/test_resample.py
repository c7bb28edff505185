"""The numpy resampler: accuracy, alias rejection, and streaming equal to one-shot."""

from __future__ import annotations

import numpy as np
import pytest

from voicesim.speech.resample import StreamResampler, resample

RATES = [(22_050, 16_000), (16_000, 48_000), (48_000, 16_000), (16_000, 44_100),
         (44_100, 16_000), (16_000, 44_099)]  # the last: thousands of phases, no table


def _tone(frequency: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


@pytest.mark.parametrize(("src", "dst"), RATES)
def test_a_tone_survives_conversion(src: int, dst: int) -> None:
    converted = resample(_tone(440.0, src, 1.0), src, dst)
    assert converted.dtype == np.float32
    assert len(converted) == dst  # one second stays one second
    expected = _tone(440.0, dst, 1.0)
    assert np.abs(converted[200:-200] - expected[200:-200]).max() < 1e-3


@pytest.mark.parametrize(("src", "dst"), [(22_050, 16_000), (48_000, 16_000)])
def test_content_above_the_new_nyquist_is_removed(src: int, dst: int) -> None:
    # 0.6 x the new rate: above its Nyquist frequency, below the old one's.
    converted = resample(_tone(0.6 * dst, src, 1.0), src, dst)
    assert np.abs(converted[500:-500]).max() < 1e-2


@pytest.mark.parametrize(("src", "dst"), RATES)
def test_streaming_in_odd_chunks_equals_one_shot(src: int, dst: int) -> None:
    signal = np.random.default_rng(1).standard_normal(src // 2).astype(np.float32) * 0.1
    converter = StreamResampler(src, dst)
    pieces = [converter.process(signal[start:start + 1234])
              for start in range(0, len(signal), 1234)]
    streamed = np.concatenate([*pieces, converter.flush()])
    assert np.allclose(streamed, resample(signal, src, dst), atol=1e-6)


def test_same_rate_is_a_copy_and_bad_rates_are_refused() -> None:
    signal = np.ones(10, dtype=np.float32)
    assert np.array_equal(resample(signal, 16_000, 16_000), signal)
    with pytest.raises(ValueError, match="must be positive"):
        StreamResampler(0, 16_000)
