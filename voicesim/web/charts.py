"""Charts as inline SVG made on the server: no plotting library, no CDN, readable without JS.

Every mark carries a ``<title>`` (a tooltip in every browser) that says what it is, so the
staircase chart explains each step with the engine's own reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from voicesim.web.review import LEVEL_NAMES

# Level colours from calm to lost: green, yellow, orange, red, dark red.
LEVEL_COLOURS = {1: "#2e9d5b", 2: "#c9a227", 3: "#e07b24", 4: "#d1432f", 5: "#7a1f1f"}
OUTCOME_COLOURS = {"resolved": "#2e9d5b", "hung_up": "#d1432f", "ended": "#6b7280"}


def _attrs(**values: object) -> str:
    return " ".join(f'{name.replace("_", "-")}="{escape(str(v))}"' for name, v in values.items())


def staircase_chart(points: Sequence[tuple[str, int, str]], width: int = 640) -> str:
    """The caller's level along the call: one point for the opening, one after each reply."""
    if not points:
        return ""
    left, right, top, bottom, band = 118, 16, 10, 30, 30
    height = top + 5 * band + bottom
    step = (width - left - right) / max(1, len(points) - 1)

    def y(level: int) -> float:
        return top + (5 - level) * band + band / 2

    parts = [
        f'<svg class="chart staircase" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="The caller\'s level along the call">'
    ]
    for level in range(1, 6):
        top_y = top + (5 - level) * band
        box = _attrs(x=left, y=top_y, width=width - left - right, height=band)
        parts.append(f'<rect {box} fill="{LEVEL_COLOURS[level]}" opacity="0.12"/>')
        parts.append(
            f'<text {_attrs(x=left - 8, y=top_y + band / 2 + 4)} text-anchor="end" class="axis">'
            f"{level} {escape(LEVEL_NAMES[level])}</text>"
        )
    xs = [
        left + i * step if len(points) > 1 else left + (width - left - right) / 2
        for i in range(len(points))
    ]
    line = " ".join(f"{x:.1f},{y(level):.1f}" for x, (_, level, _) in zip(xs, points, strict=True))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#374151" stroke-width="2"/>')
    for x, (name, level, why) in zip(xs, points, strict=True):
        parts.append(
            f'<g class="point"><circle {_attrs(cx=f"{x:.1f}", cy=f"{y(level):.1f}", r=6, fill=LEVEL_COLOURS[level])} '
            f'stroke="#fff" stroke-width="2"><title>{escape(name)}: level {level} '
            f"{escape(LEVEL_NAMES[level])}. {escape(why)}</title></circle></g>"
        )
        parts.append(
            f'<text {_attrs(x=f"{x:.1f}", y=height - 10)} text-anchor="middle" class="axis">'
            f"{escape(name.replace('turn ', ''))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ScorePoint:
    """One session on the progress chart."""

    label: str  # date and persona, for the tooltip and the axis
    score: int | None
    outcome: str


def score_chart(points: Sequence[ScorePoint], width: int = 720) -> str:
    """Overall score (0-100) of each session in time order, coloured by outcome."""
    scored = [(i, p) for i, p in enumerate(points) if p.score is not None]
    if not scored:
        return ""
    left, right, top, bottom = 40, 16, 12, 26
    height = 220
    inner_h = height - top - bottom
    step = (width - left - right) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return left + i * step if len(points) > 1 else left + (width - left - right) / 2

    def y(score: int) -> float:
        return top + inner_h * (1 - score / 100)

    parts = [
        f'<svg class="chart progress" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Overall score of each session over time">'
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line {_attrs(x1=left, x2=width - right, y1=y(tick), y2=y(tick))} class="grid"/>'
            f'<text {_attrs(x=left - 6, y=y(tick) + 4)} text-anchor="end" class="axis">{tick}</text>'
        )
    line = " ".join(f"{x(i):.1f},{y(p.score or 0):.1f}" for i, p in scored)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    for i, p in scored:
        colour = OUTCOME_COLOURS.get(p.outcome, "#6b7280")
        parts.append(
            f"<circle {_attrs(cx=f'{x(i):.1f}', cy=f'{y(p.score or 0):.1f}', r=5, fill=colour)}>"
            f"<title>{escape(p.label)}: score {p.score}, {escape(p.outcome.replace('_', ' '))}"
            "</title></circle>"
        )
    first, last = points[0].label.split(" ")[0], points[-1].label.split(" ")[0]
    parts.append(f'<text {_attrs(x=left, y=height - 6)} class="axis">{escape(first)}</text>')
    if len(points) > 1:
        parts.append(
            f'<text {_attrs(x=width - right, y=height - 6)} text-anchor="end" class="axis">'
            f"{escape(last)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
