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


def test_batches_group_similar_lengths_and_bound_the_padding() -> None:
    from voicesim.speech.decoding import plan_batches, widened

    def window(frames: int) -> DecodeWindow:
        return DecodeWindow(audio_samples=frames * 160, encoder_frames=frames, max_tokens=9,
                            speech_end_sample=frames * 100)

    windows = [window(f) for f in (500, 2000, 520, 480, 1900, 510, 1000)]
    batches = plan_batches(windows, max_batch=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(windows)))
    assert batches[0] == [3, 0, 5]  # the three shortest, shortest first, at most three
    for batch in batches:
        longest = max(windows[i].encoder_frames for i in batch)
        used = sum(windows[i].encoder_frames for i in batch)
        assert longest * len(batch) - used <= 0.3 * longest * len(batch)
    assert batches[1:] == [[2, 6], [4, 1]]  # 520 + 1000 frames: 24% padding, allowed
    budget = plan_batches(windows, max_batch=3, max_frames=3000)
    assert [4, 1] not in budget and [4] in budget and [1] in budget  # 2 x 2000 > 3000
    assert budget[0] == [3, 0, 5]  # 3 x 510 padded frames fit
    wide = widened(windows[0], windows[1])
    assert (wide.encoder_frames, wide.audio_samples) == (2000, 320_000)
    assert (wide.max_tokens, wide.speech_end_sample) == (9, 50_000)


def test_segments_split_at_timestamp_pairs_as_whisper_does() -> None:
    from voicesim.speech.decoding import split_by_timestamps

    tb = 50_000  # the first timestamp token; tb + n is n x 20 ms

    def ts(seconds: float) -> int:
        return tb + round(seconds / 0.02)

    # Two closed segments, then a single timestamp at the end: the window is done.
    done = [ts(0.0), 1, 2, ts(1.5), ts(1.6), 3, ts(2.4)]
    segments, reached = split_by_timestamps(done, tb, 500)
    assert [(s.start_s, s.end_s) for s in segments] == [(0.0, 1.5), (1.6, 2.4)]
    assert reached == 500 and segments[1].tokens == (ts(1.6), 3, ts(2.4))
    # Ending on a closed pair: decoding reached only the last timestamp (2.4 s = 240 frames).
    segments, reached = split_by_timestamps([*done, ts(2.5)], tb, 500)
    assert len(segments) == 2 and reached == 240
    # No pair at all: one segment up to the last timestamp.
    segments, reached = split_by_timestamps([ts(0.0), 1, 2, ts(2.0)], tb, 500)
    assert [(s.start_s, s.end_s) for s in segments] == [(0.0, 2.0)] and reached == 500
