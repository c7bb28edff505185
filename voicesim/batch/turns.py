"""Turns and call-level facts from speech spans: who spoke when, and how the agent behaved.

Pure arithmetic on (start_s, end_s) spans, apart from ``speech_spans_s``, which runs the
Silero VAD only where a channel is louder than an energy floor: a recording that is mostly
silence (hours of hold time) costs little, and speech is still judged by the model.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio

FRAME_SAMPLES = 512  # one Silero frame (32 ms)
_GATE_MARGIN_FRAMES = 16  # about 0.5 s of context kept around loud stretches for the model

Span = tuple[float, float]


def speech_spans_s(samples: Audio, offset_s: float, energy_floor_dbfs: float,
                   turn_gap_s: float) -> list[Span]:
    """Speech in one channel of one window, in seconds from the start of the file."""
    from voicesim.speech.vad import load_vad

    if samples.size == 0:
        return []
    n_frames = -(-samples.size // FRAME_SAMPLES)
    padded = np.zeros(n_frames * FRAME_SAMPLES, dtype=np.float32)
    padded[: samples.size] = samples
    frame_rms = np.sqrt(np.mean(padded.reshape(n_frames, FRAME_SAMPLES) ** 2, axis=1))
    loud = frame_rms >= 10 ** (energy_floor_dbfs / 20)
    if not loud.any():
        return []
    # Widen loud frames by the margin, then run the model on each contiguous stretch.
    kernel = np.ones(2 * _GATE_MARGIN_FRAMES + 1)
    active = np.convolve(loud.astype(np.float64), kernel, mode="same") > 0
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    vad = load_vad()
    spans: list[Span] = []
    for first, last in zip(starts, ends, strict=True):
        begin = int(first) * FRAME_SAMPLES
        piece = samples[begin: int(last) * FRAME_SAMPLES]
        for s, e in vad.speech_spans(piece, min_silence_ms=300, pad_ms=100):
            spans.append((offset_s + (begin + s) / SAMPLE_RATE, offset_s + (begin + e) / SAMPLE_RATE))
    return merge_spans(spans, turn_gap_s)


def merge_spans(spans: list[Span], gap_s: float) -> list[Span]:
    """Join spans separated by less than ``gap_s`` (a thinking pause stays inside a turn)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < gap_s:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def split_long(spans: list[Span], max_s: float) -> list[Span]:
    """Cut turns longer than ``max_s`` into equal pieces no longer than ``max_s``."""
    out: list[Span] = []
    for start, end in spans:
        pieces = max(1, int(np.ceil((end - start) / max_s - 1e-9)))
        step = (end - start) / pieces
        out += [(start + i * step, start + (i + 1) * step) for i in range(pieces)]
    return out


def _total(spans: list[Span]) -> float:
    return sum(end - start for start, end in spans)


def _overlap(a: list[Span], b: list[Span]) -> float:
    total, j = 0.0, 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            total += max(0.0, min(end, b[k][1]) - max(start, b[k][0]))
            k += 1
    return total


def _interruptions(by: list[Span], of: list[Span]) -> int:
    """Turns of ``by`` that start while a turn of ``of`` is still going."""
    return sum(1 for start, _ in by if any(s < start < e - 0.05 for s, e in of))


def _latencies(agent: list[Span], customer: list[Span]) -> list[float]:
    """Customer turn end -> start of the agent's next turn, when the agent answers in between."""
    out = []
    for index, (_, end) in enumerate(customer):
        next_customer = customer[index + 1][0] if index + 1 < len(customer) else float("inf")
        answer = next((s for s, _ in agent if end <= s < next_customer), None)
        if answer is not None:
            out.append(round(answer - end, 3))
    return out


def long_silences(spans: list[Span], min_s: float, duration_s: float) -> list[Span]:
    """Gaps of at least ``min_s`` where nobody speaks, between the first and last speech."""
    union = merge_spans(spans, 0.0)
    gaps = [(union[i][1], union[i + 1][0]) for i in range(len(union) - 1)]
    return [(round(a, 3), round(b, 3)) for a, b in gaps if b - a >= min_s and b <= duration_s]


@dataclass(frozen=True)
class ChannelTurns:
    """The turns of both speakers (customer empty for mono files)."""

    agent: list[Span]
    customer: list[Span]
    two_speakers: bool


def call_facts(turns: ChannelTurns, duration_s: float, long_silence_s: float,
               agent_words: int, agent_rms: list[tuple[float, float]]) -> dict[str, Any]:
    """Talk share, latency, overtalk, long silences, pace and loudness of one call.

    ``agent_rms`` holds (seconds, RMS) per agent turn, for a duration-weighted loudness.
    """
    agent_s, customer_s = _total(turns.agent), _total(turns.customer)
    silences = long_silences(turns.agent + turns.customer, long_silence_s, duration_s)
    seconds = sum(s for s, _ in agent_rms)
    rms = np.sqrt(sum(s * r * r for s, r in agent_rms) / seconds) if seconds > 0 else 0.0
    facts: dict[str, Any] = {
        "agent_turns": len(turns.agent),
        "agent_speech_s": round(agent_s, 3),
        "agent_pace_wpm": round(agent_words / (agent_s / 60), 1) if agent_s > 0 else None,
        "agent_loudness_dbfs": round(20 * float(np.log10(rms)), 1) if rms > 0 else None,
        "long_silences": len(silences),
        "long_silence_s": round(sum(b - a for a, b in silences), 3),
        "long_silence_spans": [list(s) for s in silences[:20]],
    }
    if not turns.two_speakers:
        return facts
    latencies = _latencies(turns.agent, turns.customer)
    talk = agent_s + customer_s
    facts.update({
        "customer_turns": len(turns.customer),
        "customer_speech_s": round(customer_s, 3),
        "agent_talk_share": round(agent_s / talk, 3) if talk > 0 else None,
        "response_latency_mean_s": round(statistics.fmean(latencies), 3) if latencies else None,
        "response_latency_median_s": round(statistics.median(latencies), 3) if latencies else None,
        "response_latency_max_s": max(latencies) if latencies else None,
        "agent_interruptions": _interruptions(turns.agent, turns.customer),
        "customer_interruptions": _interruptions(turns.customer, turns.agent),
        "overtalk_s": round(_overlap(turns.agent, turns.customer), 3),
    })
    return facts
