"""What the review page shows, computed from a stored session: pure functions, no HTML.

- ``highlight``: the reply cut into pieces, each with the labels whose evidence covers it.
- ``effective_labels``: the scorer's labels with the trainers' corrections applied, in order.
- ``call_timings``: the paraverbal facts of a spoken call (latency, talk share, pace...).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from typing import Any

from voicesim.core.labels import HARMFUL, LABEL_ORDER, Label
from voicesim.core.levels import Level

LEVEL_NAMES = {int(level): level.title for level in Level}
HARMFUL_NAMES = frozenset(str(label) for label in HARMFUL)


@dataclass(frozen=True)
class Piece:
    """A stretch of reply text and the labels whose evidence covers it (none: plain text)."""

    text: str
    labels: tuple[str, ...] = ()

    @property
    def css_class(self) -> str:
        return f"lab lab-{self.labels[0]}" if self.labels else ""

    @property
    def title(self) -> str:
        return ", ".join(label.replace("_", " ") for label in self.labels)


def highlight(text: str, evidence: list[dict[str, Any]]) -> list[Piece]:
    """Cut ``text`` at every evidence boundary; overlapping evidence gives a piece several
    labels (the first in the fixed label order colours it). Bad offsets are ignored."""
    spans = [
        (int(e["start"]), int(e["end"]), str(e["label"]))
        for e in evidence
        if e.get("start") is not None
        and e.get("end") is not None
        and 0 <= int(e["start"]) < int(e["end"]) <= len(text)
    ]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    order = {str(label): rank for rank, label in enumerate(LABEL_ORDER)}
    pieces: list[Piece] = []
    for start, end in itertools.pairwise(cuts):
        covering = {label for s, e, label in spans if s <= start and end <= e}
        labels = tuple(sorted(covering, key=lambda name: order.get(name, len(order))))
        pieces.append(Piece(text[start:end], labels))
    return pieces


@dataclass(frozen=True)
class LabelChip:
    """One label of a turn as the review shows it: kept, added or removed by a trainer."""

    label: str
    state: str  # "scored", "added" or "removed"
    by: str | None = None  # the trainer who corrected it
    at: str | None = None  # when, ISO time

    @property
    def harmful(self) -> bool:
        return self.label in HARMFUL_NAMES


def effective_labels(turn: dict[str, Any]) -> list[LabelChip]:
    """The scorer's labels, then each correction in the order it was made (the last one on
    a label wins), so trainer and trainee see the same, explained result."""
    chips: dict[str, LabelChip] = {}
    for item in turn["labels"]:
        chips.setdefault(item["label"], LabelChip(item["label"], "scored"))
    for note in turn["annotations"]:
        at = _iso(note["created_at"])
        if note.get("label_added"):
            chips[note["label_added"]] = LabelChip(note["label_added"], "added", note["author"], at)
        if note.get("label_removed"):
            chips[note["label_removed"]] = LabelChip(
                note["label_removed"], "removed", note["author"], at
            )
    rank = {str(label): i for i, label in enumerate(LABEL_ORDER)}
    return sorted(chips.values(), key=lambda chip: rank.get(chip.label, len(rank)))


def final_labels(turn: dict[str, Any]) -> list[str]:
    """The labels that stand after the trainers' corrections."""
    return [chip.label for chip in effective_labels(turn) if chip.state != "removed"]


@dataclass(frozen=True)
class CallTimings:
    """Paraverbal facts of a spoken call; None where the call has nothing to measure."""

    response_latency_s: float | None  # median, caller's line end to the trainee's first word
    talk_share: float | None  # the trainee's share of all speaking time, 0-1
    words_per_minute: float | None  # mean pace of the spoken replies
    interruptions: int  # times the trainee talked over the caller
    loudness_dbfs: float | None  # mean loudness of the replies
    system_latency_s: float | None  # median delay of voicesim itself before the caller answered
    trainee_speaking_s: float
    caller_speaking_s: float


def call_timings(turns: list[dict[str, Any]]) -> CallTimings | None:
    """None for a typed call (no turn has timings)."""
    timed = [t["timing"] for t in turns if t.get("timing") and t["timing"].get("speaking_s")]
    if not timed:
        return None
    spoken = [t for t in timed if (t.get("speaking_s") or 0) > 0]
    trainee_s = sum(t.get("speaking_s") or 0.0 for t in timed)
    caller_s = sum(t.get("caller_speaking_s") or 0.0 for t in timed)
    return CallTimings(
        response_latency_s=_median([t.get("response_latency_s") for t in spoken]),
        talk_share=trainee_s / (trainee_s + caller_s) if caller_s > 0 else None,
        words_per_minute=_mean([t.get("words_per_minute") for t in spoken]),
        interruptions=sum(int(t.get("interruptions") or 0) for t in timed),
        loudness_dbfs=_mean([t.get("loudness_dbfs") for t in spoken]),
        system_latency_s=_median([t.get("system_latency_s") for t in timed]),
        trainee_speaking_s=trainee_s,
        caller_speaking_s=caller_s,
    )


def level_path(session: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(point name, level, why) along the call: the opening, then the level after each reply."""
    turns = session["turns"]
    if not turns:
        final = session.get("final_level")
        return [("start", int(final), "the opening")] if final else []
    points = [("start", int(turns[0]["level"]), "the caller's opening level")]
    points += [(f"turn {t['index']}", int(t["to_level"]), t["reason"]) for t in turns]
    return points


def _median(values: list[Any]) -> float | None:
    numbers = [float(v) for v in values if v is not None]
    return statistics.median(numbers) if numbers else None


def _mean(values: list[Any]) -> float | None:
    numbers = [float(v) for v in values if v is not None]
    return statistics.fmean(numbers) if numbers else None


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else str(value)


def label_title(label: str | Label) -> str:
    return str(label).replace("_", " ")
