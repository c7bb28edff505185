"""The short-window plan and the loop detector (pure: no model needed)."""

from __future__ import annotations

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Segment
from voicesim.speech.decoding import (
    DecodeResult,
    DecodeWindow,
    fit_to_window,
    looks_degenerate,
    plan_window,
)


def test_the_window_is_the_speech_plus_the_margin() -> None:
    window = plan_window(n_samples=5 * SAMPLE_RATE, speech_end_sample=4 * SAMPLE_RATE,
                         margin_s=2.0)
    assert window is not None
    assert window.audio_samples == 6 * SAMPLE_RATE
    assert window.encoder_frames == 600  # 100 mel frames a second, always even
    assert window.max_tokens == 6 * 4 + 10


def test_odd_lengths_round_up_to_an_even_frame_count() -> None:
    window = plan_window(n_samples=SAMPLE_RATE, speech_end_sample=12_345, margin_s=2.0)
    assert window is not None and window.encoder_frames % 2 == 0
    assert window.encoder_frames >= window.seconds * 100


def test_no_short_window_when_it_would_not_be_shorter() -> None:
    assert plan_window(29 * SAMPLE_RATE, 29 * SAMPLE_RATE, 2.0) is None
    assert plan_window(60 * SAMPLE_RATE, 40 * SAMPLE_RATE, 2.0) is None
    assert plan_window(27 * SAMPLE_RATE, 27 * SAMPLE_RATE, 2.0) is not None


def test_clips_are_cut_or_padded_with_silence_to_the_window() -> None:
    window = DecodeWindow(audio_samples=100, encoder_frames=2, max_tokens=10)
    short, long = np.ones(60, np.float32), np.ones(150, np.float32)
    assert fit_to_window(short, window).tolist() == [1.0] * 60 + [0.0] * 40
    assert fit_to_window(long, window).tolist() == [1.0] * 100


def test_loops_caps_and_empty_results_count_as_degenerate() -> None:
    window = DecodeWindow(audio_samples=SAMPLE_RATE, encoder_frames=300, max_tokens=20)
    text = (Segment(text="Sorry about that.", start_s=0.0, end_s=1.0),)
    fine = DecodeResult(segments=text, token_count=8, max_compression_ratio=1.1)
    assert not looks_degenerate(fine, window, 2.4)
    capped = DecodeResult(segments=text, token_count=20, max_compression_ratio=1.1)
    looping = DecodeResult(segments=text, token_count=12, max_compression_ratio=3.0)
    empty = DecodeResult(segments=(), token_count=0, max_compression_ratio=0.0)
    assert all(looks_degenerate(r, window, 2.4) for r in (capped, looping, empty))
