"""Charts drawn on the server as inline SVG: no chart library and no script, so they render as
the page arrives, print, and work offline.

Each chart is an `<svg role="img">` named by `aria-label` and `<title>`; every bar and point
carries its figure as text or as a `<title>` tooltip, series are told apart by a worded legend
and by shape (not by colour alone), and the page's tables hold the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from itertools import count
from typing import NamedTuple

from markupsafe import Markup, escape

WIDTH = 720
INK, MUTED, GRID = "#1f2328", "#57606a", "#d0d7de"
FILLS = ("#0b5cad", "#b35c00")
"""Series colours (blue, dark orange): both ≥ 4.5:1 on white."""
_ids = count(1)


class Bar(NamedTuple):
    label: str
    value: float | None
    """A rate in [0, 1]; None draws no bar."""
    text: str
    """What is written beside the bar, e.g. 93.8%（15/16）."""


class Series(NamedTuple):
    name: str
    values: Sequence[float | None]


def _svg(title: str, height: int, body: list[str]) -> Markup:
    label = escape(title)
    chart_id = f"chart-{next(_ids)}"
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}" aria-label="{label}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="12" fill="{INK}">'
        f'<title id="{chart_id}">{label}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def bars(title: str, items: Sequence[Bar]) -> Markup:
    """Horizontal bars of rates (0–100%), one per item, each labelled and written out."""
    left, right, row = 170, 190, 24
    span = WIDTH - left - right
    height = 28 + row * len(items)
    body = [_text(left, 14, "0%", "middle", MUTED), _text(left + span, 14, "100%", "middle", MUTED)]
    body.append(f'<line x1="{left}" y1="20" x2="{left}" y2="{height}" stroke="{GRID}"/>')
    for i, item in enumerate(items):
        y = 24 + i * row
        body.append(_text(left - 8, y + 15, _clip(item.label, 14), "end"))
        width = 0.0 if item.value is None else max(min(item.value, 1.0), 0.0) * span
        if item.value is not None:
            body.append(
                f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" '
                f'fill="{FILLS[0]}"><title>{escape(item.label)}：{escape(item.text)}</title></rect>'
            )
        body.append(_text(left + width + 6, y + 15, item.text))
    return _svg(title, height + 4, body)


def _axis(days: Sequence[date], left: int, step: float, base: int) -> list[str]:
    """Day labels (MM-DD) under the plot, about ten of them, and the plot's base line."""
    every = max(1, math.ceil(len(days) / 10))
    labels = [
        _text(left + (i + 0.5) * step, base + 16, f"{d:%m-%d}", "middle", MUTED)
        for i, d in enumerate(days)
        if i % every == 0
    ]
    return [
        f'<line x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{GRID}"/>',
        *labels,
    ]


def _legend(names: Sequence[str], y: int) -> list[str]:
    out = []
    for i, name in enumerate(names):
        x = 60 + i * 110
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{FILLS[i % 2]}"/>')
        out.append(_text(x + 18, y, name))
    return out


def columns(title: str, days: Sequence[date], series: Sequence[Series]) -> Markup:
    """Counts per day, one column per series side by side, with a worded legend; the left
    column of a day is always the first series."""
    left, top, base = 50, 34, 210
    top_value = max([v or 0.0 for s in series for v in s.values] + [1.0])
    scale = _nice(top_value)
    step = (WIDTH - left - 10) / max(len(days), 1)
    width = step * 0.8 / max(len(series), 1)
    body = _legend([s.name for s in series], 16)
    for tick in (0, scale / 2, scale) if scale % 2 == 0 else (0, scale):
        y = base - (base - top) * tick / scale
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 6, y + 4, f"{tick:g}", "end", MUTED))
    for i, day in enumerate(days):
        for j, s in enumerate(series):
            v = s.values[i] or 0.0
            h = (base - top) * v / scale
            x = left + i * step + step * 0.1 + j * width
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{FILLS[j % 2]}"><title>{day:%m-%d} {escape(s.name)} {v:g}</title></rect>'
            )
    body += _axis(days, left, step, base)
    return _svg(title, base + 24, body)


def line(title: str, days: Sequence[date], values: Sequence[float | None]) -> Markup:
    """A rate per day (0–100%) as a line with a marker per day; a day with nothing counted
    breaks the line and has no marker."""
    left, top, base = 50, 16, 190
    step = (WIDTH - left - 10) / max(len(days), 1)
    body: list[str] = []
    for tick in (0.0, 0.5, 1.0):
        y = base - (base - top) * tick
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 6, y + 4, f"{tick:.0%}", "end", MUTED))
    runs: list[list[str]] = [[]]
    points = []
    for i, (day, v) in enumerate(zip(days, values, strict=True)):
        if v is None:
            runs.append([])
            continue
        x, y = left + (i + 0.5) * step, base - (base - top) * v
        runs[-1].append(f"{x:.1f},{y:.1f}")
        points.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{FILLS[0]}">'
            f"<title>{day:%m-%d} {v:.1%}</title></circle>"
        )
    body += [
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{FILLS[0]}" stroke-width="2"/>'
        for run in runs
        if len(run) > 1
    ]
    body += points + _axis(days, left, step, base)
    return _svg(title, base + 24, body)


def _nice(top: float) -> float:
    """The axis maximum: `top` rounded up to 1, 2 or 5 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(top))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= top)


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"
