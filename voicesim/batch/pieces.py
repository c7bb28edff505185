"""Turns and the pieces of speech Whisper is given, from one channel's VAD spans.

A turn is one speaker's speech up to a pause of ``turn_gap_s``. A piece is what one Whisper
call transcribes: the speech spans of one turn, in order, with every pause longer than
``keep_pause_s`` shortened to that length, no longer than ``max_piece_s`` (Whisper's window is
30 s). Silence costs encoder time and tells Whisper nothing, so a reply of 40 s with 12 s of
pauses becomes pieces with 28 s of audio. A turn longer than a piece is cut at a pause
between spans, and a span longer than a piece (speech without a pause) at its least speechy
frame, never at an arbitrary sample in the middle of a word.

Times inside a piece's audio map back to the recording with ``Piece.to_recording``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.speech.vad import FRAME_SAMPLES

Interval = tuple[int, int]  # (start, end) samples of the recording, end exclusive
_CUT_SEARCH_S = 5.0  # a long span is cut at its quietest frame within this much of the limit


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: its extent and the speech spans inside it."""

    speaker: str  # "agent" or "customer"
    spans: tuple[Interval, ...]

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


@dataclass(frozen=True)
class Piece:
    """Audio stretches of one turn that are transcribed together, pauses shortened."""

    turn: int  # index of its turn in the call's turn list
    channel: int  # column of the decoded audio it is cut from
    intervals: tuple[Interval, ...]  # recording samples joined end to end, in order

    @property
    def start(self) -> int:
        return self.intervals[0][0]

    @property
    def end(self) -> int:
        return self.intervals[-1][1]

    @property
    def n_samples(self) -> int:
        return sum(b - a for a, b in self.intervals)

    def audio(self, source: Audio, source_start: int) -> Audio:
        """The piece cut from ``source`` (one channel starting at sample ``source_start``)."""
        return np.concatenate(
            [source[a - source_start: b - source_start] for a, b in self.intervals]
        ).astype(np.float32, copy=False)

    def to_recording(self, seconds: float) -> float:
        """A time in the piece's audio as seconds of the recording."""
        sample = round(seconds * SAMPLE_RATE)
        offsets = [0]
        for a, b in self.intervals[:-1]:
            offsets.append(offsets[-1] + b - a)
        index = max(0, bisect.bisect_right(offsets, sample) - 1)
        start, end = self.intervals[index]
        return min(start + max(sample - offsets[index], 0), end) / SAMPLE_RATE


def group_turns(speaker: str, spans: list[Interval], turn_gap_s: float) -> list[Turn]:
    """Spans separated by less than ``turn_gap_s`` (a thinking pause) form one turn."""
    gap = round(turn_gap_s * SAMPLE_RATE)
    groups: list[list[Interval]] = []
    for span in spans:
        if groups and span[0] - groups[-1][-1][1] < gap:
            groups[-1].append(span)
        else:
            groups.append([span])
    return [Turn(speaker, tuple(group)) for group in groups]


def plan_pieces(turn: Turn, turn_index: int, channel: int, probs: npt.NDArray[np.float32],
                max_piece_s: float, keep_pause_s: float) -> list[Piece]:
    """The pieces of one turn, in order; see the module docstring."""
    limit = round(max_piece_s * SAMPLE_RATE)
    keep = round(keep_pause_s * SAMPLE_RATE)
    spans = [part for span in turn.spans for part in _cut_long(span, probs, limit)]
    pieces: list[list[Interval]] = []
    length = 0
    for start, end in spans:
        if pieces:
            last_end = pieces[-1][-1][1]
            added = min(start - last_end, keep) + end - start
            if length + added <= limit:
                pieces[-1].append((start, end))
                length += added
                continue
        pieces.append([(start, end)])
        length = end - start
    return [Piece(turn_index, channel, _joined(group, keep)) for group in pieces]


def _joined(spans: list[Interval], keep: int) -> tuple[Interval, ...]:
    """Spans with the pauses between them: short pauses whole, long ones cut to ``keep``
    (half after the speech before, half before the speech after)."""
    out: list[Interval] = []
    for start, end in spans:
        if out and start - out[-1][1] <= keep:
            out[-1] = (out[-1][0], end)
            continue
        if out:
            out[-1] = (out[-1][0], out[-1][1] + keep // 2)
            start -= keep - keep // 2
        out.append((start, end))
    return tuple(out)


def _cut_long(span: Interval, probs: npt.NDArray[np.float32], limit: int) -> list[Interval]:
    """A span no longer than ``limit`` samples, or cut at its least speechy frames."""
    start, end = span
    parts: list[Interval] = []
    search = min(round(_CUT_SEARCH_S * SAMPLE_RATE), limit // 2)
    while end - start > limit:
        first = (start + limit - search) // FRAME_SAMPLES + 1
        last = (start + limit) // FRAME_SAMPLES
        window = probs[first:last]
        cut = (first + int(np.argmin(window))) * FRAME_SAMPLES if window.size else start + limit
        parts.append((start, cut))
        start = cut
    parts.append((start, end))
    return parts
