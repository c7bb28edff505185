"""What every Whisper engine adapter takes and returns, and the short-window plan.

Both engines pad every clip to a 30 s encoder window, so a 4 s reply costs nearly as much as
a 28 s one; with that window the encoder is 70-85% of the time on a CPU. Like whisper.cpp's
``audio_ctx``, the transcriber can instead give the encoder only the frames the speech needs
plus a margin (2 s: a 1 s margin caused repetition loops). Measured on 139 short English
clips (tiny.en, 2 cores) that cut total time about 3x at equal accuracy.

A short window occasionally sends the decoder into a confident loop (log-probability -0.1 to
-0.3, so the usual threshold does not catch it). Two guards detect that, and the clip is then
decoded again with the full 30 s window:

- a token cap of ``ceil(6 x seconds) + 10``: more tokens than speech of that length can need;
- the gzip compression ratio of the text above 2.4 (Whisper's own repetition test);
- and no text at all although the VAD heard speech (seen on a Danish clip whose short-window
  decode was dropped by Whisper's no-speech test, while the full window transcribed it).

This module is pure (numpy only) so the plan can be tested without a model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio, Segment

FULL_WINDOW_S = 30.0
MEL_FRAMES_PER_S = 100  # Whisper's hop: 160 samples at 16 kHz
FULL_WINDOW_FRAMES = int(FULL_WINDOW_S * MEL_FRAMES_PER_S)  # 3000


@dataclass(frozen=True)
class DecodeSettings:
    """How to decode, the same for the short and the full window."""

    beam_size: int  # 1 = greedy
    best_of: int  # samples drawn at each fallback temperature above 0
    temperatures: tuple[float, ...]  # the fallback ladder; the first is used unless it fails
    compression_ratio_threshold: float  # above it a decode counts as repetitive
    log_prob_threshold: float  # below it a decode counts as unsure (next temperature)
    no_speech_threshold: float  # with a low log-probability, above it a window is dropped
    word_timestamps: bool  # align each word to the audio (costs a little extra time)


@dataclass(frozen=True)
class DecodeWindow:
    """A shortened encoder window for one clip."""

    audio_samples: int  # the clip is cut or zero-padded to exactly this many samples
    encoder_frames: int  # mel frames the encoder sees (even: the encoder halves them)
    max_tokens: int  # the token cap; reaching it means the decode looped
    speech_end_sample: int = 0  # where the VAD heard the speech end (0: not known)

    @property
    def seconds(self) -> float:
        return self.audio_samples / SAMPLE_RATE


@dataclass(frozen=True)
class DecodeResult:
    """An engine's answer for one clip."""

    segments: tuple[Segment, ...]
    token_count: int  # tokens generated, timestamps included
    max_compression_ratio: float  # the worst window's gzip ratio
    min_avg_logprob: float = 0.0  # the least sure window's average token log-probability

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


class WhisperEngine(Protocol):
    """One loaded Whisper model behind one engine (shared by every transcriber using it)."""

    name: str  # the backend table key, e.g. "faster-whisper"
    model: str  # the model name or path it was loaded from

    def supports_language(self, lang: str) -> bool: ...

    def decode(self, audio: Audio, lang: str, settings: DecodeSettings,
               window: DecodeWindow | None) -> DecodeResult:
        """Transcribes ``audio`` in ``lang``; ``window=None`` means the standard 30 s path."""
        ...

    def decode_batch(self, audios: Sequence[Audio], lang: str, settings: DecodeSettings,
                     windows: Sequence[DecodeWindow]) -> list[DecodeResult | None]:
        """Several clips, each already fitted to its window (all windows the same length),
        through the encoder and the decoder together at the first temperature.

        None for a clip whose result ``decode`` could have turned out differently (a
        temperature fallback, or speech left after the last timestamp): the caller decodes
        it alone. An engine that cannot batch returns None for every clip.
        """
        ...


def plan_window(n_samples: int, speech_end_sample: int, margin_s: float,
                tokens_per_s: float = 6.0, extra_tokens: int = 10) -> DecodeWindow | None:
    """The short window for a clip whose speech ends at ``speech_end_sample``, or None.

    The window runs from the start of the clip to the end of the speech plus ``margin_s``;
    trailing audio beyond that (which the VAD found silent) is dropped, and a clip shorter
    than the window is padded with digital silence, which is what the encoder sees after the
    end of a clip in the full window too. None when the window would not be shorter than
    the full 30 s one.
    """
    speech_end = min(max(speech_end_sample, 0), n_samples)
    audio_samples = speech_end + round(margin_s * SAMPLE_RATE)
    seconds = audio_samples / SAMPLE_RATE
    frames = math.ceil(seconds * MEL_FRAMES_PER_S / 2) * 2
    if frames >= FULL_WINDOW_FRAMES or audio_samples <= 0:
        return None
    speech_s = speech_end / SAMPLE_RATE
    return DecodeWindow(audio_samples=audio_samples, encoder_frames=frames,
                        max_tokens=math.ceil(tokens_per_s * speech_s) + extra_tokens,
                        speech_end_sample=speech_end)


def plan_batches(windows: Sequence[DecodeWindow], max_batch: int, max_frames: int = 0,
                 max_padding: float = 0.3) -> list[list[int]]:
    """Indices of ``windows`` grouped for ``decode_batch``, shortest first.

    A batch runs at the length of its longest window, so a clip joins a batch only while
    the padding stays under ``max_padding`` of the batch's encoder frames, the batch under
    ``max_batch`` clips and (when given) its padded frames under ``max_frames``: the
    encoder's attention memory grows with the batch times the square of its length.
    """
    order = sorted(range(len(windows)), key=lambda i: windows[i].encoder_frames)
    batches: list[list[int]] = []
    used = 0
    for index in order:
        frames = windows[index].encoder_frames
        if batches and len(batches[-1]) < max_batch:
            padded = frames * (len(batches[-1]) + 1)
            if (padded - (used + frames) <= max_padding * padded
                    and (not max_frames or padded <= max_frames)):
                batches[-1].append(index)
                used += frames
                continue
        batches.append([index])
        used = frames
    return batches


def widened(window: DecodeWindow, like: DecodeWindow) -> DecodeWindow:
    """``window`` stretched to the length of ``like`` (its speech and token cap unchanged):
    a clip in a batch is padded with silence to the batch's longest window."""
    return replace(window, audio_samples=like.audio_samples, encoder_frames=like.encoder_frames)


TIME_PRECISION_S = 0.02  # one timestamp token step; the encoder halves the 10 ms mel frames


@dataclass(frozen=True)
class TimedTokens:
    """One segment of a decode: its tokens (timestamps included) and where it lies."""

    start_s: float
    end_s: float
    tokens: tuple[int, ...]


def split_by_timestamps(tokens: Sequence[int], timestamp_begin: int, content_frames: int
                        ) -> tuple[list[TimedTokens], int]:
    """Whisper's segments of one window's tokens, and the mel frame decoding reached.

    The rule both engines apply inside ``transcribe``: a pair of consecutive timestamp
    tokens closes a segment; a single timestamp at the end means the speech ran to the end
    of the window (all ``content_frames`` are done); otherwise decoding reached only the
    last closed segment, and ``transcribe`` would decode the rest in another window.
    """
    tokens = list(tokens)
    single_ending = len(tokens) >= 2 and tokens[-2] < timestamp_begin <= tokens[-1]
    cuts = [i for i in range(1, len(tokens))
            if tokens[i] >= timestamp_begin and tokens[i - 1] >= timestamp_begin]
    if not cuts:
        stamps = [t for t in tokens if t >= timestamp_begin]
        end_s = content_frames / MEL_FRAMES_PER_S
        if stamps and stamps[-1] != timestamp_begin:
            end_s = (stamps[-1] - timestamp_begin) * TIME_PRECISION_S
        return [TimedTokens(0.0, end_s, tuple(tokens))], content_frames
    if single_ending:
        cuts.append(len(tokens))
    segments: list[TimedTokens] = []
    last = 0
    for cut in cuts:
        piece = tokens[last:cut]
        segments.append(TimedTokens((piece[0] - timestamp_begin) * TIME_PRECISION_S,
                                    (piece[-1] - timestamp_begin) * TIME_PRECISION_S,
                                    tuple(piece)))
        last = cut
    if single_ending:
        return segments, content_frames
    frames_per_step = round(TIME_PRECISION_S * MEL_FRAMES_PER_S)
    return segments, (tokens[last - 1] - timestamp_begin) * frames_per_step


def batched_result(tokens: Sequence[int], avg_logprob: float, compression_ratio: float,
                   timestamp_begin: int, window: DecodeWindow, settings: DecodeSettings,
                   text_of: Callable[[Sequence[int]], str]) -> DecodeResult | None:
    """One clip's answer from a batched first-temperature decode, or None where the
    engine's ``transcribe`` would have gone on: a repetitive or unsure decode (the next
    temperature) or speech left after the last closed segment (another window)."""
    if (compression_ratio > settings.compression_ratio_threshold
            or avg_logprob < settings.log_prob_threshold):
        return None
    content_frames = window.audio_samples * MEL_FRAMES_PER_S // SAMPLE_RATE
    segments, reached = split_by_timestamps(tokens, timestamp_begin, content_frames)
    if reached * SAMPLE_RATE // MEL_FRAMES_PER_S < window.speech_end_sample:
        return None
    texts = [(segment, text_of(segment.tokens).strip()) for segment in segments]
    kept = [(s, text) for s, text in texts if s.start_s != s.end_s and text]
    return DecodeResult(
        segments=tuple(Segment(text=text, start_s=s.start_s, end_s=s.end_s)
                       for s, text in kept),
        token_count=sum(len(s.tokens) for s, _ in kept),
        max_compression_ratio=compression_ratio if kept else 0.0,
        min_avg_logprob=avg_logprob if kept else 0.0)


def fit_to_window(audio: Audio, window: DecodeWindow) -> Audio:
    """The clip cut or zero-padded to the window's length."""
    out = np.zeros(window.audio_samples, dtype=np.float32)
    keep = min(audio.size, window.audio_samples)
    out[:keep] = audio[:keep]
    return out


def looks_degenerate(result: DecodeResult, window: DecodeWindow,
                     compression_ratio_threshold: float) -> bool:
    """True when a short-window decode hit the token cap, repeats itself or came back empty.

    Only called for clips the VAD found speech in, so empty text is a failure here.
    """
    return (result.token_count >= window.max_tokens
            or result.max_compression_ratio > compression_ratio_threshold
            or not result.text)
