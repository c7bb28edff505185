"""Call-level facts from turns: who spoke when, and how the agent behaved.

Pure arithmetic on (start_s, end_s) spans; the spans come from ``speech_scan``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

Span = tuple[float, float]


def merge_spans(spans: list[Span], gap_s: float) -> list[Span]:
    """Join spans separated by less than ``gap_s`` (a thinking pause stays inside a turn)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < gap_s:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


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
